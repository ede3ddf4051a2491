/// What a family is, fixed at registration, with its metadata lines pre-rendered for both formats.
public struct FamilyDescriptor: Sendable, Equatable {
    /// The family name: for counters without the `_total` suffix their samples carry.
    public let name: String
    /// The help text.
    public let help: String
    /// The unit (a suffix of the name, such as `seconds`), or empty.
    public let unit: String
    /// The family's type.
    public let kind: MetricKind
    /// Label names, in the order values are given.
    public let labelNames: [String]
    /// Bucket bounds, for histograms.
    public let buckets: HistogramBuckets?

    /// `# HELP`/`# TYPE` lines for text 0.0.4.
    let textHeader: [UInt8]
    /// `# HELP`/`# TYPE`/`# UNIT` lines for OpenMetrics.
    let openMetricsHeader: [UInt8]

    /// The names this family's samples use; no other family may use them.
    var sampleNames: [String] {
        switch self.kind {
        case .counter: [self.name + "_total"]
        case .gauge: [self.name]
        case .histogram: [self.name + "_bucket", self.name + "_sum", self.name + "_count"]
        }
    }

    /// The name on the text format's metadata lines: Go clients use the registered name, which for a
    /// counter ends in `_total`.
    var textName: String { self.kind == .counter ? self.name + "_total" : self.name }

    init(name: String, help: String, unit: String, kind: MetricKind, labelNames: [String], buckets: HistogramBuckets? = nil) {
        self.name = name
        self.help = help
        self.unit = unit
        self.kind = kind
        self.labelNames = labelNames
        self.buckets = buckets
        self.textHeader = Self.header(name: kind == .counter ? name + "_total" : name, help: help, unit: "", kind: kind, openMetrics: false)
        self.openMetricsHeader = Self.header(name: name, help: help, unit: unit, kind: kind, openMetrics: true)
    }

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.name == rhs.name && lhs.help == rhs.help && lhs.unit == rhs.unit && lhs.kind == rhs.kind && lhs.labelNames == rhs.labelNames
            && lhs.buckets == rhs.buckets
    }

    private static func header(name: String, help: String, unit: String, kind: MetricKind, openMetrics: Bool) -> [UInt8] {
        var out: [UInt8] = []
        if !help.isEmpty {
            out.append(contentsOf: "# HELP \(name) ".utf8)
            LabelText.appendEscapedHelp(help, openMetrics: openMetrics, to: &out)
            out.append(UInt8(ascii: "\n"))
        }
        out.append(contentsOf: "# TYPE \(name) \(kind.rawValue)\n".utf8)
        if openMetrics && !unit.isEmpty {
            out.append(contentsOf: "# UNIT \(name) \(unit)\n".utf8)
        }
        return out
    }
}
