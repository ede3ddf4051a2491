import Crypto

/// The audit log's hash chain: `hash = SHA-256(prev_hash ‖ canonical(entry))`.
///
/// The canonical encoding is a version tag followed by every field in a fixed order: integers as
/// 8 bytes big-endian, text as a 4-byte big-endian length and its UTF-8 bytes. It is unambiguous
/// (no two different entries encode alike) and independent of how the row is stored, so anyone can
/// re-check the chain from the table alone.
public enum AuditChain {
    /// The first entry's `prev_hash`.
    public static let genesis = [UInt8](repeating: 0, count: 32)

    static let version = Array("arbiter-audit-v1".utf8)

    /// The hash of an entry whose predecessor's hash is `prevHash`.
    public static func hash(
        prevHash: [UInt8], seq: Int64, at: Int64, actor: String, action: String, subjectType: String, subjectID: String, details: String
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(96 + actor.utf8.count + action.utf8.count + subjectID.utf8.count + details.utf8.count)
        bytes += prevHash
        bytes += self.version
        self.append(seq, to: &bytes)
        self.append(at, to: &bytes)
        for text in [actor, action, subjectType, subjectID, details] {
            self.append(Int32(truncatingIfNeeded: text.utf8.count), to: &bytes)
            bytes += text.utf8
        }
        return Array(SHA256.hash(data: bytes))
    }

    private static func append<I: FixedWidthInteger>(_ value: I, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes += $0 }
    }
}

extension AuditEntry {
    /// Whether `hash` is what the chain's hash of this entry's `prev_hash` and contents is: an edited
    /// entry (in the store or in an archive) fails this.
    public var hashMatchesContents: Bool {
        AuditChain.hash(
            prevHash: self.prevHash, seq: self.seq, at: self.at, actor: self.actor, action: self.action, subjectType: self.subjectType,
            subjectID: self.subjectID, details: self.details) == self.hash
    }
}
