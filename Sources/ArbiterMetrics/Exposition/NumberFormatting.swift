/// Number formatting for the exposition formats, byte-for-byte as the Go clients write numbers, and
/// without allocating.
///
/// Text 0.0.4 uses Go's `strconv.AppendFloat(f, 'g', -1, 64)`: the shortest digits that round-trip,
/// in exponent form when the decimal exponent is below -4 or at least 6 (`1234567` → `1.234567e+06`,
/// `0.0001`, `1e-05`). OpenMetrics additionally appends `.0` to a float that has neither `.` nor `e`.
package enum NumberFormatting {
    /// Appends a sample value as the Prometheus text format 0.0.4 writes it.
    @inlinable
    package static func appendText(_ value: Double, to out: inout [UInt8]) {
        if let small = Self.smallInteger(value) {
            Self.appendInteger(small, to: &out)
        } else {
            Self.appendGeneral(value, to: &out, openMetrics: false)
        }
    }

    /// Appends a float as OpenMetrics 1.0 writes it canonically (`1.0`, `0.005`, `1e+06`, `+Inf`).
    @inlinable
    package static func appendOpenMetrics(_ value: Double, to out: inout [UInt8]) {
        if let small = Self.smallInteger(value) {
            Self.appendInteger(small, to: &out)
            out.append(UInt8(ascii: "."))
            out.append(UInt8(ascii: "0"))
        } else {
            Self.appendGeneral(value, to: &out, openMetrics: true)
        }
    }

    /// Appends an integer in decimal.
    @inlinable
    package static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 {
            out.append(UInt8(ascii: "-"))
            Self.appendUnsigned(value.magnitude, to: &out)
        } else {
            Self.appendUnsigned(UInt64(value), to: &out)
        }
    }

    /// Appends an unsigned integer in decimal.
    @inlinable
    package static func appendUnsigned(_ value: UInt64, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(truncatingIfNeeded: value) &+ 0x30)
            return
        }
        var scratch = InlineArray<20, UInt8>(repeating: 0)
        var index = 20
        var rest = value
        while rest > 0 {
            index -= 1
            scratch[index] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
            rest /= 10
        }
        for i in index..<20 { out.append(scratch[i]) }
    }

    /// Whole numbers with fewer than seven digits print as plain integers in both formats: the
    /// common case for counters, handled without going through digit generation.
    @inlinable
    static func smallInteger(_ value: Double) -> Int64? {
        guard value > -1_000_000, value < 1_000_000 else { return nil }
        let truncated = value.rounded(.towardZero)
        guard truncated == value else { return nil }
        return Int64(truncated)
    }

    @usableFromInline
    static func appendGeneral(_ value: Double, to out: inout [UInt8], openMetrics: Bool) {
        if value.isNaN {
            out.append(contentsOf: "NaN".utf8)
            return
        }
        if value.isInfinite {
            out.append(contentsOf: (value < 0 ? "-Inf" : "+Inf").utf8)
            return
        }
        // The standard library's description already holds the shortest round-trip digits; it writes
        // them through `_writeASCII` into a stack buffer, so nothing is allocated. Only the layout
        // (where the point goes, when to switch to an exponent) differs from Go's, and is redone here.
        var text = ShortestDigits()
        value.write(to: &text)
        text.appendGoLayout(to: &out, openMetrics: openMetrics)
    }
}

/// Receives the standard library's shortest round-trip rendering of a `Double` and re-lays it out.
@usableFromInline
struct ShortestDigits: TextOutputStream {
    @usableFromInline var bytes = InlineArray<40, UInt8>(repeating: 0)
    @usableFromInline var count = 0

    @usableFromInline init() {}

    @usableFromInline
    mutating func write(_ string: String) {
        for byte in string.utf8 where self.count < 40 {
            self.bytes[self.count] = byte
            self.count += 1
        }
    }

    @usableFromInline
    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        for byte in buffer where self.count < 40 {
            self.bytes[self.count] = byte
            self.count += 1
        }
    }

    /// Splits `[-]d.ddd[e±x]` into significant digits and a decimal point position, then writes them
    /// the way Go's `%g` with shortest precision does.
    @usableFromInline
    func appendGoLayout(to out: inout [UInt8], openMetrics: Bool) {
        var digits = InlineArray<40, UInt8>(repeating: 0)
        var digitCount = 0
        var index = 0
        var negative = false
        if self.count > 0, self.bytes[0] == UInt8(ascii: "-") {
            negative = true
            index = 1
        }
        var integerDigits = 0
        var seenPoint = false
        while index < self.count, self.bytes[index] != UInt8(ascii: "e"), self.bytes[index] != UInt8(ascii: "E") {
            let byte = self.bytes[index]
            if byte == UInt8(ascii: ".") {
                seenPoint = true
            } else {
                digits[digitCount] = byte &- 0x30
                digitCount += 1
                if !seenPoint { integerDigits += 1 }
            }
            index += 1
        }
        var exponent = 0
        if index < self.count {
            index += 1
            var exponentNegative = false
            if index < self.count, self.bytes[index] == UInt8(ascii: "-") || self.bytes[index] == UInt8(ascii: "+") {
                exponentNegative = self.bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            while index < self.count {
                exponent = exponent * 10 + Int(self.bytes[index] &- 0x30)
                index += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        // value = 0.d1d2…dn × 10^point
        var point = integerDigits + exponent
        var first = 0
        while first < digitCount, digits[first] == 0 {
            first += 1
            point -= 1
        }
        var last = digitCount
        while last > first, digits[last - 1] == 0 { last -= 1 }
        if first == last {
            out.append(contentsOf: (openMetrics ? "0.0" : "0").utf8)
            return
        }
        if negative { out.append(UInt8(ascii: "-")) }
        let significant = last - first
        let decimalExponent = point - 1
        if decimalExponent < -4 || decimalExponent >= 6 {
            out.append(digits[first] &+ 0x30)
            if significant > 1 {
                out.append(UInt8(ascii: "."))
                for i in (first + 1)..<last { out.append(digits[i] &+ 0x30) }
            }
            out.append(UInt8(ascii: "e"))
            out.append(decimalExponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let magnitude = abs(decimalExponent)
            if magnitude < 10 { out.append(UInt8(ascii: "0")) }
            NumberFormatting.appendUnsigned(UInt64(magnitude), to: &out)
            return
        }
        if point <= 0 {
            out.append(UInt8(ascii: "0"))
            out.append(UInt8(ascii: "."))
            for _ in 0..<(-point) { out.append(UInt8(ascii: "0")) }
            for i in first..<last { out.append(digits[i] &+ 0x30) }
        } else if point >= significant {
            for i in first..<last { out.append(digits[i] &+ 0x30) }
            for _ in 0..<(point - significant) { out.append(UInt8(ascii: "0")) }
            if openMetrics {
                out.append(UInt8(ascii: "."))
                out.append(UInt8(ascii: "0"))
            }
        } else {
            for i in first..<(first + point) { out.append(digits[i] &+ 0x30) }
            out.append(UInt8(ascii: "."))
            for i in (first + point)..<last { out.append(digits[i] &+ 0x30) }
        }
    }
}
