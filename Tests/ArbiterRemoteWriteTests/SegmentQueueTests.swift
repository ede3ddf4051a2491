import ArbiterTesting
import Foundation
@testable import ArbiterRemoteWrite
import Testing

/// The disk queue: what was appended survives reopening, acknowledged records are gone for good,
/// a damaged tail is cut at the last good record and counted, and the budget drops the oldest.
@Suite struct SegmentQueueTests {
    static func blocks(_ count: Int, bytes: Int = 100, samples: Int = 10) -> [RoundEncoder.Block] {
        (0..<count).map { index in RoundEncoder.Block(payload: [UInt8](repeating: UInt8(index), count: bytes), samples: samples) }
    }

    /// Changes the bytes of the queue's first segment file, as damage on disk would.
    static func rewriteSegment(in directory: TemporaryDirectory, _ change: (inout [UInt8]) -> Void) throws {
        let segment = try #require(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".seg") }.min())
        let url = URL(fileURLWithPath: directory.file(segment))
        var bytes = [UInt8](try Data(contentsOf: url))
        change(&bytes)
        try Data(bytes).write(to: url)
    }

    @Test func recordsSurviveReopeningUntilAcknowledged() throws {
        let directory = try TemporaryDirectory(prefix: "queue")
        defer { directory.remove() }
        var queue = try SegmentQueue(directory: directory.path, maxBytes: 1 << 20)
        try queue.append(Self.blocks(2), round: 1, timestamp: 1_000)
        try queue.append(Self.blocks(3), round: 2, timestamp: 2_000)
        queue = try SegmentQueue(directory: directory.path, maxBytes: 1 << 20)
        #expect(queue.recovery == .init(records: 5, truncations: 0, bytesTruncated: 0))
        let first = try queue.nextBatch(maxSamples: 1).records
        #expect(first.count == 2 && first.allSatisfy { $0.record.round == 1 && $0.payload.count == 100 })
        #expect(first[1].payload == [UInt8](repeating: 1, count: 100))
        try queue.acknowledge(upTo: first.last!.record.end)
        queue = try SegmentQueue(directory: directory.path, maxBytes: 1 << 20)
        let second = try queue.nextBatch(maxSamples: 1).records
        #expect(second.count == 3 && second[0].record.timestamp == 2_000)
        #expect(queue.pendingSamples == 30)
    }

    @Test func waitingRoundsOfOneRequestEachAreBatchedUpToTheLimit() throws {
        let directory = try TemporaryDirectory(prefix: "queue")
        defer { directory.remove() }
        let queue = try SegmentQueue(directory: directory.path, maxBytes: 1 << 20)
        for (round, requests) in [1, 1, 1, 2, 1].enumerated() {
            try queue.append(Self.blocks(requests), round: UInt64(round + 1), timestamp: Int64(round + 1) * 1_000)
        }
        var batches: [[UInt64]] = []
        var rounds: [Int] = []
        while case let batch = try queue.nextBatch(maxSamples: 25), let last = batch.records.last {
            batches.append(batch.records.map(\.record.round))
            rounds.append(batch.rounds)
            try queue.acknowledge(upTo: last.record.end)
        }
        // Rounds 1 and 2 fit in 25 samples, 3 would not; round 4 has two requests and goes alone.
        #expect(batches == [[1, 2], [3], [4, 4], [5]] && rounds == [2, 1, 1, 1])
        // A clock that steps back still gets a new round: the two never pass for one.
        try queue.append(Self.blocks(1), round: 9, timestamp: 9_000)
        try queue.append(Self.blocks(1), round: 8, timestamp: 8_000)
        #expect(queue.records.map(\.round) == [9, 10])
        #expect(try queue.nextBatch(maxSamples: 1).rounds == 1)
    }

    @Test("a torn or corrupt tail is cut at the last good record", arguments: ["appended", "truncated", "flipped"])
    func aDamagedTailIsRepaired(damage: String) throws {
        let directory = try TemporaryDirectory(prefix: "queue")
        defer { directory.remove() }
        var queue = try SegmentQueue(directory: directory.path, maxBytes: 1 << 20)
        try queue.append(Self.blocks(4), round: 1, timestamp: 1_000)
        try Self.rewriteSegment(in: directory) { bytes in
            switch damage {
            case "appended": bytes += [0x40, 0, 0, 0, 1, 2, 3]
            case "truncated": bytes.removeLast(30)
            default: bytes[bytes.count - 5] ^= 0xff
            }
        }
        queue = try SegmentQueue(directory: directory.path, maxBytes: 1 << 20)
        #expect(queue.recovery.truncations == 1)
        #expect(queue.recovery.records == (damage == "appended" ? 4 : 3))
        // New records go after the repaired tail and read back whole.
        try queue.append(Self.blocks(1, bytes: 50), round: 2, timestamp: 2_000)
        queue = try SegmentQueue(directory: directory.path, maxBytes: 1 << 20)
        #expect(queue.recovery.truncations == 0 && queue.records.last?.round == 2)
    }

    @Test func damageToWhatWasAlreadyAcknowledgedCostsNothing() throws {
        let directory = try TemporaryDirectory(prefix: "queue")
        defer { directory.remove() }
        var queue = try SegmentQueue(directory: directory.path, maxBytes: 1 << 20)
        try queue.append(Self.blocks(1), round: 1, timestamp: 1_000)
        try queue.append(Self.blocks(3), round: 2, timestamp: 2_000)
        try queue.acknowledge(upTo: try queue.nextBatch(maxSamples: 1).records.last!.record.end)
        // A flipped byte inside round 1, delivered and acknowledged, in the segment still being written.
        try Self.rewriteSegment(in: directory) { $0[40] ^= 0xff }
        queue = try SegmentQueue(directory: directory.path, maxBytes: 1 << 20)
        #expect(queue.recovery == .init(records: 3, truncations: 0, bytesTruncated: 0))
        #expect(queue.records.map(\.round) == [2, 2, 2] && queue.pendingSamples == 30)
    }

    @Test func aLongBacklogDrainsRoundByRoundWithItsCountsRight() throws {
        let directory = try TemporaryDirectory(prefix: "queue")
        defer { directory.remove() }
        var queue = try SegmentQueue(directory: directory.path, maxBytes: 64 << 20)
        for round in 1...3_000 { try queue.append(Self.blocks(1, bytes: 20, samples: 2), round: UInt64(round), timestamp: Int64(round)) }
        #expect(queue.pendingSamples == 6_000)
        for expected in 1...2_500 {
            let next = try queue.nextBatch(maxSamples: 1).records
            #expect(next.count == 1 && next[0].record.round == UInt64(expected))
            try queue.acknowledge(upTo: next[0].record.end)
        }
        #expect(queue.pendingSamples == 1_000 && queue.records.count == 500)
        queue = try SegmentQueue(directory: directory.path, maxBytes: 64 << 20)
        #expect(queue.records.first?.round == 2_501 && queue.pendingSamples == 1_000)
    }

    @Test func overTheBudgetTheOldestSegmentsGoAndAreCounted() throws {
        let directory = try TemporaryDirectory(prefix: "queue")
        defer { directory.remove() }
        // 64 KiB budget, 16 KiB segments: each round of 10 KiB fills most of one.
        let queue = try SegmentQueue(directory: directory.path, maxBytes: 64 * 1024)
        var dropped = 0
        for round in 1...20 { dropped += try queue.append(Self.blocks(10, bytes: 1_000), round: UInt64(round), timestamp: Int64(round)) }
        #expect(dropped > 0 && queue.bytes <= 64 * 1024)
        #expect(queue.records.first!.round > 1 && queue.records.last!.round == 20)
        #expect(dropped + queue.pendingSamples == 20 * 10 * 10)
    }

    @Test func roundsLargerThanASegmentStayWithinTheBudget() throws {
        let directory = try TemporaryDirectory(prefix: "queue")
        defer { directory.remove() }
        // 64 KiB budget, 16 KiB segments, rounds of 40 KB: two never fit, so each new round replaces the last.
        let queue = try SegmentQueue(directory: directory.path, maxBytes: 64 * 1024)
        var dropped = 0
        for round in 1...5 {
            dropped += try queue.append(Self.blocks(4, bytes: 10_000), round: UInt64(round), timestamp: Int64(round))
            #expect(queue.bytes <= 64 * 1024, "\(queue.bytes) bytes after round \(round)")
        }
        #expect(queue.records.map(\.round) == [5, 5, 5, 5] && dropped == 4 * 4 * 10)
    }

    @Test func samplesTheSenderHoldsAreNotCountedAsDroppedWhenTheBudgetTakesThem() throws {
        let directory = try TemporaryDirectory(prefix: "queue")
        defer { directory.remove() }
        let queue = try SegmentQueue(directory: directory.path, maxBytes: 64 * 1024)
        try queue.append(Self.blocks(4, bytes: 10_000), round: 1, timestamp: 1)
        let sending = try queue.nextBatch(maxSamples: 1).records
        #expect(sending.count == 4)
        // Round 2 pushes round 1 out while it is being sent: the sender counts it, as sent or failed.
        #expect(try queue.append(Self.blocks(4, bytes: 10_000), round: 2, timestamp: 2) == 0)
        #expect(queue.pendingSamples == 40 && queue.records.first?.round == 2)
        try queue.acknowledge(upTo: sending.last!.record.end)
        #expect(queue.records.first?.round == 2)
        // Round 3 pushes round 2 out before the sender took it: those are dropped.
        #expect(try queue.append(Self.blocks(4, bytes: 10_000), round: 3, timestamp: 3) == 40)
    }
}
