import ArbiterCore
import Foundation

/// The file `arbiter audit archive` writes: one JSON object per line per entry, oldest first, with
/// every field the hash covers exactly as hashed (`details` as the JSON text it was hashed as) and
/// both hashes in hex, so the file verifies on its own and against the store it came from.
public enum AuditArchive {
    struct Line: Codable {
        var seq: Int64
        var at: Int64
        var actor: String
        var action: String
        var subject_type: String
        var subject_id: String
        var details: String
        var prev_hash: String
        var hash: String
    }

    /// One entry as a line, without its newline.
    public static func line(_ entry: AuditEntry) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = Line(
            seq: entry.seq, at: entry.at, actor: entry.actor, action: entry.action, subject_type: entry.subjectType, subject_id: entry.subjectID,
            details: entry.details, prev_hash: Hex.encode(entry.prevHash), hash: Hex.encode(entry.hash))
        return String(decoding: try encoder.encode(line), as: UTF8.self)
    }

    /// The entry a line holds.
    /// - Throws: ``Invalid`` saying what is wrong with it.
    public static func entry(_ line: Substring) throws(Invalid) -> AuditEntry {
        let decoded: Line
        do {
            decoded = try JSONDecoder().decode(Line.self, from: Data(line.utf8))
        } catch {
            throw Invalid("not an archived audit entry (\(Self.reason(error)))")
        }
        guard let prevHash = Self.hexBytes(decoded.prev_hash), let hash = Self.hexBytes(decoded.hash) else {
            throw Invalid("prev_hash and hash must be 64 hex digits each")
        }
        return AuditEntry(
            seq: decoded.seq, at: decoded.at, actor: decoded.actor, action: decoded.action, subjectType: decoded.subject_type,
            subjectID: decoded.subject_id, details: decoded.details, prevHash: prevHash, hash: hash)
    }

    private static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "no \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")) has the wrong type"
        default: "not a JSON object"
        }
    }

    /// 64 lower-case hex digits as 32 bytes, `nil` for anything else.
    public static func hexBytes(_ hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        for index in stride(from: 0, to: 64, by: 2) {
            guard let high = Self.nibble(digits[index]), let low = Self.nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }

    /// What is wrong with a line.
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String

        public init(_ description: String) {
            self.description = description
        }
    }
}

/// Checks archive files and the store's chain as one chain: each file's entries in order, linked and
/// hashed, the files one after another from entry 1 without a gap, and the store's chain beginning
/// where the last file ends. Feed the files in any order (``add(file:lines:)`` sorts them by their
/// first entry); every problem names the file and line, or the entries no file holds.
public struct AuditArchiveCheck {
    /// An archive, by name, with its lines (read lazily: a file is read once, line by line).
    public struct File {
        public var name: String
        public var firstSeq: Int64
        public var lines: () throws -> AnySequence<Substring>

        public init(name: String, firstSeq: Int64, lines: @escaping () throws -> AnySequence<Substring>) {
            self.name = name
            self.firstSeq = firstSeq
            self.lines = lines
        }
    }

    /// What the archives hold, once they verified.
    public struct Covered: Sendable, Equatable {
        /// Entries in all the files together.
        public var entries: Int64
        /// The last archived entry: where the store's chain must begin.
        public var last: AuditHead?
    }

    /// Walks the files, sorted by their first entry.
    /// - Throws: ``AuditArchive/Invalid`` naming the first problem.
    public static func verify(_ files: [File]) throws -> Covered {
        var expectedSeq: Int64 = 1
        var previousHash = AuditChain.genesis
        for file in files.sorted(by: { $0.firstSeq < $1.firstSeq }) {
            var number = 0
            for line in try file.lines() {
                number += 1
                if line.isEmpty { continue }
                let entry: AuditEntry
                do {
                    entry = try AuditArchive.entry(line)
                } catch {
                    throw AuditArchive.Invalid("\(file.name) line \(number): \(error)")
                }
                if entry.seq != expectedSeq {
                    if number == 1, entry.seq > expectedSeq {
                        throw AuditArchive.Invalid(
                            "entries \(Self.range(expectedSeq, entry.seq - 1)) are in none of the archives given (\(file.name) begins at entry \(entry.seq))")
                    }
                    throw AuditArchive.Invalid("\(file.name) line \(number): expected entry \(expectedSeq), found entry \(entry.seq)")
                }
                guard entry.prevHash == previousHash else {
                    throw AuditArchive.Invalid("\(file.name) line \(number): entry \(entry.seq)'s prev_hash is not the hash of entry \(entry.seq - 1)")
                }
                guard entry.hashMatchesContents else {
                    throw AuditArchive.Invalid("\(file.name) line \(number): entry \(entry.seq)'s contents do not match its hash (edited)")
                }
                previousHash = entry.hash
                expectedSeq += 1
            }
        }
        let last = expectedSeq > 1 ? AuditHead(seq: expectedSeq - 1, hash: previousHash) : nil
        return Covered(entries: expectedSeq - 1, last: last)
    }

    /// Whether the store's chain, beginning after `anchor`, continues the archives.
    /// - Throws: ``AuditArchive/Invalid`` naming the gap or the mismatch.
    public static func joins(_ covered: Covered, anchor: AuditHead?) throws {
        let archived = covered.last?.seq ?? 0
        let stored = anchor?.seq ?? 0
        if stored > archived {
            throw AuditArchive.Invalid(
                "entries \(Self.range(archived + 1, stored)) are in none of the archives given (the store's chain begins after entry \(stored))")
        }
        if stored < archived {
            throw AuditArchive.Invalid(
                "the archives go on to entry \(archived), but the store's chain begins after entry \(stored): they overlap; give only the archives up to entry \(stored)")
        }
        if let anchor, anchor.hash != covered.last?.hash {
            throw AuditArchive.Invalid("the archives end at entry \(archived) with another hash than the one the store's chain begins from: they are not of this chain")
        }
    }

    static func range(_ first: Int64, _ last: Int64) -> String {
        first == last ? "\(first)" : "\(first)–\(last)"
    }
}
