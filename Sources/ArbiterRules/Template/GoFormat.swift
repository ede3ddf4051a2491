import ArbiterPromQL
import Foundation

/// Go's `fmt` number formatting, as alert templates print values.
enum GoFormat {
    /// `%v` of a float64 (`strconv` 'g' with the shortest digits): plain unless the decimal
    /// exponent is below -4 or at least 6, then `1.5e+06` style.
    static func value(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        let exponent = ValueFormat.shortestDigits(value).point - 1
        return exponent < -4 || exponent >= 6 ? ValueFormat.exponent(value) : ValueFormat.string(value)
    }

    /// A C format of one number (`%.4g`, `%.2f`), with Go's spelling of NaN and the infinities.
    static func c(_ spec: String, _ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return String(format: spec, value)
    }

    /// Go's `fmt.Sprintf` for the verbs templates use: `%v %s %d %f %e %g %q %x %t %%`, with flags,
    /// width and precision. A value of the wrong type prints as Go does (`%!d(float64=1.5)`).
    static func sprintf(_ format: String, _ args: [TemplateValue]) -> String {
        var out = ""
        var index = format.startIndex
        var argument = 0
        while index < format.endIndex {
            let character = format[index]
            index = format.index(after: index)
            guard character == "%" else {
                out.append(character)
                continue
            }
            var spec = "%"
            while index < format.endIndex, "+-# 0".contains(format[index]) {
                spec.append(format[index])
                index = format.index(after: index)
            }
            // Width, then an optional precision, as Go's fmt reads them. Go gives up on a number past
            // a million ("crazy long number"): the rest of the format is consumed and %!(NOVERB)
            // printed. Passed on, it would overflow C's printf or pad with that many spaces.
            let width = Self.digits(format, &index)
            spec += width
            var precision = ""
            if index < format.endIndex, format[index] == "." {
                index = format.index(after: index)
                precision = Self.digits(format, &index)
                spec += "." + precision
            }
            if [width, precision].contains(where: Self.isTooLarge) {
                out += "%!(NOVERB)"
                break
            }
            guard index < format.endIndex else {
                out += "%!(NOVERB)"
                break
            }
            let verb = format[index]
            index = format.index(after: index)
            if verb == "%" {
                out += "%"
                continue
            }
            guard argument < args.count else {
                out += "%!\(verb)(MISSING)"
                continue
            }
            out += Self.format(verb, spec, args[argument])
            argument += 1
        }
        if argument < args.count {
            out += "%!(EXTRA " + args[argument...].map { "\($0.typeName)=\($0.printed)" }.joined(separator: ", ") + ")"
        }
        return out
    }

    /// Go's fmt gives up on widths and precisions above this.
    static let tooLarge = 1_000_000

    /// Whether Go's fmt gives up on these digits: a further digit arrives once the number is past a million.
    private static func isTooLarge(_ digits: String) -> Bool {
        var number = 0
        for digit in digits.utf8 {
            if number > Self.tooLarge { return true }
            number = number * 10 + Int(digit - 0x30)
        }
        return false
    }

    /// The ASCII digits at `index`, which moves past them.
    private static func digits(_ format: String, _ index: inout String.Index) -> String {
        var digits = ""
        while index < format.endIndex, format[index].isASCII, format[index].isNumber {
            digits.append(format[index])
            index = format.index(after: index)
        }
        return digits
    }

    private static func format(_ verb: Character, _ spec: String, _ value: TemplateValue) -> String {
        let wrong = "%!\(verb)(\(value.typeName)=\(value.printed))"
        switch (verb, value) {
        case ("v", _): return Self.pad(value.printed, spec)
        case ("T", _): return Self.pad(value.typeName, spec)
        case ("s", .string(let text)): return Self.pad(text, spec)
        case ("s", .labels), ("s", .samples), ("s", .sample), ("s", .bool): return Self.pad(value.printed, spec)
        case ("q", .string(let text)): return Self.pad("\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"", spec)
        case ("t", .bool(let flag)): return Self.pad(flag ? "true" : "false", spec)
        case ("d", .int(let number)): return String(format: spec + "ld", number)
        case ("x", .int(let number)): return String(format: spec + "lx", number)
        case ("x", .string(let text)): return text.utf8.map { String(format: "%02x", $0) }.joined()
        case ("f", .float(let number)), ("F", .float(let number)), ("e", .float(let number)), ("g", .float(let number)), ("E", .float(let number)), ("G", .float(let number)):
            return Self.c(spec + String(verb), number)
        default: return wrong
        }
    }

    /// Width and precision for strings (`%-10s`, `%.3s`).
    private static func pad(_ text: String, _ spec: String) -> String {
        let body = spec.dropFirst().drop { "+-# 0".contains($0) }
        var text = text
        if let dot = body.firstIndex(of: "."), let precision = Int(body[body.index(after: dot)...]) { text = String(text.prefix(precision)) }
        guard let width = Int(body.prefix { $0 != "." }), width > text.count else { return text }
        let padding = String(repeating: " ", count: width - text.count)
        return spec.contains("-") ? text + padding : padding + text
    }
}
