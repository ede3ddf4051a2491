import CRE2

/// A compiled regular expression in RE2's syntax, which is Go's and so Prometheus's: no
/// backreferences or lookaround, and matching in time linear in the text, whatever the pattern.
///
/// Offsets are in UTF-8 bytes.
public final class RE2Regex: @unchecked Sendable {
    // Safety (@unchecked Sendable): the RE2 object is immutable after compiling, and RE2 documents
    // its matching methods as safe to call from several threads at once.
    private let handle: OpaquePointer
    /// The pattern as written.
    public let pattern: String
    /// How many capturing groups the pattern has.
    public let groupCount: Int
    /// Group names by group number (index 0, the whole match, has none).
    public let groupNames: [String?]

    /// Compiles a pattern.
    /// - Throws: ``RE2Error`` with RE2's description of the problem.
    public init(_ pattern: String) throws(RE2Error) {
        var bytes = Array(pattern.utf8)
        var message = [CChar](repeating: 0, count: 256)
        let compiled = bytes.withUnsafeMutableBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { text in
                arbiter_re2_new(text.baseAddress, text.count, &message, message.count)
            }
        }
        guard let compiled else {
            let description = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw RE2Error(pattern: pattern, description: description)
        }
        bytes.removeAll()
        self.handle = compiled
        self.pattern = pattern
        self.groupCount = Int(arbiter_re2_group_count(compiled))
        self.groupNames = (0...self.groupCount).map { index in
            index == 0 ? nil : arbiter_re2_group_name(compiled, Int32(index)).map { String(cString: $0) }
        }
    }

    deinit { arbiter_re2_free(self.handle) }

    /// Whether the pattern matches the whole of `text`.
    public func matchesWhole(_ text: String) -> Bool {
        var text = text
        return text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { arbiter_re2_full_match(self.handle, $0.baseAddress, $0.count) != 0 }
        }
    }

    /// Whether the pattern matches anywhere in `text`.
    public func matchesSomewhere(_ text: String) -> Bool {
        self.firstMatch(in: Array(text.utf8), from: 0, groups: 1) != nil
    }

    /// The leftmost match starting at or after byte `start`; the bytes before `start` still count
    /// as context for `^` and `\b`.
    /// - Parameter groups: How many ranges to report: 1 for the whole match only, at most `groupCount + 1`.
    /// - Returns: The byte ranges of the whole match and the groups asked for (`nil` where a group took no part).
    public func firstMatch(in text: [UInt8], from start: Int, groups: Int? = nil) -> RE2Match? {
        let count = min(groups ?? self.groupCount + 1, self.groupCount + 1)
        var offsets = [Int](repeating: -1, count: 2 * count)
        let found = text.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { chars in
                offsets.withUnsafeMutableBufferPointer { out in
                    arbiter_re2_search(self.handle, chars.baseAddress, chars.count, start, out.baseAddress, Int32(count))
                }
            }
        }
        guard found != 0 else { return nil }
        let ranges = (0..<count).map { index -> Range<Int>? in
            offsets[2 * index] < 0 ? nil : offsets[2 * index]..<offsets[2 * index + 1]
        }
        return RE2Match(ranges: ranges, names: self.groupNames)
    }
}

/// One match: the byte ranges of the whole match (index 0) and of each capturing group.
public struct RE2Match: Sendable {
    public let ranges: [Range<Int>?]
    let names: [String?]

    /// The whole match's byte range.
    public var range: Range<Int> { self.ranges[0]! }

    /// The range of the group with this number or name, if it took part in the match.
    public func range(ofGroup reference: String) -> Range<Int>? {
        if let number = Int(reference) {
            return number >= 0 && number < self.ranges.count ? self.ranges[number] : nil
        }
        guard let index = self.names.firstIndex(of: reference), index < self.ranges.count else { return nil }
        return self.ranges[index]
    }
}

/// A pattern RE2 refuses.
public struct RE2Error: Error, Sendable, CustomStringConvertible {
    public let pattern: String
    /// RE2's description, such as `missing ): (a`.
    public let description: String
}
