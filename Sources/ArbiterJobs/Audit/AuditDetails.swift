import ArbiterCore

/// The `details` of an audit entry: a flat JSON object of strings, keys in byte order, so the same
/// particulars always give the same text (and hash).
public enum AuditDetails {
    public static func encode(_ pairs: [(String, String)]) -> String {
        guard !pairs.isEmpty else { return "{}" }
        // Call sites mostly list keys in order already; sort only when they do not.
        let inOrder = zip(pairs, pairs.dropFirst()).allSatisfy { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        let sorted = inOrder ? pairs : pairs.sorted { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        var out: [UInt8] = []
        out.reserveCapacity(pairs.reduce(2) { $0 + $1.0.utf8.count + $1.1.utf8.count + 6 })
        out.append(UInt8(ascii: "{"))
        for (index, pair) in sorted.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONString.append(pair.0, to: &out)
            out.append(UInt8(ascii: ":"))
            JSONString.append(pair.1, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }
}
