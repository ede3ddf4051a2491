import Foundation

/// The element-wise functions over an instant vector.
enum InstantFunctions {
    static func apply(_ name: String, _ value: Double, _ scalars: [Double]) -> Double {
        switch name {
        case "abs": return abs(value)
        case "ceil": return value.rounded(.up)
        case "floor": return value.rounded(.down)
        // Go's arithmetic, not the C library's: the two differ in the last digits.
        case "exp": return GoMath.exp(value)
        case "ln": return GoMath.log(value)
        case "log2": return GoMath.log2(value)
        case "log10": return GoMath.log10(value)
        case "sqrt": return value.squareRoot()
        case "sgn": return value > 0 ? 1 : value < 0 ? -1 : value
        case "deg": return value * 180 / .pi
        case "rad": return value * .pi / 180
        case "sin": return Foundation.sin(value)
        case "cos": return Foundation.cos(value)
        case "tan": return Foundation.tan(value)
        case "asin": return Foundation.asin(value)
        case "acos": return Foundation.acos(value)
        case "atan": return Foundation.atan(value)
        case "sinh": return Foundation.sinh(value)
        case "cosh": return Foundation.cosh(value)
        case "tanh": return Foundation.tanh(value)
        case "asinh": return Foundation.asinh(value)
        case "acosh": return Foundation.acosh(value)
        case "atanh": return Foundation.atanh(value)
        case "clamp": return Self.goMax(scalars[0], Self.goMin(scalars[1], value))
        case "clamp_max": return Self.goMin(value, scalars[0])
        case "clamp_min": return Self.goMax(value, scalars[0])
        case "round":
            // Rounds half up, to the nearest multiple of the optional argument.
            let inverse = 1 / (scalars.first ?? 1)
            return (value * inverse + 0.5).rounded(.down) / inverse
        default: return value
        }
    }

    /// Go's `math.Max`: NaN wins, +0 beats -0.
    static func goMax(_ a: Double, _ b: Double) -> Double {
        if a.isNaN || b.isNaN { return .nan }
        if a == 0 && b == 0 { return a.sign == .minus ? b : a }
        return a > b ? a : b
    }

    /// Go's `math.Min`: NaN wins, -0 beats +0.
    static func goMin(_ a: Double, _ b: Double) -> Double {
        if a.isNaN || b.isNaN { return .nan }
        if a == 0 && b == 0 { return a.sign == .minus ? a : b }
        return a < b ? a : b
    }

    /// `sort` and `sort_desc`: by value, NaN last either way (as 2.42 orders them), stable.
    static func sort(_ samples: [Sample], descending: Bool) -> [Sample] {
        samples.enumerated().sorted { a, b in
            let (x, y) = (a.element.value, b.element.value)
            if x.isNaN != y.isNaN { return y.isNaN }
            if x != y && !x.isNaN { return descending ? x > y : x < y }
            return a.offset < b.offset
        }.map(\.element)
    }
}
