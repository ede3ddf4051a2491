import ArbiterPromQL
import ArbiterTSDB
import Synchronization

/// The series a group's evaluation has read, kept for the rest of that evaluation: the rules of a
/// group often select the same series (five rules over one counter, over one-minute and
/// five-minute windows), and decoding them once is most of the saving. Each selection is fetched
/// over the widest window any rule of the group reads it with (planned before the round), and
/// served to every rule: the engine finds its own window inside. A rule's output invalidates what
/// it could change: cached selections with its metric name, and those that name no metric.
final class EvaluationCache: Queryable, SampleAppender {
    private struct Entry {
        var from: Int64
        var to: Int64
        var series: [Series]
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var byName: [String: Set<String>] = [:]
        var unnamed: Set<String> = []
    }

    private let storage: any RuleStorage
    private let planned: [String: (from: Int64, to: Int64)]
    private let state = Mutex(State())

    /// - Parameter planned: The window each selection key is read over in this round.
    init(_ storage: any RuleStorage, planned: [String: (from: Int64, to: Int64)] = [:]) {
        self.storage = storage
        self.planned = planned
    }

    var returnsSortedSeries: Bool { true }

    func series(matching matchers: [LabelMatcher], from: Int64, to: Int64) -> [Series] {
        let key = matchers.selectionKey
        let cached = self.state.withLock { $0.entries[key] }
        if let cached, cached.from <= from, cached.to >= to { return cached.series }
        var window = (from: from, to: to)
        if let plan = self.planned[key] { window = (min(window.from, plan.from), max(window.to, plan.to)) }
        if let cached { window = (min(window.from, cached.from), max(window.to, cached.to)) }
        var fetched = self.storage.series(matching: matchers, from: window.from, to: window.to).sorted { $0.labels < $1.labels }
        for index in fetched.indices { fetched[index].unnamedLabels = fetched[index].labels.droppingMetricName }
        let name = matchers.first { $0.name == Labels.metricName && $0.kind == .equal }?.value
        self.state.withLock { state in
            state.entries[key] = Entry(from: window.from, to: window.to, series: fetched)
            if let name { state.byName[name, default: []].insert(key) } else { state.unnamed.insert(key) }
        }
        return fetched
    }

    @discardableResult
    func append(_ labels: Labels, _ timestamp: Int64, _ value: Double) -> Bool {
        let name = labels[Labels.metricName] ?? ""
        self.state.withLock { state in
            guard !state.entries.isEmpty else { return }
            for key in state.byName.removeValue(forKey: name) ?? [] { state.entries[key] = nil }
            for key in state.unnamed { state.entries[key] = nil }
            state.unnamed = []
        }
        return self.storage.append(labels, timestamp, value)
    }
}
