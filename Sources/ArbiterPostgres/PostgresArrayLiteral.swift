/// PostgreSQL's text form of a one-dimensional `text[]`: `{"a","b c"}`. Parameters bind arrays as this
/// text (`$1::text[]`), and `text[]` columns come back in it.
enum PostgresArrayLiteral {
    /// Every element double-quoted, with `"` and `\` escaped, which the server reads whatever the text.
    static func encode(_ elements: some Sequence<String>) -> String {
        var out: [UInt8] = [UInt8(ascii: "{")]
        var first = true
        for element in elements {
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(UInt8(ascii: "\""))
            for byte in element.utf8 {
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
                out.append(byte)
            }
            out.append(UInt8(ascii: "\""))
        }
        out.append(UInt8(ascii: "}"))
        return String(decoding: out, as: UTF8.self)
    }

    /// The elements of a `text[]` as the server prints it. A `NULL` element is left out (Arbiter's
    /// arrays never hold one); anything that is not an array literal reads as empty.
    static func decode(_ text: String) -> [String] {
        var bytes = Array(text.utf8)[...]
        // A lower bound other than 1 is printed first (`[0:1]={a,b}`): skip to the braces.
        if bytes.first == UInt8(ascii: "["), let equals = bytes.firstIndex(of: UInt8(ascii: "=")) {
            bytes = bytes[(equals + 1)...]
        }
        guard bytes.first == UInt8(ascii: "{"), bytes.last == UInt8(ascii: "}") else { return [] }
        bytes = bytes.dropFirst().dropLast()
        var elements: [String] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            var element: [UInt8] = []
            if bytes[index] == UInt8(ascii: "\"") {
                index += 1
                while index < bytes.endIndex, bytes[index] != UInt8(ascii: "\"") {
                    if bytes[index] == UInt8(ascii: "\\"), index + 1 < bytes.endIndex { index += 1 }
                    element.append(bytes[index])
                    index += 1
                }
                index += 1  // the closing quote
                elements.append(String(decoding: element, as: UTF8.self))
            } else {
                while index < bytes.endIndex, bytes[index] != UInt8(ascii: ",") {
                    element.append(bytes[index])
                    index += 1
                }
                let word = String(decoding: element, as: UTF8.self)
                if word != "NULL" { elements.append(word) }
            }
            // Past the separator.
            while index < bytes.endIndex, bytes[index] != UInt8(ascii: ",") { index += 1 }
            index += 1
        }
        return elements
    }
}
