/// Bits appended most-significant first into bytes, and read back the same way.
struct BitWriter: Sendable, Equatable {
    private(set) var bytes: [UInt8] = []
    /// Bits still free in the last byte (0 when it is full or there is none).
    private var free = 0

    /// Appends the low `count` bits of `value` (1–64), most significant first.
    mutating func write(_ value: UInt64, bits count: Int) {
        var remaining = count
        while remaining > 0 {
            if self.free == 0 {
                self.bytes.append(0)
                self.free = 8
            }
            let take = min(self.free, remaining)
            let chunk = UInt8(truncatingIfNeeded: (value >> UInt64(remaining - take)) & ((1 << UInt64(take)) - 1))
            self.bytes[self.bytes.count - 1] |= chunk << UInt8(self.free - take)
            self.free -= take
            remaining -= take
        }
    }

    mutating func write(bit: Bool) {
        self.write(bit ? 1 : 0, bits: 1)
    }

    /// Appends a signed integer as a zig-zag varint (whole bytes, even mid-byte).
    mutating func writeVarint(_ value: Int64) {
        self.writeUVarint(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }

    mutating func writeUVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            self.write(rest & 0x7f | 0x80, bits: 8)
            rest >>= 7
        }
        self.write(rest, bits: 8)
    }
}

struct BitReader {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Reads `count` bits (1–64) as an unsigned integer; `nil` past the end.
    mutating func read(bits count: Int) -> UInt64? {
        guard self.position + count <= self.bytes.count * 8 else { return nil }
        var value: UInt64 = 0
        var remaining = count
        while remaining > 0 {
            let byte = self.bytes[self.position >> 3]
            let offset = self.position & 7
            let take = min(8 - offset, remaining)
            let chunk = (UInt64(byte) >> UInt64(8 - offset - take)) & ((1 << UInt64(take)) - 1)
            value = value << UInt64(take) | chunk
            self.position += take
            remaining -= take
        }
        return value
    }

    mutating func readBit() -> Bool? {
        self.read(bits: 1).map { $0 == 1 }
    }

    mutating func readVarint() -> Int64? {
        guard let raw = self.readUVarint() else { return nil }
        return Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1)
    }

    mutating func readUVarint() -> UInt64? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while shift < 64 {
            guard let byte = self.read(bits: 8) else { return nil }
            value |= (byte & 0x7f) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
        return nil
    }
}
