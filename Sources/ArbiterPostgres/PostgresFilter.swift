import ArbiterJobs

/// A `WHERE` clause built from optional conditions, with its bound values in order. Conditions are
/// written with `?` for each value; each becomes the next `$n`.
struct PostgresFilter {
    private var conditions: [String] = []
    private(set) var parameters: [PostgresValue] = []

    /// Adds `condition` (with one `?`) when `value` is set.
    mutating func add(_ condition: String, _ value: PostgresValue?) {
        guard let value else { return }
        self.add(condition, values: [value])
    }

    /// Adds a condition with its own bound values (none, or one per `?`).
    mutating func add(_ condition: String, values: [PostgresValue]) {
        var numbered = ""
        var next = values.makeIterator()
        for character in condition {
            guard character == "?" else {
                numbered.append(character)
                continue
            }
            self.parameters.append(next.next() ?? .null)
            numbered += "$\(self.parameters.count)"
        }
        self.conditions.append(numbered)
    }

    /// The conditions a listing means (see ``StoreConditions``), each `?` numbered in turn.
    init(_ conditions: StoreConditions) {
        for condition in conditions.conditions {
            self.add(condition.sql, values: condition.values.map(PostgresValue.init))
        }
    }

    /// `WHERE a AND b`, or nothing.
    var clause: String {
        self.conditions.isEmpty ? "" : "WHERE " + self.conditions.joined(separator: " AND ")
    }

    /// `SELECT columns FROM table WHERE … ORDER BY order LIMIT $n` and its values.
    func page(_ columns: String, from table: String, orderBy order: String, limit: Int) -> (sql: String, parameters: [PostgresValue]) {
        (
            "SELECT \(columns) FROM \(table) \(self.clause) ORDER BY \(order) LIMIT $\(self.parameters.count + 1)",
            self.parameters + [.int64(Int64(max(limit, 0)))]
        )
    }
}
