import Synchronization

/// Time-ordered identifiers (RFC 9562 UUID version 7): 48 bits of Unix milliseconds, then random
/// bits, so ids sort by creation time and index well.
///
/// Within one process ids are strictly increasing even inside one millisecond: the 12 bits after the
/// timestamp count up, and a new millisecond is borrowed when they run out.
public enum UUIDv7 {
    private static let last = Mutex<(milliseconds: Int64, sequence: UInt16)>((0, 0))

    /// A new id, lowercase hexadecimal with dashes (`0193a5f2-7c1e-7a3b-9f2d-4c8e1a6b5d70`).
    public static func generate(now: Int64 = WallClock.nowMilliseconds()) -> String {
        let (milliseconds, sequence) = self.last.withLock { last -> (Int64, UInt16) in
            if now > last.milliseconds {
                last = (now, UInt16.random(in: 0..<0x400))
            } else if last.sequence < 0xFFF {
                last.sequence += 1
            } else {
                last = (last.milliseconds + 1, 0)
            }
            return last
        }
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 {
            bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index)))
        }
        bytes[6] = 0x70 | UInt8(sequence >> 8)
        bytes[7] = UInt8(truncatingIfNeeded: sequence)
        var random = SystemRandomNumberGenerator()
        let tail = random.next() as UInt64
        for index in 8..<16 {
            bytes[index] = UInt8(truncatingIfNeeded: tail >> (8 * (15 - index)))
        }
        bytes[8] = 0x80 | (bytes[8] & 0x3F)
        let hex = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(36)
        for (index, byte) in bytes.enumerated() {
            if index == 4 || index == 6 || index == 8 || index == 10 { text.append(UInt8(ascii: "-")) }
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
