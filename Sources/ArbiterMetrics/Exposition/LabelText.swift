/// Pre-rendering of the text that never changes for a series: its name and label pairs.
///
/// Done once when a series is created, so rendering a scrape only copies bytes.
package enum LabelText {
    /// `a="x",b="y"`: the pairs without braces, values escaped (`\` `"` and newline), as both text
    /// formats write them.
    package static func pairs(names: [String], values: [String]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(names.count * 16)
        for (index, name) in names.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: name.utf8)
            out.append(UInt8(ascii: "="))
            out.append(UInt8(ascii: "\""))
            Self.appendEscapedLabelValue(values[index], to: &out)
            out.append(UInt8(ascii: "\""))
        }
        return out
    }

    /// `name{pairs} ` or `name ` when there are no labels: the whole prefix of a sample line.
    package static func samplePrefix(name: String, pairs: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(name.utf8.count + pairs.count + 3)
        out.append(contentsOf: name.utf8)
        if !pairs.isEmpty {
            out.append(UInt8(ascii: "{"))
            out.append(contentsOf: pairs)
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: " "))
        return out
    }

    /// Label values escape backslash, double quote and line feed in both formats.
    package static func appendEscapedLabelValue(_ value: String, to out: inout [UInt8]) {
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            default: out.append(byte)
            }
        }
    }

    /// HELP text: the 0.0.4 text format escapes backslash and line feed only; OpenMetrics also
    /// escapes the double quote.
    package static func appendEscapedHelp(_ help: String, openMetrics: Bool, to out: inout [UInt8]) {
        for byte in help.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\"") where openMetrics: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            default: out.append(byte)
            }
        }
    }
}
