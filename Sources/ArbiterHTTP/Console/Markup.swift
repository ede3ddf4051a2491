/// HTML built by string interpolation that escapes every interpolated `String` (and leaves
/// interpolated ``Markup`` as it is), so that nothing a job, a worker or an alert carries can end up
/// as markup in the console.
struct Markup: ExpressibleByStringInterpolation, Sendable {
    var text: String

    init(stringLiteral value: String) {
        self.text = value
    }

    init(stringInterpolation: Interpolation) {
        self.text = stringInterpolation.text
    }

    /// Markup already made safe (a constant, or built from ``Markup``).
    init(raw: String) {
        self.text = raw
    }

    static let empty = Markup(raw: "")

    struct Interpolation: StringInterpolationProtocol {
        var text = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            self.text.reserveCapacity(literalCapacity + interpolationCount * 16)
        }

        mutating func appendLiteral(_ literal: String) {
            self.text += literal
        }

        mutating func appendInterpolation(_ value: String) {
            self.text += Markup.escape(value)
        }

        mutating func appendInterpolation(_ value: String?) {
            self.text += Markup.escape(value ?? "")
        }

        mutating func appendInterpolation(_ value: Int) {
            self.text += String(value)
        }

        mutating func appendInterpolation(_ value: Int64) {
            self.text += String(value)
        }

        mutating func appendInterpolation(_ value: Double) {
            self.text += String(value)
        }

        mutating func appendInterpolation(_ value: Markup) {
            self.text += value.text
        }

        mutating func appendInterpolation(_ values: [Markup]) {
            for value in values { self.text += value.text }
        }
    }

    /// `&`, `<`, `>`, `"` and `'` as entities: safe in text and in quoted attribute values.
    static func escape(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == 0x26 || $0 == 0x3C || $0 == 0x3E || $0 == 0x22 || $0 == 0x27 }) else { return text }
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count + 16)
        for character in text.unicodeScalars {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&#39;"
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}
