/// A run of one series' samples compressed as in Gorilla (and Prometheus's `XORChunk`): the first
/// timestamp as a varint, then delta-of-delta timestamps in variable-width buckets; the first value
/// raw, then each value XORed with the one before, stored as its meaningful bits only.
///
/// Samples a sampling round apart cost about one bit for the timestamp and, for values that change
/// little, a few bits for the value: a steady series takes well under two bytes a sample.
///
/// A chunk whose first value is a whole number (most counters and gauges of a job system) stores
/// values as delta-of-delta integers instead, in the timestamp's bucket scheme: a counter that
/// climbs by a few each round costs about nine bits a value instead of the XOR's fifteen to
/// twenty-five. A value that is not a whole number ends such a chunk (``append(_:_:)`` answers
/// `false`) and the series goes on in a new XOR chunk.
public struct XORChunk: Sendable, Equatable {
    public enum ValueEncoding: Sendable, Equatable {
        case xor
        case integer
    }
    /// Samples a chunk holds at most before a new one is cut (as Prometheus does).
    public static let capacity = 120

    private var stream = BitWriter()
    public private(set) var count = 0
    /// First and last timestamps (ms).
    public private(set) var minTime: Int64 = 0
    public private(set) var maxTime: Int64 = 0

    // Appender state.
    private var lastDelta: Int64 = 0
    private var lastValueBits: UInt64 = 0
    private var leading: Int = 0xff
    private var trailing: Int = 0
    private var lastInteger: Int64 = 0
    private var lastIntegerDelta: Int64 = 0
    /// How values are stored; `nil` until the first value decides.
    public private(set) var encoding: ValueEncoding?

    /// - Parameter encoding: Forces the value encoding; by default the first value chooses.
    public init(encoding: ValueEncoding? = nil) {
        self.encoding = encoding
    }

    /// Whether a value can be stored as an integer exactly (not -0, within ±2^53).
    static func isWhole(_ value: Double) -> Bool {
        value.isFinite && value == value.rounded(.towardZero) && abs(value) <= 9_007_199_254_740_992 && !(value == 0 && value.sign == .minus)
    }

    static let timestampBuckets = [(UInt64(0b10), 2, 14), (0b110, 3, 17), (0b1110, 4, 20)]
    static let integerBuckets = [(UInt64(0b10), 2, 7), (0b110, 3, 13), (0b1110, 4, 20)]

    /// Bytes of compressed data.
    public var byteCount: Int { self.stream.bytes.count }

    public var isFull: Bool { self.count >= Self.capacity }

    /// Appends a sample; timestamps must not decrease (the caller keeps order).
    /// - Returns: `false` when an integer chunk cannot hold the value (then nothing was written).
    @discardableResult
    public mutating func append(_ timestamp: Int64, _ value: Double) -> Bool {
        if self.encoding == nil { self.encoding = Self.isWhole(value) ? .integer : .xor }
        let integer = self.encoding == .integer
        if integer && !Self.isWhole(value) { return false }
        let bits = value.bitPattern
        switch self.count {
        case 0:
            self.stream.writeVarint(timestamp)
            if integer { self.stream.writeVarint(Int64(value)) } else { self.stream.write(bits, bits: 64) }
            self.minTime = timestamp
        case 1:
            let delta = timestamp - self.maxTime
            self.stream.writeUVarint(UInt64(bitPattern: delta))
            if integer {
                self.lastIntegerDelta = Int64(value) - self.lastInteger
                self.stream.writeVarint(self.lastIntegerDelta)
            } else {
                self.writeValue(bits)
            }
            self.lastDelta = delta
        default:
            let delta = timestamp - self.maxTime
            self.writeBucketed(delta - self.lastDelta, Self.timestampBuckets)
            if integer {
                let integerDelta = Int64(value) - self.lastInteger
                self.writeBucketed(integerDelta - self.lastIntegerDelta, Self.integerBuckets)
                self.lastIntegerDelta = integerDelta
            } else {
                self.writeValue(bits)
            }
            self.lastDelta = delta
        }
        if integer { self.lastInteger = Int64(value) }
        self.maxTime = timestamp
        self.lastValueBits = bits
        self.count += 1
        return true
    }

    /// Buckets, for timestamps: 0 → `0`; 14 bits → `10`; 17 → `110`; 20 → `1110`; else `1111` and
    /// 64 bits (integers: 7, 13, 20).
    private mutating func writeBucketed(_ dod: Int64, _ buckets: [(UInt64, Int, Int)]) {
        if dod == 0 {
            self.stream.write(bit: false)
            return
        }
        for (prefix, prefixBits, width) in buckets {
            let limit = Int64(1) << Int64(width - 1)
            if dod >= -limit + 1 && dod <= limit {
                self.stream.write(prefix, bits: prefixBits)
                self.stream.write(UInt64(bitPattern: dod) & ((1 << UInt64(width)) - 1), bits: width)
                return
            }
        }
        self.stream.write(0b1111, bits: 4)
        self.stream.write(UInt64(bitPattern: dod), bits: 64)
    }

    /// `0`: same value. `10`: the XOR's meaningful bits fit the previous window. `11`: a new window,
    /// 5 bits of leading zeros and 6 of length (0 standing for 64), then the bits.
    private mutating func writeValue(_ bits: UInt64) {
        let xor = bits ^ self.lastValueBits
        guard xor != 0 else {
            self.stream.write(bit: false)
            return
        }
        self.stream.write(bit: true)
        let leading = min(xor.leadingZeroBitCount, 31)
        let trailing = xor.trailingZeroBitCount
        if self.leading != 0xff, leading >= self.leading, trailing >= self.trailing {
            self.stream.write(bit: false)
            let significant = 64 - self.leading - self.trailing
            self.stream.write(xor >> UInt64(self.trailing), bits: significant)
            return
        }
        self.leading = leading
        self.trailing = trailing
        let significant = 64 - leading - trailing
        self.stream.write(bit: true)
        self.stream.write(UInt64(leading), bits: 5)
        self.stream.write(UInt64(significant & 63), bits: 6)
        self.stream.write(xor >> UInt64(trailing), bits: significant)
    }

    /// Every sample, in order.
    public func samples() -> [(timestamp: Int64, value: Double)] {
        var iterator = XORChunkIterator(bytes: self.stream.bytes, count: self.count, integer: self.encoding == .integer)
        var out: [(timestamp: Int64, value: Double)] = []
        out.reserveCapacity(self.count)
        while let sample = iterator.next() { out.append(sample) }
        return out
    }

    /// Appends the samples with `from <= t <= to`, decoding no further than `to`.
    public func decode(into out: inout [Point], from: Int64, to: Int64) {
        var iterator = XORChunkIterator(bytes: self.stream.bytes, count: self.count, integer: self.encoding == .integer)
        while let sample = iterator.next() {
            if sample.timestamp > to { return }
            if sample.timestamp >= from { out.append(Point(sample.timestamp, sample.value)) }
        }
    }

    public static func == (lhs: XORChunk, rhs: XORChunk) -> Bool {
        lhs.count == rhs.count && lhs.stream == rhs.stream
    }
}

/// Decodes an ``XORChunk``'s samples one at a time.
public struct XORChunkIterator: IteratorProtocol {
    private var reader: BitReader
    private let count: Int
    private var read = 0
    private var timestamp: Int64 = 0
    private var delta: Int64 = 0
    private var valueBits: UInt64 = 0
    private var leading = 0
    private var trailing = 0
    private let integer: Bool
    private var integerValue: Int64 = 0
    private var integerDelta: Int64 = 0

    init(bytes: [UInt8], count: Int, integer: Bool) {
        self.reader = BitReader(bytes)
        self.count = count
        self.integer = integer
    }

    public mutating func next() -> (timestamp: Int64, value: Double)? {
        guard self.read < self.count else { return nil }
        switch self.read {
        case 0:
            guard let timestamp = self.reader.readVarint() else { return nil }
            self.timestamp = timestamp
            if self.integer {
                guard let value = self.reader.readVarint() else { return nil }
                self.integerValue = value
            } else {
                guard let bits = self.reader.read(bits: 64) else { return nil }
                self.valueBits = bits
            }
        case 1:
            guard let delta = self.reader.readUVarint() else { return nil }
            self.delta = Int64(bitPattern: delta)
            self.timestamp += self.delta
            if self.integer {
                guard let valueDelta = self.reader.readVarint() else { return nil }
                self.integerDelta = valueDelta
                self.integerValue += valueDelta
            } else if !self.readValue() {
                return nil
            }
        default:
            guard let dod = self.readBucketed(integer: false) else { return nil }
            self.delta += dod
            self.timestamp += self.delta
            if self.integer {
                guard let valueDod = self.readBucketed(integer: true) else { return nil }
                self.integerDelta += valueDod
                self.integerValue += self.integerDelta
            } else if !self.readValue() {
                return nil
            }
        }
        self.read += 1
        return (self.timestamp, self.integer ? Double(self.integerValue) : Double(bitPattern: self.valueBits))
    }

    /// Reads a bucketed delta-of-delta: timestamp widths 14, 17, 20; integer widths 7, 13, 20.
    private mutating func readBucketed(integer: Bool) -> Int64? {
        var prefix = 0
        while prefix < 4 {
            guard let bit = self.reader.readBit() else { return nil }
            if !bit { break }
            prefix += 1
        }
        if prefix == 0 { return 0 }
        guard prefix < 4 else { return self.reader.read(bits: 64).map { Int64(bitPattern: $0) } }
        let width = prefix == 1 ? (integer ? 7 : 14) : prefix == 2 ? (integer ? 13 : 17) : 20
        guard let raw = self.reader.read(bits: width) else { return nil }
        // A bucket holds -(2^(w-1) - 1) … 2^(w-1): raw values above 2^(w-1) are the negative ones.
        let value = Int64(raw)
        return value > (1 << Int64(width - 1)) ? value - (1 << Int64(width)) : value
    }

    private mutating func readValue() -> Bool {
        guard let changed = self.reader.readBit() else { return false }
        guard changed else { return true }
        guard let newWindow = self.reader.readBit() else { return false }
        if newWindow {
            guard let leading = self.reader.read(bits: 5), let length = self.reader.read(bits: 6) else { return false }
            self.leading = Int(leading)
            let significant = length == 0 ? 64 : Int(length)
            self.trailing = 64 - self.leading - significant
        }
        let significant = 64 - self.leading - self.trailing
        guard let bits = self.reader.read(bits: significant) else { return false }
        self.valueBits ^= bits << UInt64(self.trailing)
        return true
    }
}
