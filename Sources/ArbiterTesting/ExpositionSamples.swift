import ArbiterTSDB

/// Sample lines of a text exposition, so tests can assert on values as written.
public enum ExpositionSamples {
    /// One sample line.
    public struct Sample: Sendable, Equatable {
        public let name: String
        public let labels: [String: String]
        public let value: String
    }

    /// Parses the sample lines of a text 0.0.4 or OpenMetrics exposition (comments are skipped).
    /// - Parameter text: The exposition.
    /// - Returns: Its samples in order; nothing when the text does not parse.
    public static func parse(_ text: String) -> [Sample] {
        ((try? TextExpositionParser.lines(Array(text.utf8))) ?? []).map { line in
            var labels: [String: String] = [:]
            for pair in line.labels.pairs where pair.name != Labels.metricName { labels[pair.name] = pair.value }
            return Sample(name: line.labels[Labels.metricName] ?? "", labels: labels, value: line.value)
        }
    }

    /// The value of the one sample with this name and exactly these labels.
    public static func value(in text: String, _ name: String, _ labels: [String: String] = [:]) -> String? {
        self.parse(text).first { $0.name == name && $0.labels == labels }?.value
    }
}
