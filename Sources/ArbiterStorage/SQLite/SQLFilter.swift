import ArbiterJobs

/// A `WHERE` clause built from optional conditions, with its bound values in order.
struct SQLFilter {
    private var conditions: [String] = []
    private(set) var parameters: [SQLiteValue] = []

    /// Adds `condition` (with one `?`) when `value` is set.
    mutating func add(_ condition: String, _ value: SQLiteValue?) {
        guard let value else { return }
        self.conditions.append(condition)
        self.parameters.append(value)
    }

    /// Adds a condition with its own bound values (none, or several).
    mutating func add(_ condition: String, values: [SQLiteValue]) {
        self.conditions.append(condition)
        self.parameters += values
    }

    /// The conditions a listing means (see ``StoreConditions``), with SQLite's `?` placeholders as they are.
    init(_ conditions: StoreConditions) {
        for condition in conditions.conditions {
            self.add(condition.sql, values: condition.values.map(SQLiteValue.init))
        }
    }

    /// `WHERE a AND b`, or nothing.
    var clause: String {
        self.conditions.isEmpty ? "" : "WHERE " + self.conditions.joined(separator: " AND ")
    }

    /// `SELECT columns FROM table WHERE … ORDER BY order LIMIT ?` and its values.
    func page(_ columns: String, from table: String, orderBy order: String, limit: Int) -> (sql: String, parameters: [SQLiteValue]) {
        ("SELECT \(columns) FROM \(table) \(self.clause) ORDER BY \(order) LIMIT ?", self.parameters + [.integer(Int64(max(limit, 0)))])
    }
}
