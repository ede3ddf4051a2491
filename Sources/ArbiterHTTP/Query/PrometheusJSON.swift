import ArbiterPromQL
import ArbiterTSDB

/// Query results as the Prometheus API writes them: times as Unix seconds (numbers), values as
/// strings (`"1.5"`, `"NaN"`, `"+Inf"`).
enum PrometheusJSON {
    static func result(_ value: Value, at time: Int64) -> Any {
        switch value {
        case .scalar(let number): return [Self.seconds(time), ValueFormat.string(number)] as [Any]
        case .string(let text): return [Self.seconds(time), text] as [Any]
        case .vector(let samples): return samples.map { ["metric": Self.labels($0.labels), "value": [Self.seconds(time), ValueFormat.string($0.value)] as [Any]] as [String: Any] }
        case .matrix(let series): return series.map(Self.series)
        }
    }

    static func series(_ series: Series) -> [String: Any] {
        ["metric": Self.labels(series.labels), "values": series.points.map { [Self.seconds($0.timestamp), ValueFormat.string($0.value)] as [Any] }]
    }

    static func labels(_ labels: Labels) -> [String: String] {
        Dictionary(uniqueKeysWithValues: labels.pairs.map { ($0.name, $0.value) })
    }

    static func seconds(_ milliseconds: Int64) -> Double { Double(milliseconds) / 1000 }
}
