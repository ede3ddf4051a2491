import ArbiterMetrics
import ArbiterTesting
import Foundation
import Testing

/// Writers never wait for a scrape, and a scrape after they finish shows every update.
@Suite struct MetricsConcurrencyTests {
    @Test func twoWritersAndAScraperLoseNothing() async throws {
        let registry = MetricRegistry()
        let counters = try registry.counterFamily("work_total", help: "W.", labelNames: ["worker", "slot"])
        let histogram = try registry.histogram("work_seconds", help: "W.", unit: "seconds")
        let iterations = 200_000
        let scrapes = ScrapeCounter()
        let writersDone = DoneFlag()

        let scraper = Thread {
            var buffer: [UInt8] = []
            while !writersDone.isSet {
                buffer.removeAll(keepingCapacity: true)
                registry.render(.openMetrics, into: &buffer)
                scrapes.add()
            }
        }
        scraper.start()
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<2 {
                group.addTask {
                    let shared = try! counters.labels("shared", "0")
                    for index in 0..<iterations {
                        shared.increment()
                        // New series keep appearing while the scraper walks the table.
                        if index % 100 == 0 { try! counters.labels("w\(worker)", "\(index)").increment() }
                        histogram.observe(0.25)
                    }
                }
            }
        }
        writersDone.set()
        while !scraper.isFinished { try await Task.sleep(for: .milliseconds(5)) }

        var buffer: [UInt8] = []
        registry.render(.text, into: &buffer)
        let text = String(decoding: buffer, as: UTF8.self)
        #expect(ExpositionSamples.value(in: text, "work_total", ["worker": "shared", "slot": "0"]) == "400000")
        #expect(ExpositionSamples.value(in: text, "work_seconds_count") == "400000")
        #expect(ExpositionSamples.value(in: text, "work_seconds_bucket", ["le": "+Inf"]) == "400000")
        #expect(ExpositionSamples.value(in: text, "work_seconds_sum") == "100000")
        #expect(ExpositionSamples.parse(text).filter { $0.name == "work_total" }.count == 1 + 2 * iterations / 100)
        #expect(scrapes.value > 0)
    }
}

final class ScrapeCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func add() { self.lock.withLock { self.count += 1 } }
    var value: Int { self.lock.withLock { self.count } }
}

final class DoneFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var done = false
    func set() { self.lock.withLock { self.done = true } }
    var isSet: Bool { self.lock.withLock { self.done } }
}
