import ArbiterPromQL
import ArbiterTSDB
import Synchronization

/// The series a group's evaluation has read, kept for the rest of that evaluation: the rules of a
/// group often select the same series over the same window (five rules over one counter), and
/// decoding them once is most of the saving. A rule's output invalidates what it could change:
/// cached selections with its metric name, and those that name no metric.
final class EvaluationCache: Queryable, SampleAppender {
    struct Key: Hashable {
        var matchers: String
        var from: Int64
        var to: Int64
    }

    private struct State {
        var entries: [Key: [Series]] = [:]
        var byName: [String: Set<Key>] = [:]
        var unnamed: Set<Key> = []
    }

    private let storage: any RuleStorage
    private let state = Mutex(State())

    init(_ storage: any RuleStorage) {
        self.storage = storage
    }

    var returnsSortedSeries: Bool { true }

    func series(matching matchers: [LabelMatcher], from: Int64, to: Int64) -> [Series] {
        let key = Key(matchers: matchers.map(\.description).joined(separator: ","), from: from, to: to)
        if let hit = self.state.withLock({ $0.entries[key] }) { return hit }
        var fetched = self.storage.series(matching: matchers, from: from, to: to).sorted { $0.labels < $1.labels }
        for index in fetched.indices { fetched[index].unnamedLabels = fetched[index].labels.droppingMetricName }
        let name = matchers.first { $0.name == Labels.metricName && $0.kind == .equal }?.value
        self.state.withLock { state in
            state.entries[key] = fetched
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
