@testable import ArbiterRemoteWrite
import ArbiterTSDB
import Testing

/// Rounds become remote-write 1.0 requests: protobuf through protobuf-c, snappy block format,
/// labels sorted and unique with external labels merged, relabelling, staleness markers.
@Suite struct RoundEncoderTests {
    static func series(_ name: String, _ pairs: [(String, String)] = []) -> Labels {
        Labels([("__name__", name)] + pairs)
    }

    func decode(_ blocks: [RoundEncoder.Block]) throws -> [DecodedWriteRequest.Series] {
        try blocks.flatMap { try #require(DecodedWriteRequest(compressed: $0.payload)).series }
    }

    @Test func aRoundIsSplitIntoRequestsThatDecodeBack() throws {
        let encoder = RoundEncoder(externalLabels: [:], relabel: [], maxSamplesPerSend: 2)
        let round = (0..<5).map { (Self.series("up", [("instance", "i\($0)")]), Double($0)) }
        let blocks = encoder.encode(round, at: 1_000)
        #expect(blocks.map(\.samples) == [2, 2, 1])
        let decoded = try self.decode(blocks)
        #expect(decoded.count == 5)
        #expect(decoded[3].labels.elementsEqual([("__name__", "up"), ("instance", "i3")], by: ==))
        #expect(decoded[3].samples.count == 1 && decoded[3].samples[0].timestamp == 1_000 && decoded[3].samples[0].value == 3)
    }

    @Test func externalLabelsMergeSortedAndTheSeriesOwnWin() throws {
        let encoder = RoundEncoder(externalLabels: ["region": "eu", "job": "arbiter", "a": "1"], relabel: [], maxSamplesPerSend: 10)
        let decoded = try self.decode(encoder.encode([(Self.series("up", [("job", "mine")]), 1)], at: 5))
        #expect(decoded[0].labels.map(\.0) == ["__name__", "a", "job", "region"])
        #expect(decoded[0].labels.first { $0.0 == "job" }?.1 == "mine")
    }

    @Test func relabellingKeepsDropsAndRemovesLabels() throws {
        let relabel: [RelabelRule] = [
            .drop(sourceLabels: ["__name__"], separator: ";", regex: try AnchoredRegex("go_.*")),
            .keep(sourceLabels: ["__name__", "job_type"], separator: ";", regex: try AnchoredRegex("arbiter_.*;(build|)")),
            .labelDrop(regex: try AnchoredRegex("instance")),
        ]
        let encoder = RoundEncoder(externalLabels: [:], relabel: relabel, maxSamplesPerSend: 10)
        let round: [(Labels, Double)] = [
            (Self.series("go_goroutines"), 1), (Self.series("arbiter_jobs", [("job_type", "build"), ("instance", "x")]), 2),
            (Self.series("arbiter_jobs", [("job_type", "mail")]), 3), (Self.series("arbiter_up"), 4),
        ]
        let decoded = try self.decode(encoder.encode(round, at: 5))
        #expect(decoded.map { $0.samples[0].value } == [2, 4])
        #expect(decoded[0].labels.elementsEqual([("__name__", "arbiter_jobs"), ("job_type", "build")], by: ==))
        #expect(encoder.droppedSeries == 2)
    }

    @Test func aSeriesThatGoesAwayEndsWithAStalenessMarkerOnce() throws {
        let encoder = RoundEncoder(externalLabels: [:], relabel: [], maxSamplesPerSend: 10)
        _ = encoder.encode([(Self.series("a"), 1), (Self.series("b"), 2)], at: 1_000)
        let second = try self.decode(encoder.encode([(Self.series("a"), 1)], at: 2_000))
        #expect(second.count == 2)
        let marker = try #require(second.first { $0.labels.contains { $0 == ("__name__", "b") } })
        #expect(marker.samples[0].value.bitPattern == StaleNaN.bits && marker.samples[0].timestamp == 2_000)
        #expect(try self.decode(encoder.encode([(Self.series("a"), 1)], at: 3_000)).count == 1)
    }

    @Test func snappyRoundTripsAndRefusesGarbage() {
        let text = Array(String(repeating: "arbiter_jobs_total ", count: 100).utf8)
        let compressed = Snappy.compress(text)
        #expect(compressed.count < text.count / 5)
        #expect(Snappy.uncompress(compressed) == text)
        #expect(Snappy.uncompress([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]) == nil)
    }
}

/// The series index: colliding hashes, removal from the middle of a run, growth.
@Suite struct HashSlotsTests {
    @Test func collisionsRemovalAndGrowth() {
        var table = HashSlots(capacity: 16)
        // Three entries under one hash and one whose home is taken by them.
        for slot in 0..<3 { table.insert(42, slot: slot) }
        table.insert(43, slot: 3)
        #expect(table.first(42) { $0 == 2 } == 2 && table.first(43) { _ in true } == 3)
        table.remove(42, slot: 0)
        #expect(table.first(42) { $0 == 0 } == nil && table.first(42) { $0 == 2 } == 2 && table.first(43) { _ in true } == 3)
        for slot in 4..<1_000 { table.insert(UInt64(slot) &* 0x9E37_79B9_7F4A_7C15, slot: slot) }
        #expect(table.count == 999)
        #expect((4..<1_000).allSatisfy { slot in table.first(UInt64(slot) &* 0x9E37_79B9_7F4A_7C15) { $0 == slot } == slot })
        #expect(table.first(0) { _ in true } == nil)
    }
}
