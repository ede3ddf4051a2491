import ArbiterTSDB
import CArbiterProto
import Glibc

/// One series' labels packed by protobuf-c once, as the `labels` fields of a `TimeSeries`, and
/// reused by every request that carries the series: a request is assembled from these bytes and
/// never packs a label again. The bytes live in the object's own allocation.
final class PackedLabels: ManagedBuffer<Int, UInt8> {
    /// - Parameter pairs: Sorted by name, unique, none empty.
    static func make(_ pairs: [(name: String, value: String)]) -> PackedLabels {
        Self.withTimeSeries(pairs) { series in
            let size = prometheus__time_series__get_packed_size(series)
            let made = PackedLabels.create(minimumCapacity: size) { _ in size } as! PackedLabels
            made.withUnsafeMutablePointerToElements { bytes in
                _ = prometheus__time_series__pack(series, bytes)
            }
            return made
        }
    }

    /// The packed length in bytes.
    var count: Int { self.header }

    /// Bytes this holds, for the label cache's accounting.
    var bytes: Int { self.count + 32 }

    func withBytes<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        self.withUnsafeMutablePointers { count, bytes in body(UnsafeBufferPointer(start: bytes, count: count.pointee)) }
    }

    /// Whether these are exactly `labels` (names and values, in order): a walk over the packed
    /// fields, each string compared byte by byte.
    func equals(_ labels: Labels) -> Bool {
        self.withBytes { packed in
            var cursor = 0
            for pair in labels.pairs {
                // Each label: tag 1, length, then the Label message: tag 1 name, tag 2 value.
                guard cursor < packed.count, packed[cursor] == 0x0a, let (_, afterLength) = Varint.read(packed, at: cursor + 1),
                    let afterName = Self.field(0x0a, pair.name, in: packed, at: afterLength),
                    let afterValue = Self.field(0x12, pair.value, in: packed, at: afterName)
                else { return false }
                cursor = afterValue
            }
            return cursor == packed.count
        }
    }

    /// The position after a string field with this tag and content, or `nil` when it differs.
    private static func field(_ tag: UInt8, _ string: String, in packed: UnsafeBufferPointer<UInt8>, at start: Int) -> Int? {
        guard start < packed.count, packed[start] == tag, let (length, body) = Varint.read(packed, at: start + 1) else { return nil }
        let end = body + Int(length)
        guard end <= packed.count else { return nil }
        var string = string
        let same = string.withUTF8 { utf8 in
            guard utf8.count == Int(length) else { return false }
            // Label strings are short: a loop beats a call to memcmp.
            for index in 0..<utf8.count where utf8[index] != packed[body + index] { return false }
            return true
        }
        return same ? end : nil
    }

    /// Runs `body` with a protobuf-c `TimeSeries` holding only these labels, its strings borrowed.
    private static func withTimeSeries<Result>(
        _ pairs: [(name: String, value: String)], _ body: (UnsafePointer<Prometheus__TimeSeries>) -> Result
    ) -> Result {
        let messages = UnsafeMutablePointer<Prometheus__Label>.allocate(capacity: max(1, pairs.count))
        let pointers = UnsafeMutablePointer<UnsafeMutablePointer<Prometheus__Label>?>.allocate(capacity: max(1, pairs.count))
        let strings = pairs.flatMap { [strdup($0.name), strdup($0.value)] }
        defer {
            strings.forEach { free($0) }
            messages.deallocate()
            pointers.deallocate()
        }
        for index in pairs.indices {
            prometheus__label__init(messages + index)
            messages[index].name = strings[2 * index]
            messages[index].value = strings[2 * index + 1]
            pointers[index] = messages + index
        }
        var series = Prometheus__TimeSeries()
        prometheus__time_series__init(&series)
        series.n_labels = pairs.count
        series.labels = pointers
        return body(&series)
    }
}

/// Protobuf's base-128 varints.
enum Varint {
    /// The value at `start` and the position after it, or `nil` when the bytes end first.
    static func read(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> (UInt64, Int)? {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var cursor = start
        while cursor < bytes.count, shift < 64 {
            let byte = bytes[cursor]
            value |= UInt64(byte & 0x7f) << shift
            cursor += 1
            if byte < 0x80 { return (value, cursor) }
            shift += 7
        }
        return nil
    }

    /// How many bytes `value` takes.
    static func size(_ value: UInt64) -> Int {
        max(1, (64 - value.leadingZeroBitCount + 6) / 7)
    }

    /// Writes `value` at `out` and returns the position after it.
    static func write(_ value: UInt64, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var value = value
        var out = out
        while value >= 0x80 {
            out.pointee = UInt8(truncatingIfNeeded: value) | 0x80
            out += 1
            value >>= 7
        }
        out.pointee = UInt8(value)
        return out + 1
    }
}
