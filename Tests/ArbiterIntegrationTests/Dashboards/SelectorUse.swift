import ArbiterPromQL
import ArbiterTSDB

/// A series selector in a parsed query, with what it is read through: the function it is the
/// argument of (`rate`, `increase`…) and its range, if it is a range selector.
struct SelectorUse {
    let selector: VectorSelector
    /// Milliseconds, for `name{…}[range]`.
    let range: Int64?
    /// The function call the selector is a direct argument of.
    let function: String?

    /// Every selector of `expr`, in order.
    static func all(in expr: Expr) -> [SelectorUse] {
        var uses: [SelectorUse] = []
        self.collect(expr, function: nil, into: &uses)
        return uses
    }

    /// The value of the selector's matcher on `label`, if it has one of that kind.
    func matcher(_ label: String) -> LabelMatcher? {
        self.selector.matchers.first { $0.name == label }
    }

    private static func collect(_ expr: Expr, function: String?, into uses: inout [SelectorUse]) {
        switch expr {
        case .number, .string:
            break
        case .vectorSelector(let selector):
            uses.append(SelectorUse(selector: selector, range: nil, function: function))
        case .matrixSelector(let selector, let range):
            uses.append(SelectorUse(selector: selector, range: range, function: function))
        case .subquery(let subquery):
            self.collect(subquery.expr, function: nil, into: &uses)
        case .call(let call):
            for argument in call.args { self.collect(argument, function: call.function.name, into: &uses) }
        case .aggregate(let aggregate):
            if let parameter = aggregate.param { self.collect(parameter, function: nil, into: &uses) }
            self.collect(aggregate.expr, function: nil, into: &uses)
        case .binary(let binary):
            self.collect(binary.lhs, function: nil, into: &uses)
            self.collect(binary.rhs, function: nil, into: &uses)
        case .unaryMinus(let inner), .paren(let inner):
            self.collect(inner, function: nil, into: &uses)
        }
    }
}
