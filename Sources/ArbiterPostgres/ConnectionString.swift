/// Reads libpq connection strings only as far as hiding their passwords needs: in a URL the part
/// after `user:` and a `password=` query parameter, in `key=value` form the `password` value. The
/// rules follow libpq's parser, so what libpq takes for the password is what is hidden.
enum ConnectionString {
    static let mask = "***"

    /// The string with every password replaced by `***`.
    static func redact(_ text: String) -> String {
        var bytes = Array(text.utf8)
        // Replace from the end so earlier ranges stay valid.
        for range in self.passwordRanges(in: bytes).sorted(by: { $0.lowerBound > $1.lowerBound }) {
            bytes.replaceSubrange(range, with: Array(self.mask.utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The password as written and as libpq reads it, to scrub from messages that might echo them.
    static func passwords(in text: String) -> [String] {
        let bytes = Array(text.utf8)
        var found: Set<String> = []
        for range in self.passwordRanges(in: bytes) {
            let raw = String(decoding: bytes[range], as: UTF8.self)
            found.insert(raw)
            found.insert(self.isURL(bytes) ? self.percentDecoded(raw) : self.unquoted(raw))
        }
        return found.filter { !$0.isEmpty }.sorted { $0.count > $1.count }
    }

    /// `message` with any of `passwords` replaced by `***`.
    static func scrub(_ message: String, passwords: [String]) -> String {
        var message = message
        for password in passwords {
            message = message.replacing(password, with: self.mask)
        }
        return message
    }

    // MARK: Parsing

    private static func isURL(_ bytes: [UInt8]) -> Bool {
        bytes.starts(with: "postgresql://".utf8) || bytes.starts(with: "postgres://".utf8)
    }

    private static func passwordRanges(in bytes: [UInt8]) -> [Range<Int>] {
        self.isURL(bytes) ? self.urlPasswordRanges(bytes) : self.keywordPasswordRanges(bytes)
    }

    /// `scheme://user:password@host…?…&password=…`: the user part ends at the first `@` before any `/`.
    private static func urlPasswordRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        let start = (bytes.firstRange(of: Array("://".utf8))?.upperBound) ?? 0
        var index = start
        while index < bytes.count, bytes[index] != UInt8(ascii: "@"), bytes[index] != UInt8(ascii: "/") { index += 1 }
        if index < bytes.count, bytes[index] == UInt8(ascii: "@"), let colon = bytes[start..<index].firstIndex(of: UInt8(ascii: ":")) {
            ranges.append((colon + 1)..<index)
        }
        if let question = bytes[start...].firstIndex(of: UInt8(ascii: "?")) {
            var cursor = question + 1
            while cursor < bytes.count {
                let end = bytes[cursor...].firstIndex(of: UInt8(ascii: "&")) ?? bytes.count
                if let equals = bytes[cursor..<end].firstIndex(of: UInt8(ascii: "=")),
                    self.percentDecoded(String(decoding: bytes[cursor..<equals], as: UTF8.self)) == "password"
                {
                    ranges.append((equals + 1)..<end)
                }
                cursor = end + 1
            }
        }
        return ranges
    }

    /// `key = value` pairs separated by white space; a value is bare (backslash escapes) or in single quotes.
    private static func keywordPasswordRanges(_ bytes: [UInt8]) -> [Range<Int>] {
        var ranges: [Range<Int>] = []
        var index = 0
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }
        while index < bytes.count {
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            let keyStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "="), !isSpace(bytes[index]) { index += 1 }
            let key = String(decoding: bytes[keyStart..<index], as: UTF8.self)
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { return ranges }
            index += 1
            while index < bytes.count, isSpace(bytes[index]) { index += 1 }
            let valueStart = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "'") {
                index += 1
                while index < bytes.count, bytes[index] != UInt8(ascii: "'") {
                    if bytes[index] == UInt8(ascii: "\\") { index += 1 }
                    index += 1
                }
                index = min(index + 1, bytes.count)
            } else {
                while index < bytes.count, !isSpace(bytes[index]) {
                    if bytes[index] == UInt8(ascii: "\\") { index += 1 }
                    index += 1
                }
                index = min(index, bytes.count)
            }
            if key == "password" { ranges.append(valueStart..<index) }
        }
        return ranges
    }

    private static func percentDecoded(_ text: String) -> String {
        var out: [UInt8] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                out.append(value)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// A `key=value` value as libpq reads it: quotes removed, backslash escapes resolved.
    private static func unquoted(_ raw: String) -> String {
        var bytes = Array(raw.utf8)[...]
        if bytes.first == UInt8(ascii: "'") {
            bytes = bytes.dropFirst()
            if bytes.last == UInt8(ascii: "'") { bytes = bytes.dropLast() }
        }
        var out: [UInt8] = []
        var escaped = false
        for byte in bytes {
            if !escaped, byte == UInt8(ascii: "\\") {
                escaped = true
                continue
            }
            escaped = false
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
