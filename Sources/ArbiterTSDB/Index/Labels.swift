/// A series' identity: label pairs sorted by name, names unique. `__name__` is the metric name.
public struct Labels: Sendable, Hashable, CustomStringConvertible {
    public let pairs: [(name: String, value: String)]

    public static let metricName = "__name__"

    /// Sorts by name; a later duplicate name replaces an earlier one; empty values are dropped (in
    /// PromQL an empty label is the same as no label).
    public init(_ pairs: [(String, String)]) {
        // Most label sets arrive sorted, unique and without empty values (the registry renders them
        // so): keep them as they are without building a dictionary.
        var ordered = true
        for index in pairs.indices where ordered {
            ordered = !pairs[index].1.isEmpty
                && (index == 0 || pairs[index - 1].0.utf8.lexicographicallyPrecedes(pairs[index].0.utf8))
        }
        if ordered {
            self.pairs = pairs.map { (name: $0.0, value: $0.1) }
            return
        }
        var byName: [String: String] = [:]
        for (name, value) in pairs { byName[name] = value }
        self.pairs = byName.filter { !$0.value.isEmpty }.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { (name: $0.key, value: $0.value) }
    }

    /// Pairs known to be sorted by name, unique and non-empty (taken from another label set).
    init(sortedUnique pairs: [(name: String, value: String)]) {
        self.pairs = pairs
    }

    /// The pairs whose names `keep` accepts (no re-sorting: the order is kept).
    public func filter(_ keep: (String) -> Bool) -> Labels {
        Labels(sortedUnique: self.pairs.filter { keep($0.name) })
    }

    public init(_ dictionary: [String: String]) {
        self.init(dictionary.map { ($0.key, $0.value) })
    }

    public subscript(name: String) -> String? {
        self.pairs.first { $0.name == name }?.value
    }

    /// Whether both hold the very same stored pairs (one was copied from the other): a pointer
    /// comparison, where `==` compares every name and value.
    public func sharesStorage(with other: Labels) -> Bool {
        self.pairs.withUnsafeBufferPointer { mine in other.pairs.withUnsafeBufferPointer { mine.baseAddress == $0.baseAddress } }
    }

    public static func == (lhs: Labels, rhs: Labels) -> Bool {
        lhs.sharesStorage(with: rhs) || lhs.pairs.count == rhs.pairs.count && zip(lhs.pairs, rhs.pairs).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for pair in self.pairs {
            hasher.combine(pair.name)
            hasher.combine(pair.value)
        }
    }

    /// `name{a="1", b="2"}` as Prometheus prints a series.
    public var description: String {
        let name = self[Self.metricName] ?? ""
        let rest = self.pairs.filter { $0.name != Self.metricName }.map { "\($0.name)=\"\($0.value)\"" }
        return name + "{" + rest.joined(separator: ", ") + "}"
    }
}
