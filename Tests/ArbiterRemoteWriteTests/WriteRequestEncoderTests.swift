@testable import ArbiterRemoteWrite
import ArbiterTSDB
import CArbiterProto
import Glibc
import Testing

/// A request assembled from labels packed once is byte for byte what protobuf-c packs for the same
/// `WriteRequest`, and the round encoder finds its series again when rounds change order.
@Suite struct WriteRequestEncoderTests {
    /// What protobuf-c packs for these series, one sample each: the reference.
    static func reference(_ batch: [([(String, String)], Double)], timestamp: Int64) -> [UInt8] {
        var strings: [UnsafeMutablePointer<CChar>?] = []
        var labels: [UnsafeMutablePointer<Prometheus__Label>] = []
        var labelArrays: [UnsafeMutablePointer<UnsafeMutablePointer<Prometheus__Label>?>] = []
        let series = UnsafeMutablePointer<Prometheus__TimeSeries>.allocate(capacity: batch.count)
        let seriesPointers = UnsafeMutablePointer<UnsafeMutablePointer<Prometheus__TimeSeries>?>.allocate(capacity: batch.count)
        let samples = UnsafeMutablePointer<Prometheus__Sample>.allocate(capacity: batch.count)
        let samplePointers = UnsafeMutablePointer<UnsafeMutablePointer<Prometheus__Sample>?>.allocate(capacity: batch.count)
        defer {
            strings.forEach { free($0) }
            labels.forEach { $0.deallocate() }
            labelArrays.forEach { $0.deallocate() }
            [UnsafeMutableRawPointer(series), UnsafeMutableRawPointer(seriesPointers), UnsafeMutableRawPointer(samples), UnsafeMutableRawPointer(samplePointers)]
                .forEach { $0.deallocate() }
        }
        for (index, (pairs, value)) in batch.enumerated() {
            let array = UnsafeMutablePointer<UnsafeMutablePointer<Prometheus__Label>?>.allocate(capacity: max(1, pairs.count))
            labelArrays.append(array)
            for (position, pair) in pairs.enumerated() {
                let label = UnsafeMutablePointer<Prometheus__Label>.allocate(capacity: 1)
                prometheus__label__init(label)
                label.pointee.name = strdup(pair.0)
                label.pointee.value = strdup(pair.1)
                strings += [label.pointee.name, label.pointee.value]
                labels.append(label)
                array[position] = label
            }
            prometheus__sample__init(samples + index)
            samples[index].value = value
            samples[index].timestamp = timestamp
            samplePointers[index] = samples + index
            prometheus__time_series__init(series + index)
            series[index].n_labels = pairs.count
            series[index].labels = array
            series[index].n_samples = 1
            series[index].samples = samplePointers + index
            seriesPointers[index] = series + index
        }
        var request = Prometheus__WriteRequest()
        prometheus__write_request__init(&request)
        request.n_timeseries = batch.count
        request.timeseries = seriesPointers
        var out = [UInt8](repeating: 0, count: prometheus__write_request__get_packed_size(&request))
        _ = prometheus__write_request__pack(&request, &out)
        return out
    }

    @Test(arguments: [Int64(1_700_000_000_123), 0, -5, 127, 128])
    func assembledRequestsAreWhatProtobufCPacks(timestamp: Int64) throws {
        let long = String(repeating: "v", count: 300)
        let batch: [([(String, String)], Double)] = [
            ([("__name__", "up"), ("instance", "a")], 1),
            ([("__name__", "zero")], 0),
            ([("__name__", "negative_zero")], -0.0),
            ([("__name__", "stale")], StaleNaN.value),
            ([("__name__", "long"), ("l", long)], -1.5e300),
            ([("__name__", "ü_unicode"), ("é", "ß")], .infinity),
        ]
        let encoder = WriteRequestEncoder(capacity: batch.count)
        let packed = batch.map { (labels: PackedLabels.make($0.0.map { (name: $0.0, value: $0.1) }), value: $0.1) }
        let compressed = encoder.encode(packed[...], timestamp: timestamp)
        let assembled = try #require(Snappy.uncompress(compressed))
        #expect(assembled == Self.reference(batch, timestamp: timestamp))
    }

    @Test func roundsInAnotherOrderWithSeriesComingAndGoingSendEachSeriesOnce() throws {
        let encoder = RoundEncoder(externalLabels: [:], relabel: [], maxSamplesPerSend: 1_000)
        func round(_ names: [String]) -> [(Labels, Double)] { names.map { (Labels([("__name__", $0)]), 1) } }
        func sent(_ names: [String], at timestamp: Int64) throws -> [String: Bool] {
            let series = try encoder.encode(round(names), at: timestamp).flatMap { try #require(DecodedWriteRequest(compressed: $0.payload)).series }
            var stale: [String: Bool] = [:]
            for one in series {
                let name = one.labels[0].1
                #expect(stale[name] == nil, "\(name) sent twice at \(timestamp)")
                stale[name] = one.samples[0].value.bitPattern == StaleNaN.bits
            }
            return stale
        }
        let names = (0..<50).map { "s\($0)" }
        #expect(try sent(names, at: 1).count == 50)
        // Reversed, then shuffled with some gone and some new: every series once, the gone ones stale.
        #expect(try sent(names.reversed(), at: 2) == Dictionary(uniqueKeysWithValues: names.map { ($0, false) }))
        var generator = SystemRandomNumberGenerator()
        let next = Array(names.dropFirst(10).shuffled(using: &generator)) + ["new1", "new2"]
        let third = try sent(next, at: 3)
        #expect(third.filter(\.value).keys.sorted() == Array(names.prefix(10)).sorted())
        #expect(third.filter { !$0.value }.count == 42)
        #expect(try sent(next, at: 4).count == 42)
    }

    @Test func mergedRequestsHoldEverySeriesOfEachInOrder() throws {
        let encoder = RoundEncoder(externalLabels: [:], relabel: [], maxSamplesPerSend: 100)
        let round = [(Labels([("__name__", "a")]), 1.0), (Labels([("__name__", "b")]), 2.0)]
        let first = encoder.encode(round, at: 1_000)[0].payload
        let second = encoder.encode(round, at: 2_000)[0].payload
        let payload = try #require(RequestMerge.merge([first, second]))
        let merged = try #require(DecodedWriteRequest(compressed: payload))
        let parts = try [first, second].flatMap { try #require(DecodedWriteRequest(compressed: $0)).series }
        #expect(merged.series == parts)
        #expect(merged.series.map { $0.samples[0].timestamp } == [1_000, 1_000, 2_000, 2_000])
        #expect(RequestMerge.merge([first, [1, 2, 3]]) == nil)
    }
}
