/// What a listing's filter means as SQL conditions, written once for every store: each is a
/// condition with one `?` per value, ANDed together. A store numbers the placeholders its own way and
/// supplies what its dialect spells differently (a tag test, the constant false).
public struct StoreConditions: Sendable {
    public private(set) var conditions: [(sql: String, values: [StoreValue])] = []

    public init() {}

    /// Adds `sql` (with one `?`) when `value` is set.
    public mutating func add(_ sql: String, _ value: StoreValue?) {
        guard let value else { return }
        self.conditions.append((sql, [value]))
    }

    /// Adds a condition with its own values (none, or one per `?`).
    public mutating func add(_ sql: String, values: [StoreValue]) {
        self.conditions.append((sql, values))
    }

    /// A page of jobs: `filter`, after `cursor` (ids sort by creation).
    /// - Parameters:
    ///   - tagCondition: The store's test that the `tags` column holds `?`.
    ///   - containsCondition: The store's case-insensitive `LIKE` of the `payload` column against the
    ///     pattern `?`, with `\` as its escape character.
    public static func jobs(_ filter: JobFilter, after cursor: String?, tagCondition: String, containsCondition: String) -> StoreConditions {
        var conditions = StoreConditions()
        conditions.add("state = ?", filter.state.map { .text($0.rawValue) })
        conditions.add("type = ?", filter.type.map { .text($0) })
        conditions.add("user_id = ?", filter.userID.map { .text($0) })
        conditions.add(tagCondition, filter.tag.map { .text($0) })
        conditions.add("created_at >= ?", filter.createdAfter.map { .integer($0) })
        conditions.add("created_at < ?", filter.createdBefore.map { .integer($0) })
        conditions.add("lease_worker_id = ?", filter.leaseWorkerID.map { .text($0) })
        conditions.add("dry_run = ?", filter.dryRun.map { .integer($0 ? 1 : 0) })
        if let search = filter.search {
            // Scans the payloads: linear in the jobs the other conditions leave.
            // The text as it is: LIKE's wildcards and its escape character escaped.
            var pattern = "%"
            for character in search {
                if character == "\\" || character == "%" || character == "_" { pattern.append("\\") }
                pattern.append(character)
            }
            pattern.append("%")
            conditions.add("(id = ? OR idempotency_key = ? OR \(containsCondition))", values: [.text(search), .text(search), .text(pattern)])
        }
        conditions.add("id > ?", cursor.map { .text($0) })
        return conditions
    }

    /// A page of audit entries: `filter`, after entry `cursor`.
    public static func auditEntries(_ filter: AuditFilter, after cursor: Int64?) -> StoreConditions {
        var conditions = StoreConditions()
        conditions.add("actor = ?", filter.actor.map { .text($0) })
        conditions.add("action = ?", filter.action.map { .text($0) })
        conditions.add("subject_type = ?", filter.subjectType.map { .text($0) })
        conditions.add("subject_id = ?", filter.subjectID.map { .text($0) })
        conditions.add("at >= ?", filter.since.map { .integer($0) })
        conditions.add("at < ?", filter.until.map { .integer($0) })
        conditions.add("seq > ?", cursor.map { .integer($0) })
        return conditions
    }

    /// A page of consents: `filter` (its status as of `now`), after `cursor`.
    /// - Parameter never: The store's constant false (a `denied` consent is never stored).
    public static func consents(_ filter: ConsentFilter, after cursor: String?, now: Int64, never: String) -> StoreConditions {
        var conditions = StoreConditions()
        conditions.add("user_id = ?", filter.userID.map { .text($0) })
        conditions.add("scope = ?", filter.scope.map { .text($0) })
        switch filter.status {
        case .granted?: conditions.add("revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?)", .integer(now))
        case .expired?: conditions.add("revoked_at IS NULL AND expires_at <= ?", .integer(now))
        case .revoked?: conditions.add("revoked_at IS NOT NULL", values: [])
        case .denied?: conditions.add(never, values: [])
        case nil: break
        }
        conditions.add("id > ?", cursor.map { .text($0) })
        return conditions
    }
}

extension StoreConditions {
    /// Finished jobs past their retention: per final state, those of every type without an override
    /// finished before the state's cutoff, and those of each overriding type before its own. Bounded
    /// by `created_at` so the store walks its creation index only as far as the latest cutoff.
    /// - Returns: `nil` when everything is kept forever.
    public static func prunable(_ cutoffs: RetentionCutoffs) -> StoreConditions? {
        guard let latest = cutoffs.latest else { return nil }
        var alternatives: [String] = []
        var values: [StoreValue] = []
        for state in RetentionPolicy.states {
            let overriding = cutoffs.byType.filter { $0.value.keys.contains(state) }.keys.sorted()
            if let cutoff = cutoffs.byState[state] {
                var sql = "(state = ? AND finished_at < ?"
                values += [.text(state.rawValue), .integer(cutoff)]
                if !overriding.isEmpty {
                    sql += " AND type NOT IN (" + overriding.map { _ in "?" }.joined(separator: ", ") + ")"
                    values += overriding.map { .text($0) }
                }
                alternatives.append(sql + ")")
            }
            for type in overriding {
                guard let states = cutoffs.byType[type], let entry = states[state], let cutoff = entry else { continue }
                alternatives.append("(type = ? AND state = ? AND finished_at < ?)")
                values += [.text(type), .text(state.rawValue), .integer(cutoff)]
            }
        }
        var conditions = StoreConditions()
        conditions.add("created_at < ?", .integer(latest))
        conditions.add("(" + alternatives.joined(separator: " OR ") + ")", values: values)
        return conditions
    }
}
