/// Sample values as Prometheus writes them in labels and in its HTTP API (Go's
/// `strconv.FormatFloat(v, 'f', -1, 64)`): the shortest digits that read back to the same value,
/// never an exponent; `+Inf`, `-Inf`, `NaN`.
public enum ValueFormat {
    public static func string(_ value: Double) -> String {
        if let special = self.special(value) { return special }
        let (negative, digits, point) = self.shortestDigits(value)
        let sign = negative ? "-" : ""
        if digits.isEmpty { return sign + "0" }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) }
        let split = digits.index(digits.startIndex, offsetBy: point)
        return sign + digits[..<split] + "." + digits[split...]
    }

    /// Go's `strconv.FormatFloat(v, 'e', -1, 64)`: `1e+00`, `1.5e-07` (how the alerts API writes values).
    public static func exponent(_ value: Double) -> String {
        if let special = self.special(value) { return special }
        let (negative, digits, point) = self.shortestDigits(value)
        guard !digits.isEmpty else { return (negative ? "-" : "") + "0e+00" }
        var mantissa = String(digits.prefix(1))
        if digits.count > 1 { mantissa += "." + digits.dropFirst() }
        let exponent = point - 1
        let magnitude = abs(exponent)
        return (negative ? "-" : "") + mantissa + "e" + (exponent < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "") + String(magnitude)
    }

    static func special(_ value: Double) -> String? {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        return nil
    }

    /// The shortest round-tripping digits of a finite value, without leading or trailing zeros, and
    /// where the decimal point goes (`0.0125` is `125` with the point at -1; zero has no digits).
    public static func shortestDigits(_ value: Double) -> (negative: Bool, digits: String, point: Int) {
        var text = Substring(abs(value).description)
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = text[..<e]
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        var digits = String(parts[0]) + (parts.count > 1 ? String(parts[1]) : "")
        var point = parts[0].count + exponent
        while digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        return (value.sign == .minus, digits, point)
    }
}
