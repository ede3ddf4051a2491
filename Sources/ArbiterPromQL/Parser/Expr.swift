import ArbiterTSDB

/// The four kinds of value a PromQL expression yields.
public enum ValueType: String, Sendable {
    case scalar
    case string
    case vector = "instant vector"
    case matrix = "range vector"

    /// How the Prometheus HTTP API names it in `resultType`.
    public var apiName: String {
        switch self {
        case .scalar: "scalar"
        case .string: "string"
        case .vector: "vector"
        case .matrix: "matrix"
        }
    }
}

/// A parsed PromQL expression (the AST of Prometheus's `promql/parser`).
public indirect enum Expr: Sendable {
    case number(Double)
    case string(String)
    case vectorSelector(VectorSelector)
    case matrixSelector(VectorSelector, range: Int64)
    case subquery(Subquery)
    case call(Call)
    case aggregate(Aggregate)
    case binary(Binary)
    case unaryMinus(Expr)
    case paren(Expr)

    /// The type of value the expression evaluates to.
    public var type: ValueType {
        switch self {
        case .number: .scalar
        case .string: .string
        case .vectorSelector: .vector
        case .matrixSelector, .subquery: .matrix
        case .call(let call): call.function.returns
        case .aggregate: .vector
        case .binary(let binary): binary.lhs.type == .scalar && binary.rhs.type == .scalar ? .scalar : .vector
        case .unaryMinus(let inner), .paren(let inner): inner.type
        }
    }

    /// The expression without enclosing parentheses.
    var unwrapped: Expr {
        if case .paren(let inner) = self { return inner.unwrapped }
        return self
    }
}

/// When a selector or subquery looks at the data: `@ <time>`, `@ start()`, `@ end()`.
public enum AtModifier: Sendable, Equatable {
    case timestamp(Int64)
    case start
    case end
}

/// `name{matchers} offset d @ t`.
public struct VectorSelector: Sendable {
    public var name: String?
    public var matchers: [LabelMatcher]
    /// Milliseconds; negative looks ahead.
    public var offset: Int64 = 0
    public var at: AtModifier?
}

/// `expr[range:step] offset d @ t`.
public struct Subquery: Sendable {
    public var expr: Expr
    public var range: Int64
    /// `nil` takes the evaluation's default interval.
    public var step: Int64?
    public var offset: Int64 = 0
    public var at: AtModifier?
}

public struct Call: Sendable {
    public var function: Function
    public var args: [Expr]
}

public struct Aggregate: Sendable {
    public enum Grouping: Sendable {
        case by([String])
        case without([String])
    }

    public var op: AggregateOp
    public var expr: Expr
    public var param: Expr?
    public var grouping: Grouping
}

public enum AggregateOp: String, Sendable, CaseIterable {
    case sum, avg, count, min, max, group, stddev, stdvar, topk, bottomk
    case countValues = "count_values"
    case quantile

    /// The type of the parameter before the expression, if the aggregation takes one.
    var parameterType: ValueType? {
        switch self {
        case .topk, .bottomk, .quantile: .scalar
        case .countValues: .string
        default: nil
        }
    }
}

public struct Binary: Sendable {
    public enum Operation: String, Sendable {
        case add = "+", sub = "-", mul = "*", div = "/", mod = "%", pow = "^", atan2
        case eql = "==", neq = "!=", lte = "<=", lss = "<", gte = ">=", gtr = ">"
        case and, or, unless

        var isComparison: Bool {
            switch self {
            case .eql, .neq, .lte, .lss, .gte, .gtr: true
            default: false
            }
        }

        var isSetOperation: Bool { self == .and || self == .or || self == .unless }

        /// Precedence, higher binds tighter (Prometheus's yacc grammar).
        var precedence: Int {
            switch self {
            case .or: 1
            case .and, .unless: 2
            case .eql, .neq, .lte, .lss, .gte, .gtr: 3
            case .add, .sub: 4
            case .mul, .div, .mod, .atan2: 5
            case .pow: 6
            }
        }
    }

    /// `on`/`ignoring` and `group_left`/`group_right` of a vector-vector operation.
    public struct Matching: Sendable {
        public enum Cardinality: Sendable { case oneToOne, manyToOne, oneToMany, manyToMany }
        public var cardinality: Cardinality = .oneToOne
        /// `on(...)` when true, `ignoring(...)` when false.
        public var on = false
        public var labels: [String] = []
        /// Labels a `group_left(...)`/`group_right(...)` copies from the "one" side.
        public var include: [String] = []
    }

    public var op: Operation
    public var lhs: Expr
    public var rhs: Expr
    public var returnBool = false
    public var matching: Matching?
}
