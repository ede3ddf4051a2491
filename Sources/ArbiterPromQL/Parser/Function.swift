/// A PromQL function's signature: its argument types, how many trailing ones are optional, and
/// what it returns (Prometheus 2.42's `parser.Functions`, without the native-histogram ones).
public struct Function: Sendable {
    public let name: String
    public let argumentTypes: [ValueType]
    /// 0: exactly `argumentTypes`; n > 0: the last argument type may repeat up to n times in all
    /// (and may be left out); -1: the last may repeat without limit.
    public let variadic: Int
    public let returns: ValueType

    init(_ name: String, _ argumentTypes: [ValueType], variadic: Int = 0, returns: ValueType = .vector) {
        self.name = name
        self.argumentTypes = argumentTypes
        self.variadic = variadic
        self.returns = returns
    }

    /// Looks a function up by its exact name.
    public static func named(_ name: String) -> Function? { Self.all[name] }

    static let all: [String: Function] = {
        let vector: [ValueType] = [.vector]
        let matrix: [ValueType] = [.matrix]
        var list: [Function] = [
            Function("absent", vector), Function("absent_over_time", matrix),
            Function("clamp", [.vector, .scalar, .scalar]), Function("clamp_max", [.vector, .scalar]),
            Function("clamp_min", [.vector, .scalar]),
            Function("histogram_quantile", [.scalar, .vector]),
            Function("histogram_count", vector), Function("histogram_sum", vector),
            Function("histogram_fraction", [.scalar, .scalar, .vector]),
            Function("holt_winters", [.matrix, .scalar, .scalar]),
            Function("label_join", [.vector, .string, .string, .string], variadic: -1),
            Function("label_replace", [.vector, .string, .string, .string, .string]),
            Function("pi", [], returns: .scalar), Function("time", [], returns: .scalar),
            Function("predict_linear", [.matrix, .scalar]),
            Function("quantile_over_time", [.scalar, .matrix]),
            Function("round", [.vector, .scalar], variadic: 1),
            Function("scalar", vector, returns: .scalar), Function("vector", [.scalar]),
        ]
        let instant = [
            "abs", "ceil", "exp", "floor", "ln", "log10", "log2", "sqrt", "sgn", "deg", "rad",
            "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
            "sort", "sort_desc", "timestamp",
        ]
        let overTime = [
            "avg_over_time", "count_over_time", "last_over_time", "max_over_time", "min_over_time",
            "present_over_time", "stddev_over_time", "stdvar_over_time", "sum_over_time",
            "changes", "delta", "deriv", "idelta", "increase", "irate", "rate", "resets",
        ]
        let calendar = ["day_of_month", "day_of_week", "day_of_year", "days_in_month", "hour", "minute", "month", "year"]
        list += instant.map { Function($0, vector) }
        list += overTime.map { Function($0, matrix) }
        list += calendar.map { Function($0, vector, variadic: 1) }
        return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
    }()
}
