import ArbiterTSDB

extension Parser {
    /// A primary expression and the range, subquery, `offset` and `@` suffixes that follow it.
    mutating func postfix() throws(PromQLError) -> Expr {
        var expr = try self.primary()
        while true {
            switch self.current.kind {
            case .leftBracket: expr = try self.range(on: expr)
            case .keyword(.offset): expr = try self.offset(on: expr)
            case .at: expr = try self.at(on: expr)
            default: return expr
            }
        }
    }

    mutating func primary() throws(PromQLError) -> Expr {
        let token = self.current
        switch token.kind {
        case .number(let value):
            _ = self.advance()
            return .number(value)
        case .string(let value):
            _ = self.advance()
            return .string(value)
        case .leftParen:
            _ = self.advance()
            let inner = try self.expression(minimumPrecedence: 0)
            try self.expect(.rightParen, "\")\"")
            return .paren(inner)
        case .leftBrace:
            return .vectorSelector(try self.selector(name: nil))
        case .metricIdentifier(let name):
            _ = self.advance()
            return .vectorSelector(try self.selector(name: name))
        case .identifier(let name):
            _ = self.advance()
            if let op = AggregateOp(rawValue: name.lowercased()) { return try self.aggregate(op, at: token) }
            if self.current.kind == .leftParen { return try self.call(name, at: token) }
            return .vectorSelector(try self.selector(name: name))
        default:
            throw self.error("unexpected \(self.describe(token))")
        }
    }

    // MARK: Selectors

    mutating func selector(name: String?) throws(PromQLError) -> VectorSelector {
        let start = self.current
        var matchers: [LabelMatcher] = []
        if let name { matchers.append(try! LabelMatcher(Labels.metricName, .equal, name)) }
        if self.current.kind == .leftBrace {
            _ = self.advance()
            while self.current.kind != .rightBrace {
                let nameToken = self.current
                let label = try self.labelName()
                guard case .operator(let op) = self.current.kind, let kind = Self.matcherKind(op) else {
                    throw self.error("unexpected \(self.describe(self.current)) in label matching, expected label matching operator")
                }
                _ = self.advance()
                guard case .string(let value) = self.current.kind else {
                    throw self.error("unexpected \(self.describe(self.current)) in label matching, expected string")
                }
                _ = self.advance()
                if label == Labels.metricName, name != nil {
                    throw self.error("metric name must not be set twice: \"\(name!)\" or \"\(value)\"", at: nameToken)
                }
                do {
                    matchers.append(try LabelMatcher(label, kind, value))
                } catch {
                    throw self.error("\(error)", at: nameToken)
                }
                if self.current.kind == .comma { _ = self.advance() } else { break }
            }
            try self.expect(.rightBrace, "\"}\" or \",\" in label matching")
        }
        guard matchers.contains(where: { !$0.matchesEmpty }) else {
            throw self.error("vector selector must contain at least one non-empty matcher", at: start)
        }
        return VectorSelector(name: name, matchers: matchers)
    }

    static func matcherKind(_ op: Operator) -> LabelMatcher.Kind? {
        switch op {
        case .equalMatch: .equal
        case .neq: .notEqual
        case .regexMatch: .regex
        case .regexNoMatch: .notRegex
        default: nil
        }
    }

    // MARK: Suffixes

    mutating func duration() throws(PromQLError) -> Int64 {
        guard case .duration(let value) = self.current.kind else {
            throw self.error("unexpected \(self.describe(self.current)), expected duration")
        }
        _ = self.advance()
        let (seconds, attoseconds) = value.components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }

    mutating func range(on expr: Expr) throws(PromQLError) -> Expr {
        let bracket = self.advance()
        let range = try self.duration()
        if self.current.kind == .colon {
            _ = self.advance()
            var step: Int64?
            if self.current.kind != .rightBracket { step = try self.duration() }
            try self.expect(.rightBracket, "\"]\"")
            guard expr.type == .vector else {
                throw self.error("subquery is only allowed on instant vector, got \(expr.type.rawValue) instead", at: bracket)
            }
            if step == 0 { throw self.error("zero step in subquery", at: bracket) }
            return .subquery(Subquery(expr: expr, range: range, step: step))
        }
        try self.expect(.rightBracket, "\"]\"")
        guard case .vectorSelector(let selector) = expr else {
            throw self.error("ranges only allowed for vector selectors", at: bracket)
        }
        if selector.offset != 0 || selector.at != nil { throw self.error("no offset modifiers allowed before range", at: bracket) }
        if range == 0 { throw self.error("zero range in vector selector", at: bracket) }
        return .matrixSelector(selector, range: range)
    }

    mutating func offset(on expr: Expr) throws(PromQLError) -> Expr {
        let token = self.advance()
        var sign: Int64 = 1
        if case .operator(let op) = self.current.kind, op == .sub || op == .add {
            sign = op == .sub ? -1 : 1
            _ = self.advance()
        }
        let offset = sign * (try self.duration())
        let preceded = "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery"
        let twice = "offset may not be set multiple times"
        switch expr {
        case .vectorSelector(var selector):
            guard selector.offset == 0 else { throw self.error(twice, at: token) }
            selector.offset = offset
            return .vectorSelector(selector)
        case .matrixSelector(var selector, let range):
            guard selector.offset == 0 else { throw self.error(twice, at: token) }
            selector.offset = offset
            return .matrixSelector(selector, range: range)
        case .subquery(var subquery):
            guard subquery.offset == 0 else { throw self.error(twice, at: token) }
            subquery.offset = offset
            return .subquery(subquery)
        default:
            throw self.error(preceded, at: token)
        }
    }

    mutating func at(on expr: Expr) throws(PromQLError) -> Expr {
        let token = self.advance()
        var modifier: AtModifier
        switch self.current.kind {
        case .keyword(.start), .keyword(.end):
            let isStart = self.advance().kind == .keyword(.start)
            try self.expect(.leftParen, "\"(\"")
            try self.expect(.rightParen, "\")\"")
            modifier = isStart ? .start : .end
        default:
            var sign = 1.0
            if case .operator(let op) = self.current.kind, op == .sub || op == .add {
                sign = op == .sub ? -1 : 1
                _ = self.advance()
            }
            guard case .number(let seconds) = self.current.kind else {
                throw self.error("unexpected \(self.describe(self.current)), expected timestamp")
            }
            _ = self.advance()
            let milliseconds = sign * seconds * 1000
            guard milliseconds.isFinite, abs(milliseconds) <= Double(Lexer.maxDuration) else { throw self.error("timestamp out of bounds for @ modifier: \(sign * seconds)", at: token) }
            modifier = .timestamp(Int64(milliseconds.rounded()))
        }
        let preceded = "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery"
        let twice = "@ <timestamp> may not be set multiple times"
        switch expr {
        case .vectorSelector(var selector):
            guard selector.at == nil else { throw self.error(twice, at: token) }
            selector.at = modifier
            return .vectorSelector(selector)
        case .matrixSelector(var selector, let range):
            guard selector.at == nil else { throw self.error(twice, at: token) }
            selector.at = modifier
            return .matrixSelector(selector, range: range)
        case .subquery(var subquery):
            guard subquery.at == nil else { throw self.error(twice, at: token) }
            subquery.at = modifier
            return .subquery(subquery)
        default:
            throw self.error(preceded, at: token)
        }
    }
}
