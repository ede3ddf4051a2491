@testable import ArbiterTSDB
import Testing

/// The head: rounds, staleness markers, the series limit, retention, and selection by all four
/// matcher kinds through the postings index.
@Suite struct HeadTests {
    func labels(_ name: String, _ pairs: [String: String] = [:]) -> Labels {
        Labels(pairs.merging([Labels.metricName: name]) { first, _ in first })
    }

    func matcher(_ name: String, _ kind: LabelMatcher.Kind, _ value: String) -> LabelMatcher {
        try! LabelMatcher(name, kind, value)
    }

    @Test func labelsAreSortedUniqueAndDropEmptyValues() {
        let labels = Labels([("b", "2"), ("a", "1"), ("a", "3"), ("c", "")])
        #expect(labels.pairs.map(\.name) == ["a", "b"] && labels["a"] == "3")
        #expect(Labels(["__name__": "up", "job": "x"]).description == #"up{job="x"}"#)
    }

    @Test func aSeriesMissingFromARoundIsMarkedStaleOnce() {
        let head = Head()
        let a = self.labels("jobs", ["state": "queued"])
        let b = self.labels("jobs", ["state": "running"])
        #expect(head.append(round: [(a, 1), (b, 2)], at: 1000) == Head.Round(appended: 2))
        #expect(head.append(round: [(a, 3)], at: 6000) == Head.Round(appended: 1, staleMarked: 1))
        #expect(head.append(round: [(a, 4)], at: 11000) == Head.Round(appended: 1))
        let running = head.select([self.matcher("state", .equal, "running")], from: 0, to: 20000)
        #expect(running.count == 1 && running[0].samples.count == 2)
        #expect(running[0].samples[1].timestamp == 6000 && StaleNaN.isStale(running[0].samples[1].value))
        // It comes back: a real sample again, and stale again when it goes.
        head.append(round: [(a, 5), (b, 7)], at: 16000)
        #expect(head.append(round: [(a, 6)], at: 21000).staleMarked == 1)
        #expect(head.append(round: [(a, 1)], at: 21000).outOfOrder == 1)
    }

    @Test func newSeriesBeyondTheLimitAreDroppedAndCounted() {
        let head = Head(options: .init(maxSeries: 2))
        let round = head.append(round: (0..<5).map { (self.labels("s", ["i": "\($0)"]), 1.0) }, at: 1000)
        #expect(round.appended == 2 && round.droppedOverLimit == 3)
        #expect(head.statistics().series == 2)
    }

    @Test func retentionDropsOldChunksAndEmptySeries() {
        let head = Head(options: .init(retention: .seconds(600)))
        let old = self.labels("old")
        let kept = self.labels("kept")
        head.append(round: [(old, 1), (kept, 1)], at: 0)
        // Fill `kept` past a chunk so its first chunk can go while the series stays.
        for step in 1...130 { head.append(round: [(kept, Double(step))], at: Int64(step) * 5000) }
        // The first chunk ends at 595 s: a cutoff of 600 s drops it and keeps the second.
        head.truncate(now: 1_200_000)
        #expect(head.select([self.matcher(Labels.metricName, .equal, "old")], from: 0, to: .max).isEmpty)
        #expect(!head.labelValues(Labels.metricName).contains("old"))
        let left = head.select([self.matcher(Labels.metricName, .equal, "kept")], from: 0, to: .max)
        #expect(left.count == 1 && left[0].samples.first!.timestamp == 600_000 && left[0].samples.count == 11)
    }

    @Test func selectorsMatchAsPrometheusDoes() {
        let head = Head()
        head.append(round: [
            (self.labels("http", ["code": "200", "method": "GET"]), 1),
            (self.labels("http", ["code": "500", "method": "GET"]), 2),
            (self.labels("http", ["code": "503", "method": "POST"]), 3),
            (self.labels("http", ["method": "GET"]), 4),
            (self.labels("other", ["code": "200"]), 5),
        ], at: 1000)
        func values(_ matchers: [LabelMatcher]) -> [Double] {
            head.select(matchers, from: 0, to: 2000).map { $0.samples[0].value }.sorted()
        }
        let http = self.matcher(Labels.metricName, .equal, "http")
        #expect(values([http, self.matcher("code", .equal, "200")]) == [1])
        #expect(values([http, self.matcher("code", .regex, "5..")]) == [2, 3])
        #expect(values([http, self.matcher("code", .notEqual, "200")]) == [2, 3, 4], "no label counts as empty")
        #expect(values([http, self.matcher("code", .notRegex, "5.*")]) == [1, 4])
        #expect(values([http, self.matcher("code", .equal, "")]) == [4])
        #expect(values([http, self.matcher("code", .regex, "")]) == [4])
        #expect(values([http, self.matcher("code", .regex, "2.*|")]) == [1, 4])
        #expect(values([self.matcher("code", .regex, "20")]) == [], "regexes are anchored")
        #expect(values([self.matcher(Labels.metricName, .regex, ".+")]) == [1, 2, 3, 4, 5])
        #expect(head.labelNames() == ["__name__", "code", "method"])
        #expect(head.labelValues("code") == ["200", "500", "503"])
        #expect(throws: MatcherError.self) { try LabelMatcher("code", .regex, "(") }
    }

    @Test func postingsListsMergeIntersectAndSubtract() {
        #expect(Postings.merge([1, 3, 5], [2, 3, 6]) == [1, 2, 3, 5, 6])
        #expect(Postings.intersect([1, 3, 5, 7], [3, 4, 7]) == [3, 7])
        #expect(Postings.subtract([1, 2, 3, 4], [2, 4, 9]) == [1, 3])
    }

    @Test func aMinuteOfFiveSecondRoundsStaysUnderTwoBytesASample() {
        let head = Head()
        let series = (0..<1000).map { self.labels("s", ["i": "\($0)"]) }
        for round in 0..<240 {
            head.append(round: series.enumerated().map { ($0.element, Double(round * ($0.offset % 7))) }, at: 1_700_000_000_000 + Int64(round) * 5000)
        }
        let statistics = head.statistics()
        #expect(statistics.samplesAppended == 240_000)
        #expect(Double(statistics.chunkBytes) / Double(statistics.samplesAppended) < 2, "\(statistics.chunkBytes) bytes")
    }

    @Test func aSeriesSwitchingBetweenWholeNumbersAndFractionsKeepsEverySample() {
        let head = Head()
        let series = self.labels("mixed")
        let values: [Double] = [1, 2, 3, 3.5, 4, 5, StaleNaN.value, 6, 7.25, 8]
        for (index, value) in values.enumerated() { head.append(series, Int64(index) * 1000, value) }
        let got = head.select([self.matcher(Labels.metricName, .equal, "mixed")], from: 0, to: .max)[0].samples
        #expect(got.map(\.timestamp) == (0..<10).map { Int64($0) * 1000 })
        #expect(zip(got.map(\.value), values).allSatisfy { $0.bitPattern == $1.bitPattern })
        // Only the part after the window's start comes back.
        let window = head.select([self.matcher(Labels.metricName, .equal, "mixed")], from: 3000, to: 5000)[0].samples
        #expect(window.map(\.value) == [3.5, 4, 5])
    }
}
