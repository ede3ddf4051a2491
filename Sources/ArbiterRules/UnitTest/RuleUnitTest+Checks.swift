import ArbiterPromQL
import ArbiterTSDB

extension RuleUnitTest {
    /// The firing alerts of the named rule against the expected ones (as sets, `alertname` added).
    static func check(_ test: RuleUnitTestFile.AlertTest, groups: [RuleGroup]) -> String? {
        var got: [String] = []
        for group in groups {
            for rule in group.rules where rule.definition.kind == .alerting(test.alertname) {
                for alert in rule.alerts.alerts.values where alert.state == .firing {
                    got.append(Self.describe(alert.labels.pairs.map { ($0.name, $0.value) }, alert.annotations))
                }
            }
        }
        let expected = (test.expAlerts ?? []).map { alert -> String in
            var labels = alert.expLabels ?? [:]
            labels["alertname"] = test.alertname
            return Self.describe(labels.map { ($0.key, $0.value) }, alert.expAnnotations ?? [:])
        }
        guard got.sorted() != expected.sorted() else { return nil }
        return "    alertname: \(test.alertname), time: \(test.evalTime), \n        exp:\(expected.sorted()), \n        got:\(got.sorted())"
    }

    static func describe(_ labels: [(String, String)], _ annotations: [String: String]) -> String {
        let labelText = labels.filter { !$0.1.isEmpty }.sorted { $0.0 < $1.0 }.map { "\($0.0)=\"\($0.1)\"" }.joined(separator: ", ")
        let annotationText = annotations.sorted { $0.key < $1.key }.map { "\($0.key)=\"\($0.value)\"" }.joined(separator: ", ")
        return "{Labels:{\(labelText)} Annotations:{\(annotationText)}}"
    }

    /// An expression's result at its eval time against the expected samples (as sets, exact values).
    static func check(_ test: RuleUnitTestFile.ExprTest, at time: Int64, environment: RuleEnvironment) -> String? {
        let got: [(Labels, Double)]
        do {
            let expr = try Parser.parse(test.expr)
            switch try environment.engine.instant(expr, at: time, on: environment.storage) {
            case .vector(let samples): got = samples.map { ($0.labels, $0.value) }
            case .scalar(let value): got = [(Labels([(String, String)]()), value)]
            default: return "    expr: \(test.expr), time: \(test.evalTime), err: rule result is not a vector or scalar"
            }
        } catch {
            return "    expr: \(test.expr), time: \(test.evalTime), err: \(error)"
        }
        var expected: [(Labels, Double)] = []
        for sample in test.expSamples ?? [] {
            do {
                expected.append((try SeriesDescription(sample.labels ?? "{}").labels, sample.value))
            } catch {
                return "    expr: \(test.expr), time: \(test.evalTime), err: \(error)"
            }
        }
        let sortedGot = got.sorted { $0.0 < $1.0 }
        let sortedExpected = expected.sorted { $0.0 < $1.0 }
        // Exact equality, as promtool compares (so an expected NaN never matches).
        let same = sortedGot.count == sortedExpected.count && zip(sortedGot, sortedExpected).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        guard !same else { return nil }
        func text(_ samples: [(Labels, Double)]) -> String {
            "[" + samples.map { "{\($0.0) \(ValueFormat.string($0.1))}" }.joined(separator: " ") + "]"
        }
        return "    expr: \(test.expr), time: \(test.evalTime),\n        exp: \(text(sortedExpected))\n        got: \(text(sortedGot))"
    }
}
