/// Number formatting for the exposition formats, byte-for-byte as the Go clients write numbers, and
/// without allocating.
///
/// Text 0.0.4 uses Go's `strconv.AppendFloat(f, 'g', -1, 64)`: the shortest digits that round-trip,
/// in exponent form when the decimal exponent is below -4 or at least 6 (`1234567` → `1.234567e+06`,
/// `0.0001`, `1e-05`). OpenMetrics additionally appends `.0` to a float that has neither `.` nor `e`.
///
/// Numbers are written straight into the output's memory, which must have ``maxLength`` bytes free
/// (the formatting uses some of them as scratch).
package enum NumberFormatting {
    /// Scratch bytes per number: the result (at most 25 bytes with its terminator) at 0..<32, the
    /// standard library's text at 32..<56, significant digits at 56..<80.
    static var maxLength: Int { 80 }

    /// Appends a sample value as the Prometheus text format 0.0.4 writes it.
    package static func appendText(_ value: Double, to out: inout [UInt8]) {
        Self.append(to: &out) { Self.formatFloat(value, openMetrics: false, terminator: nil, into: $0) }
    }

    /// Appends a float as OpenMetrics 1.0 writes it canonically (`1.0`, `0.005`, `1e+06`, `+Inf`).
    package static func appendOpenMetrics(_ value: Double, to out: inout [UInt8]) {
        Self.append(to: &out) { Self.formatFloat(value, openMetrics: true, terminator: nil, into: $0) }
    }

    /// Appends an integer in decimal.
    package static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        Self.append(to: &out) { buffer in
            if value < 0 {
                buffer[0] = UInt8(ascii: "-")
                return 1 + Self.formatUnsigned(value.magnitude, into: buffer + 1)
            }
            return Self.formatUnsigned(UInt64(value), into: buffer)
        }
    }

    /// Appends an unsigned integer in decimal.
    package static func appendUnsigned(_ value: UInt64, to out: inout [UInt8]) {
        Self.append(to: &out) { Self.formatUnsigned(value, into: $0) }
    }

    /// Writes a sample value and a line feed in the given format; returns the bytes written (at most
    /// ``maxLength``).
    @inline(__always)
    static func writeSampleValue(_ value: Double, format: ExpositionFormat, to buffer: UnsafeMutablePointer<UInt8>) -> Int {
        Self.formatFloat(value, openMetrics: format == .openMetrics, terminator: UInt8(ascii: "\n"), into: buffer)
    }

    private static func append(to out: inout [UInt8], _ format: (UnsafeMutablePointer<UInt8>) -> Int) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.maxLength) { scratch in
            let count = format(scratch.baseAddress!)
            out.append(contentsOf: UnsafeBufferPointer(start: scratch.baseAddress!, count: count))
        }
    }

    /// Writes `value` into `buffer` (at least ``maxLength`` bytes) and returns the length.
    static func formatFloat(_ value: Double, openMetrics: Bool, terminator: UInt8?, into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        var count = Self.formatFloatBody(value, openMetrics: openMetrics, into: buffer)
        if let terminator {
            buffer[count] = terminator
            count += 1
        }
        return count
    }

    private static func formatFloatBody(_ value: Double, openMetrics: Bool, into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        let magnitude = value.magnitude
        // Whole numbers below a million print as integers in both formats: the usual counter value.
        if magnitude < 1_000_000, value.rounded(.towardZero) == value {
            var count = 0
            if value < 0 {
                buffer[0] = UInt8(ascii: "-")
                count = 1
            }
            count += Self.formatUnsigned(UInt64(magnitude), into: buffer + count)
            if openMetrics {
                buffer[count] = UInt8(ascii: ".")
                buffer[count + 1] = UInt8(ascii: "0")
                count += 2
            }
            return count
        }
        if value.isNaN { return Self.copy("NaN", into: buffer) }
        if value.isInfinite { return Self.copy(value < 0 ? "-Inf" : "+Inf", into: buffer) }
        // The standard library's description already holds the shortest round-trip digits; it writes
        // them through `_writeASCII`, so nothing is allocated. Between 1e-4 and 1e6 its layout is Go's
        // and goes straight to the output; elsewhere the layout (where the point goes, when to use an
        // exponent) has to be redone.
        if magnitude >= 0.0001 && magnitude < 1_000_000 {
            var sink = PointerSink(base: buffer)
            value.write(to: &sink)
            return sink.count
        }
        var sink = PointerSink(base: buffer + 32)
        value.write(to: &sink)
        if magnitude < 9_007_199_254_740_992 && magnitude >= 1_000_000 {
            return Self.exponentFromPlain(UnsafePointer(buffer + 32), count: sink.count, into: buffer)
        }
        return Self.relayout(UnsafePointer(buffer + 32), count: sink.count, digits: buffer + 56, into: buffer)
    }

    /// `12345678.9` → `1.23456789e+07`: the standard library writes numbers from 1e6 up to 2^53 in
    /// plain decimal, where Go wants an exponent.
    private static func exponentFromPlain(_ text: UnsafePointer<UInt8>, count: Int, into out: UnsafeMutablePointer<UInt8>) -> Int {
        var start = 0
        var length = 0
        if text[0] == UInt8(ascii: "-") {
            out[0] = UInt8(ascii: "-")
            start = 1
            length = 1
        }
        var point = start
        while point < count, text[point] != UInt8(ascii: ".") { point += 1 }
        // Significant digits run from `start` to `last`, skipping the point; trailing zeros go.
        var last = count - 1
        while last > start, text[last] == UInt8(ascii: "0") || text[last] == UInt8(ascii: ".") { last -= 1 }
        out[length] = text[start]
        length += 1
        if last > start {
            out[length] = UInt8(ascii: ".")
            length += 1
            var index = start + 1
            while index <= last {
                if index != point {
                    out[length] = text[index]
                    length += 1
                }
                index += 1
            }
        }
        let exponent = point - start - 1
        out[length] = UInt8(ascii: "e")
        out[length + 1] = UInt8(ascii: "+")
        length += 2
        if exponent < 10 {
            out[length] = UInt8(ascii: "0")
            length += 1
        }
        return length + Self.formatUnsigned(UInt64(exponent), into: out + length)
    }

    /// Re-lays out `[-]d.ddd[e±x]` (the standard library's form) as Go's `%g` with shortest precision.
    private static func relayout(
        _ text: UnsafePointer<UInt8>, count: Int, digits: UnsafeMutablePointer<UInt8>, into out: UnsafeMutablePointer<UInt8>
    ) -> Int {
        var digitCount = 0
        var index = 0
        let negative = count > 0 && text[0] == UInt8(ascii: "-")
        if negative { index = 1 }
        var integerDigits = 0
        var seenPoint = false
        var leadingZeros = 0
        while index < count, text[index] != UInt8(ascii: "e") {
            let byte = text[index]
            if byte == UInt8(ascii: ".") {
                seenPoint = true
            } else if digitCount == 0 && byte == UInt8(ascii: "0") {
                if !seenPoint { integerDigits += 1 }
                leadingZeros += 1
            } else {
                digits[digitCount] = byte
                digitCount += 1
                if !seenPoint { integerDigits += 1 }
            }
            index += 1
        }
        var exponent = 0
        if index < count {
            index += 1
            var exponentNegative = false
            if text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") {
                exponentNegative = text[index] == UInt8(ascii: "-")
                index += 1
            }
            while index < count {
                exponent = exponent * 10 + Int(text[index] &- 0x30)
                index += 1
            }
            if exponentNegative { exponent = -exponent }
        }
        while digitCount > 0, digits[digitCount - 1] == UInt8(ascii: "0") { digitCount -= 1 }
        // value = 0.d1d2…dn × 10^point
        let point = integerDigits - leadingZeros + exponent
        let decimalExponent = point - 1
        var length = 0
        if negative {
            out[0] = UInt8(ascii: "-")
            length = 1
        }
        // Here the exponent is always below -4 or at least 6: everything else took the fast paths.
        out[length] = digits[0]
        length += 1
        if digitCount > 1 {
            out[length] = UInt8(ascii: ".")
            length += 1
            for i in 1..<digitCount {
                out[length] = digits[i]
                length += 1
            }
        }
        out[length] = UInt8(ascii: "e")
        out[length + 1] = decimalExponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
        length += 2
        let exponentMagnitude = decimalExponent.magnitude
        if exponentMagnitude < 10 {
            out[length] = UInt8(ascii: "0")
            length += 1
        }
        return length + Self.formatUnsigned(UInt64(exponentMagnitude), into: out + length)
    }

    static func formatUnsigned(_ value: UInt64, into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        if value < 10 {
            buffer[0] = UInt8(truncatingIfNeeded: value) &+ 0x30
            return 1
        }
        var length = 0
        var rest = value
        while rest > 0 {
            rest /= 10
            length += 1
        }
        rest = value
        var index = length
        while rest > 0 {
            index -= 1
            buffer[index] = UInt8(truncatingIfNeeded: rest % 10) &+ 0x30
            rest /= 10
        }
        return length
    }

    private static func copy(_ text: StaticString, into buffer: UnsafeMutablePointer<UInt8>) -> Int {
        buffer.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
        return text.utf8CodeUnitCount
    }
}

/// A `TextOutputStream` that writes into memory the caller owns, so formatting a `Double` with the
/// standard library allocates nothing.
struct PointerSink: TextOutputStream {
    let base: UnsafeMutablePointer<UInt8>
    var count = 0

    init(base: UnsafeMutablePointer<UInt8>) {
        self.base = base
    }

    mutating func write(_ string: String) {
        for byte in string.utf8 where self.count < 24 {
            self.base[self.count] = byte
            self.count += 1
        }
    }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) {
        let length = min(buffer.count, 24 - self.count)
        guard length > 0, let source = buffer.baseAddress else { return }
        (self.base + self.count).update(from: source, count: length)
        self.count += length
    }
}
