extension Parser {
    /// `op [by|without (labels)] ([param,] expr) [by|without (labels)]`.
    mutating func aggregate(_ op: AggregateOp, at token: Token) throws(PromQLError) -> Expr {
        var grouping = try self.grouping()
        guard self.current.kind == .leftParen else {
            throw self.error("unexpected \(self.describe(self.current)) in aggregation, expected \"(\"")
        }
        let args = try self.arguments()
        if grouping == nil { grouping = try self.grouping() }
        let expected = op.parameterType == nil ? 1 : 2
        guard args.count == expected else {
            throw self.error("wrong number of arguments for aggregate expression provided, expected \(expected), got \(args.count)", at: token)
        }
        let expr = args[args.count - 1]
        guard expr.type == .vector else {
            throw self.error("expected type instant vector in aggregation expression, got \(expr.type.rawValue)", at: token)
        }
        var param: Expr?
        if let type = op.parameterType {
            guard args[0].type == type else {
                throw self.error("expected type \(type.rawValue) in aggregation parameter, got \(args[0].type.rawValue)", at: token)
            }
            param = args[0]
        }
        return .aggregate(Aggregate(op: op, expr: expr, param: param, grouping: grouping ?? .by([])))
    }

    mutating func grouping() throws(PromQLError) -> Aggregate.Grouping? {
        switch self.current.kind {
        case .keyword(.by):
            _ = self.advance()
            return .by(try self.labelList())
        case .keyword(.without):
            _ = self.advance()
            return .without(try self.labelList())
        default:
            return nil
        }
    }

    /// `(a, b, …)` of a call or aggregation.
    mutating func arguments() throws(PromQLError) -> [Expr] {
        try self.expect(.leftParen, "\"(\"")
        var args: [Expr] = []
        while self.current.kind != .rightParen {
            args.append(try self.expression(minimumPrecedence: 0))
            guard self.current.kind == .comma else { break }
            _ = self.advance()
        }
        try self.expect(.rightParen, "\")\" or \",\"")
        return args
    }

    mutating func call(_ name: String, at token: Token) throws(PromQLError) -> Expr {
        guard let function = Function.named(name) else { throw self.error("unknown function with name \"\(name)\"", at: token) }
        let args = try self.arguments()
        let declared = function.argumentTypes.count
        if function.variadic == 0 {
            guard args.count == declared else {
                throw self.error("expected \(declared) argument(s) in call to \"\(name)\", got \(args.count)", at: token)
            }
        } else {
            let minimum = declared - 1
            guard args.count >= minimum else {
                throw self.error("expected at least \(minimum) argument(s) in call to \"\(name)\", got \(args.count)", at: token)
            }
            if function.variadic > 0, args.count > minimum + function.variadic {
                throw self.error("expected at most \(minimum + function.variadic) argument(s) in call to \"\(name)\", got \(args.count)", at: token)
            }
        }
        for (position, arg) in args.enumerated() {
            let expected = function.argumentTypes[min(position, declared - 1)]
            guard arg.type == expected else {
                throw self.error("expected type \(expected.rawValue) in call to function \"\(name)\", got \(arg.type.rawValue)", at: token)
            }
        }
        return .call(Call(function: function, args: args))
    }
}
