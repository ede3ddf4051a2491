import ArbiterTSDB

/// Reads a PromQL query (Prometheus 2.42's grammar) into an ``Expr``, checking types as
/// Prometheus's parser does, with errors that name the position.
public struct Parser {
    let query: String
    var tokens: [Token]
    var index = 0
    /// How deep the expression being read is nested (parentheses, calls, unary and chained binary operators).
    var depth = 0

    /// The deepest nesting a query may have. Evaluation walks the tree recursively, so the bound keeps
    /// a hostile query from exhausting the stack; real queries stay far below it.
    public static let maxDepth = 256

    /// Parses and type-checks a whole query.
    /// - Throws: ``PromQLError`` with the line and column of the problem.
    public static func parse(_ query: String) throws(PromQLError) -> Expr {
        var parser = Parser(query: query, tokens: try Lexer.tokens(query))
        guard parser.current.kind != .end else { throw parser.error("no expression found in input") }
        let expr = try parser.expression(minimumPrecedence: 0)
        guard parser.current.kind == .end else { throw parser.error("unexpected \(parser.describe(parser.current))") }
        return expr
    }

    var current: Token { self.tokens[self.index] }

    mutating func advance() -> Token {
        defer { if self.index < self.tokens.count - 1 { self.index += 1 } }
        return self.current
    }

    func error(_ message: String, at token: Token? = nil) -> PromQLError {
        PromQLError(message, at: (token ?? self.current).position, in: self.query)
    }

    func describe(_ token: Token) -> String {
        switch token.kind {
        case .end: "end of input"
        case .identifier, .metricIdentifier: "identifier \"\(token.text)\""
        case .number: "number \"\(token.text)\""
        case .duration: "duration \"\(token.text)\""
        case .string: "string \(token.text)"
        default: "\"\(token.text)\""
        }
    }

    mutating func expect(_ kind: Token.Kind, _ what: String) throws(PromQLError) {
        guard self.current.kind == kind else { throw self.error("unexpected \(self.describe(self.current)), expected \(what)") }
        _ = self.advance()
    }

    // MARK: Binary expressions by precedence climbing

    mutating func expression(minimumPrecedence: Int) throws(PromQLError) -> Expr {
        // Each level and each operator chained at this level deepens the tree by one.
        let entryDepth = self.depth
        defer { self.depth = entryDepth }
        try self.deepen()
        var lhs = try self.unary()
        while let op = self.binaryOperator(), op.precedence >= minimumPrecedence {
            try self.deepen()
            let opToken = self.advance()
            var returnBool = false
            if self.current.kind == .keyword(.bool) {
                _ = self.advance()
                returnBool = true
            }
            let matching = try self.matchingModifiers()
            // `^` is right-associative; the others bind to the left.
            let rhs = try self.expression(minimumPrecedence: op == .pow ? op.precedence : op.precedence + 1)
            lhs = try self.binary(op, lhs, rhs, returnBool: returnBool, matching: matching, at: opToken)
        }
        return lhs
    }

    mutating func deepen() throws(PromQLError) {
        self.depth += 1
        guard self.depth <= Self.maxDepth else {
            throw self.error("expression nested more than \(Self.maxDepth) levels deep")
        }
    }

    func binaryOperator() -> Binary.Operation? {
        switch self.current.kind {
        case .operator(let op):
            switch op {
            case .equalMatch, .regexMatch, .regexNoMatch: return nil
            default: return Binary.Operation(rawValue: op.rawValue)
            }
        case .keyword(.and): return .and
        case .keyword(.or): return .or
        case .keyword(.unless): return .unless
        case .keyword(.atan2): return .atan2
        default: return nil
        }
    }

    mutating func matchingModifiers() throws(PromQLError) -> Binary.Matching? {
        var matching: Binary.Matching?
        if self.current.kind == .keyword(.on) || self.current.kind == .keyword(.ignoring) {
            let on = self.advance().kind == .keyword(.on)
            matching = Binary.Matching(on: on, labels: try self.labelList())
        }
        if self.current.kind == .keyword(.groupLeft) || self.current.kind == .keyword(.groupRight) {
            let left = self.advance().kind == .keyword(.groupLeft)
            var modifier = matching ?? Binary.Matching()
            modifier.cardinality = left ? .manyToOne : .oneToMany
            if self.current.kind == .leftParen { modifier.include = try self.labelList() }
            matching = modifier
        }
        return matching
    }

    mutating func binary(
        _ op: Binary.Operation, _ lhs: Expr, _ rhs: Expr, returnBool: Bool, matching: Binary.Matching?, at token: Token
    ) throws(PromQLError) -> Expr {
        let types = (lhs.type, rhs.type)
        for type in [types.0, types.1] where type != .scalar && type != .vector {
            throw self.error("binary expression must contain only scalar and instant vector types", at: token)
        }
        if returnBool && !op.isComparison { throw self.error("bool modifier can only be used on comparison operators", at: token) }
        if op.isComparison && types == (.scalar, .scalar) && !returnBool {
            throw self.error("comparisons between scalars must use BOOL modifier", at: token)
        }
        if op.isSetOperation && (types.0 == .scalar || types.1 == .scalar) {
            throw self.error("set operator \"\(op.rawValue)\" not allowed in binary scalar expression", at: token)
        }
        var resolved: Binary.Matching?
        if types == (.vector, .vector) {
            var value = matching ?? Binary.Matching()
            if op.isSetOperation {
                if value.cardinality == .manyToOne || value.cardinality == .oneToMany {
                    throw self.error("no grouping allowed for \"\(op.rawValue)\" operation", at: token)
                }
                value.cardinality = .manyToMany
            }
            if value.on, let both = value.include.first(where: value.labels.contains) {
                throw self.error("label \"\(both)\" must not occur in ON and GROUP clause at once", at: token)
            }
            resolved = value
        } else if matching != nil {
            throw self.error("vector matching only allowed between instant vectors", at: token)
        }
        return .binary(Binary(op: op, lhs: lhs, rhs: rhs, returnBool: returnBool, matching: resolved))
    }

    mutating func unary() throws(PromQLError) -> Expr {
        guard case .operator(let op) = self.current.kind, op == .add || op == .sub else { return try self.postfix() }
        let token = self.advance()
        // Unary operators bind like `*`: only `^` binds tighter (`-2^2` is -4).
        let operand = try self.expression(minimumPrecedence: Binary.Operation.pow.precedence)
        guard operand.type == .scalar || operand.type == .vector else {
            throw self.error("unary expression only allowed on expressions of type scalar or instant vector, got \"\(operand.type.rawValue)\"", at: token)
        }
        if op == .add { return operand }
        if case .number(let value) = operand { return .number(-value) }
        return .unaryMinus(operand)
    }

    // MARK: Labels

    /// `(a, b, c)`, a trailing comma allowed.
    mutating func labelList() throws(PromQLError) -> [String] {
        try self.expect(.leftParen, "\"(\"")
        var labels: [String] = []
        while self.current.kind != .rightParen {
            labels.append(try self.labelName())
            if self.current.kind == .comma { _ = self.advance() } else { break }
        }
        try self.expect(.rightParen, "\")\" or \",\" in grouping opts")
        return labels
    }

    mutating func labelName() throws(PromQLError) -> String {
        switch self.current.kind {
        case .identifier(let name): _ = self.advance(); return name
        case .keyword: return self.advance().text
        default: throw self.error("unexpected \(self.describe(self.current)), expected label")
        }
    }
}
