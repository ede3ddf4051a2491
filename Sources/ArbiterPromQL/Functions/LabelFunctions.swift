import ArbiterCore
import ArbiterRegex
import ArbiterTSDB

/// `label_replace` and `label_join`.
enum LabelFunctions {
    /// `label_replace(v, dst, replacement, src, regex)`: where the anchored regex matches the
    /// source label, sets `dst` to the replacement with `$1`/`${name}` expanded as Go does.
    static func replace(_ vector: [Sample], _ strings: [String], at time: Int64) throws(QueryError) -> [Sample] {
        let (destination, replacement, source, pattern) = (strings[0], strings[1], strings[2], strings[3])
        let regex: RE2Regex
        do {
            regex = try RE2Regex("^(?:" + pattern + ")$")
        } catch {
            throw QueryError("invalid regular expression in label_replace(): \(pattern)")
        }
        guard PrometheusName.isLabelName(destination) else {
            throw QueryError("invalid destination label name in label_replace(): \(destination)")
        }
        return vector.map { sample in
            let text = Array((sample.labels[source] ?? "").utf8)
            guard let match = regex.firstMatch(in: text, from: 0) else {
                return Sample(labels: sample.labels, value: sample.value, timestamp: time)
            }
            let value = GoRegexTemplate.expand(replacement) { match.group($0, in: text) }
            return Sample(labels: Self.setting(sample.labels, destination, value), value: sample.value, timestamp: time)
        }
    }

    /// `label_join(v, dst, separator, src…)`.
    static func join(_ vector: [Sample], _ strings: [String], at time: Int64) throws(QueryError) -> [Sample] {
        let (destination, separator) = (strings[0], strings[1])
        let sources = Array(strings.dropFirst(2))
        guard PrometheusName.isLabelName(destination) else { throw QueryError("invalid destination label name in label_join(): \(destination)") }
        for source in sources where !PrometheusName.isLabelName(source) {
            throw QueryError("invalid source label name in label_join(): \(source)")
        }
        return vector.map { sample in
            let value = sources.map { sample.labels[$0] ?? "" }.joined(separator: separator)
            return Sample(labels: Self.setting(sample.labels, destination, value), value: sample.value, timestamp: time)
        }
    }

    static func setting(_ labels: Labels, _ name: String, _ value: String) -> Labels {
        var pairs = labels.pairs.filter { $0.name != name }.map { ($0.name, $0.value) }
        if !value.isEmpty { pairs.append((name, value)) }
        return Labels(pairs)
    }
}
