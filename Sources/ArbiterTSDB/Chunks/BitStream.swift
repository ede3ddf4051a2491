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

/// Reads bits most-significant first through a 64-bit window refilled a byte at a time, so most
/// reads are a shift and a mask.
struct BitReader {
    private let bytes: [UInt8]
    /// The next byte to load into the window.
    private var next = 0
    /// Unread bits, left-aligned: the next bit is the top one.
    private var window: UInt64 = 0
    private var available = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    private mutating func refill() {
        while self.available <= 56 && self.next < self.bytes.count {
            self.window |= UInt64(self.bytes[self.next]) << UInt64(56 - self.available)
            self.available += 8
            self.next += 1
        }
    }

    /// Reads `count` bits (1–64) as an unsigned integer; `nil` past the end.
    mutating func read(bits count: Int) -> UInt64? {
        if count > 56 {
            guard let high = self.read(bits: count - 32), let low = self.read(bits: 32) else { return nil }
            return high << 32 | low
        }
        if self.available < count {
            self.refill()
            guard self.available >= count else { return nil }
        }
        let value = self.window >> UInt64(64 - count)
        self.window <<= UInt64(count)
        self.available -= count
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
