import CArbiterProto

/// Assembles remote-write 1.0 `WriteRequest`s and compresses them with snappy. Each series' labels
/// were packed by protobuf-c once (``PackedLabels``); a request is their concatenation, each framed
/// as a `TimeSeries` with its one sample. Protobuf defines a message's encoding as the concatenation
/// of its fields, so this is byte for byte what protobuf-c packs for the same request (a test checks
/// it), without walking every label twice per round.
final class WriteRequestEncoder {
    let capacity: Int
    private var packed: [UInt8] = []

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The snappy-compressed request for `batch` (at most `capacity` entries).
    func encode(_ batch: ArraySlice<(labels: PackedLabels, value: Double)>, timestamp: Int64) -> [UInt8] {
        precondition(batch.count <= self.capacity)
        // proto3 leaves out fields at their zero value, as protobuf-c does: a value of ±0 and a
        // timestamp of 0 are not written.
        let stamp = UInt64(bitPattern: timestamp)
        let stampBytes = timestamp == 0 ? 0 : 1 + Varint.size(stamp)
        var size = 0
        for entry in batch {
            let sample = (entry.value == 0 ? 0 : 9) + stampBytes
            let series = entry.labels.count + 1 + Varint.size(UInt64(sample)) + sample
            size += 1 + Varint.size(UInt64(series)) + series
        }
        if self.packed.count < size { self.packed = [UInt8](repeating: 0, count: size) }
        return self.packed.withUnsafeMutableBufferPointer { buffer in
            var out = buffer.baseAddress!
            for entry in batch {
                let sample = (entry.value == 0 ? 0 : 9) + stampBytes
                // WriteRequest.timeseries (1), length-delimited.
                out.pointee = 0x0a
                out = Varint.write(UInt64(entry.labels.count + 1 + Varint.size(UInt64(sample)) + sample), to: out + 1)
                entry.labels.withBytes { labels in
                    if let base = labels.baseAddress { out.update(from: base, count: labels.count) }
                    out += labels.count
                }
                // TimeSeries.samples (2), length-delimited: Sample.value (1, fixed64), Sample.timestamp (2, varint).
                out.pointee = 0x12
                out = Varint.write(UInt64(sample), to: out + 1)
                if entry.value != 0 {
                    out.pointee = 0x09
                    var bits = entry.value.bitPattern.littleEndian
                    withUnsafeBytes(of: &bits) { UnsafeMutableRawPointer(out + 1).copyMemory(from: $0.baseAddress!, byteCount: 8) }
                    out += 9
                }
                if timestamp != 0 {
                    out.pointee = 0x10
                    out = Varint.write(stamp, to: out + 1)
                }
            }
            precondition(out - buffer.baseAddress! == size, "the request's size was computed before it was written")
            return Snappy.compress(UnsafeRawBufferPointer(start: buffer.baseAddress, count: size))
        }
    }
}

/// A decoded request, for tests and the fault-injecting receiver.
public struct DecodedWriteRequest: Sendable, Equatable {
    public struct Series: Sendable, Equatable {
        public var labels: [(String, String)]
        public var samples: [(timestamp: Int64, value: Double)]

        public static func == (lhs: Series, rhs: Series) -> Bool {
            lhs.labels.elementsEqual(rhs.labels, by: ==)
                && lhs.samples.elementsEqual(rhs.samples) { $0.timestamp == $1.timestamp && $0.value.bitPattern == $1.value.bitPattern }
        }
    }

    public var series: [Series]

    /// Decodes a snappy-compressed `WriteRequest`; `nil` when it is not one.
    public init?(compressed: [UInt8]) {
        guard let raw = Snappy.uncompress(compressed) else { return nil }
        guard let request = raw.withUnsafeBufferPointer({ prometheus__write_request__unpack(nil, $0.count, $0.baseAddress) }) else { return nil }
        defer { prometheus__write_request__free_unpacked(request, nil) }
        self.series = (0..<request.pointee.n_timeseries).map { index in
            let series = request.pointee.timeseries[index]!.pointee
            return Series(
                labels: (0..<series.n_labels).map { (String(cString: series.labels[$0]!.pointee.name), String(cString: series.labels[$0]!.pointee.value)) },
                samples: (0..<series.n_samples).map { (series.samples[$0]!.pointee.timestamp, series.samples[$0]!.pointee.value) })
        }
    }
}
