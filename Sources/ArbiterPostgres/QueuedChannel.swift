/// The `NOTIFY` channel that tells every process on the database that jobs became queued, and what its
/// payload holds: the job types, sorted, joined by `,` (type names never hold one), or `*` for any
/// type when the list would not fit the payload limit.
enum QueuedChannel {
    static let name = "arbiter_queued"
    /// PostgreSQL refuses payloads of 8000 bytes or more (in its default build).
    static let payloadLimit = 7999
    static let anyType = "*"

    /// The payload announcing `types`.
    static func payload(for types: Set<String>) -> String {
        let joined = types.sorted().joined(separator: ",")
        return joined.utf8.count > self.payloadLimit || joined.isEmpty ? self.anyType : joined
    }

    /// The types a payload names; `nil` for any type.
    static func types(in payload: String) -> Set<String>? {
        guard payload != self.anyType, !payload.isEmpty else { return nil }
        return Set(payload.split(separator: ",").map(String.init))
    }

    /// `NOTIFY` with the payload as a literal: a simple-protocol statement that can share a round trip
    /// with the `COMMIT` after it.
    static func notifyStatement(for types: Set<String>) -> String {
        let literal = self.payload(for: types).replacing("'", with: "''")
        return "NOTIFY \(self.name), '\(literal)'"
    }
}
