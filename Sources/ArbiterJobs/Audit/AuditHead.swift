import ArbiterCore

/// The last entry of the audit chain: its position and hash. A hash chain cannot see its own tail
/// being cut off, so the head is published where an outsider keeps it (the log at every start, the
/// `arbiter_audit_chain_*` metrics a Prometheus records) and checked against later with
/// `arbiter audit verify --expect-head SEQ:HASH`.
public struct AuditHead: Sendable, Equatable, CustomStringConvertible {
    public var seq: Int64
    public var hash: [UInt8]

    public init(seq: Int64, hash: [UInt8]) {
        self.seq = seq
        self.hash = hash
    }

    /// `SEQ:HASH`, the form `--expect-head` takes.
    public var description: String { "\(self.seq):\(Hex.encode(self.hash))" }

    /// The hash's first 48 bits as a number: exact in a float sample, so a metric can carry it.
    public var hashPrefix: Double {
        Double(self.hash.prefix(6).reduce(UInt64(0)) { $0 << 8 | UInt64($1) })
    }
}

/// What `--expect-head SEQ:HASH` asks of the chain: an entry SEQ whose hash starts with HASH (at
/// least 12 hex digits, the 48 bits the metric carries; all 64 from the log).
public struct AuditHeadExpectation: Sendable, Equatable {
    public let seq: Int64
    /// Lower-case hex digits.
    public let hashPrefix: String

    /// - Throws: ``Invalid`` naming what is wrong with the text.
    public init(parsing text: String) throws(Invalid) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let seq = Int64(parts[0]), seq >= 1 else {
            throw Invalid("expected SEQ:HASH, such as 1042:9f86d081884c (got \"\(text)\")")
        }
        let hash = parts[1].lowercased()
        guard (12...64).contains(hash.count), hash.allSatisfy(\.isHexDigit) else {
            throw Invalid("the hash after \"\(seq):\" must be 12 to 64 hex digits (got \"\(parts[1])\")")
        }
        self.seq = seq
        self.hashPrefix = hash
    }

    /// Checks an intact chain of `length` entries whose entry `seq` has `entryHash` (`nil` when the
    /// chain has no such entry).
    /// - Returns: Why the chain is not the one expected, or `nil` when it is.
    public func problem(length: Int64, entryHash: [UInt8]?) -> String? {
        self.problem(length: length, entryHashHex: entryHash.map(Hex.encode))
    }

    /// The same, with the entry's hash in hex as the API shows it.
    public func problem(length: Int64, entryHashHex: String?) -> String? {
        guard length >= self.seq, let actual = entryHashHex?.lowercased() else {
            return "the chain ends at entry \(length) but entry \(self.seq) was expected: entries were removed from its end"
        }
        guard actual.hasPrefix(self.hashPrefix) else {
            return "entry \(self.seq) has hash \(actual), not \(self.hashPrefix)…: the chain was rewritten"
        }
        return nil
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
