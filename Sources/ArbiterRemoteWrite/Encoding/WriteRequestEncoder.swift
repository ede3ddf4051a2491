import CArbiterProto

/// Packs samples into a remote-write 1.0 `WriteRequest` with protobuf-c and compresses it with
/// snappy. One sample per series, as a sampling round has; its scratch messages are allocated once
/// for `capacity` samples and reused for every request.
final class WriteRequestEncoder {
    let capacity: Int
    private let series: UnsafeMutablePointer<Prometheus__TimeSeries>
    private let seriesPointers: UnsafeMutablePointer<UnsafeMutablePointer<Prometheus__TimeSeries>?>
    private let samples: UnsafeMutablePointer<Prometheus__Sample>
    private let samplePointers: UnsafeMutablePointer<UnsafeMutablePointer<Prometheus__Sample>?>
    private var packed: [UInt8] = []

    init(capacity: Int) {
        self.capacity = max(1, capacity)
        self.series = .allocate(capacity: self.capacity)
        self.seriesPointers = .allocate(capacity: self.capacity)
        self.samples = .allocate(capacity: self.capacity)
        self.samplePointers = .allocate(capacity: self.capacity)
        for index in 0..<self.capacity {
            prometheus__time_series__init(self.series + index)
            prometheus__sample__init(self.samples + index)
            self.seriesPointers[index] = self.series + index
            self.samplePointers[index] = self.samples + index
            self.series[index].n_samples = 1
            self.series[index].samples = self.samplePointers + index
        }
    }

    deinit {
        self.series.deallocate()
        self.seriesPointers.deallocate()
        self.samples.deallocate()
        self.samplePointers.deallocate()
    }

    /// The snappy-compressed request for `batch` (at most `capacity` entries, labels sorted).
    func encode(_ batch: ArraySlice<(labels: SeriesLabels, value: Double)>, timestamp: Int64) -> [UInt8] {
        precondition(batch.count <= self.capacity)
        for (index, entry) in batch.enumerated() {
            self.series[index].n_labels = entry.labels.count
            self.series[index].labels = entry.labels.pointers
            self.samples[index].value = entry.value
            self.samples[index].timestamp = timestamp
        }
        var request = Prometheus__WriteRequest()
        prometheus__write_request__init(&request)
        request.n_timeseries = batch.count
        request.timeseries = self.seriesPointers
        let size = prometheus__write_request__get_packed_size(&request)
        if self.packed.count < size { self.packed = [UInt8](repeating: 0, count: size) }
        return self.packed.withUnsafeMutableBufferPointer { buffer in
            let written = prometheus__write_request__pack(&request, buffer.baseAddress)
            return Snappy.compress(UnsafeRawBufferPointer(start: buffer.baseAddress, count: written))
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
