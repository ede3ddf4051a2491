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
