/// The `details` of an audit entry: a flat JSON object of strings, keys in byte order, so the same
/// particulars always give the same text (and hash).
enum AuditDetails {
    static func encode(_ pairs: [(String, String)]) -> String {
        guard !pairs.isEmpty else { return "{}" }
        var out = "{"
        for (index, pair) in pairs.sorted(by: { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }).enumerated() {
            if index > 0 { out += "," }
            self.quote(pair.0, into: &out)
            out += ":"
            self.quote(pair.1, into: &out)
        }
        return out + "}"
    }

    private static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
