import ArbiterCore
import ArbiterPromQL
import ArbiterTSDB
import Foundation
import Yams

/// Runs a rule unit-test file as `promtool test rules` (Prometheus 2.42) does: input series loaded
/// step by step, every group evaluated at each `evaluation_interval` from 0 to the last eval time,
/// firing alerts compared at their eval times, expressions compared after the run.
public enum RuleUnitTest {
    /// One file's verdict: empty `failures` means it passed.
    public struct Outcome: Sendable {
        public let path: String
        public var failures: [String] = []
        public var passed: Bool { self.failures.isEmpty }
    }

    public static func run(_ path: String) -> Outcome {
        var outcome = Outcome(path: path)
        let file: RuleUnitTestFile
        do {
            file = try YAMLDecoder().decode(RuleUnitTestFile.self, from: try String(contentsOfFile: path, encoding: .utf8))
        } catch {
            outcome.failures.append("\(path): \(error)")
            return outcome
        }
        let directory = (path as NSString).deletingLastPathComponent
        var ruleFiles: [RuleFile] = []
        for pattern in file.ruleFiles {
            let resolved = pattern.hasPrefix("/") ? pattern : (directory as NSString).appendingPathComponent(pattern)
            for match in RuleFileGlob.expand(resolved) {
                do {
                    ruleFiles.append(try RuleFile.load(match))
                } catch {
                    outcome.failures.append(error.description)
                }
            }
        }
        guard outcome.failures.isEmpty else { return outcome }
        guard let evaluationInterval = PrometheusDuration.milliseconds(file.evaluationInterval ?? "1m"), evaluationInterval > 0 else {
            outcome.failures.append("\(path): invalid evaluation_interval \"\(file.evaluationInterval ?? "")\"")
            return outcome
        }
        for (index, group) in file.tests.enumerated() {
            let name = group.name ?? "test \(index + 1)"
            for failure in Self.run(group, ruleFiles: ruleFiles, evaluationInterval: evaluationInterval, order: file.groupEvalOrder) {
                outcome.failures.append("    name: \(name),\n\(failure)")
            }
        }
        return outcome
    }

    static func run(_ test: RuleUnitTestFile.TestGroup, ruleFiles: [RuleFile], evaluationInterval: Int64, order: [String]?) -> [String] {
        var failures: [String] = []
        let interval = test.interval.flatMap(PrometheusDuration.milliseconds) ?? evaluationInterval
        var input: [(Labels, [(Int64, Double)])] = []
        for series in test.inputSeries ?? [] {
            do {
                let description = try SeriesDescription(series.series + " " + series.values)
                let points = description.values.enumerated().compactMap { index, value in value.map { (Int64(index) * interval, $0) } }
                input.append((description.labels, points))
            } catch {
                return ["    \(error)"]
            }
        }
        let head = Head(options: Head.Options(retention: .seconds(1 << 40), maxSeries: 10_000_000))
        let environment = RuleEnvironment(
            engine: Engine(), storage: head, externalLabels: test.externalLabels ?? [:], externalURL: test.externalURL ?? "")
        var groups = ruleFiles.flatMap { file in file.groups.map { RuleGroup(file: file.path, definition: $0, defaultInterval: evaluationInterval) } }
        if let order {
            let position = Dictionary(order.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            groups.sort { (position[$0.name] ?? Int.max, $0.file, $0.name) < (position[$1.name] ?? Int.max, $1.file, $1.name) }
        } else {
            groups.sort { ($0.file, $0.name) < ($1.file, $1.name) }
        }
        var alertTests: [Int64: [RuleUnitTestFile.AlertTest]] = [:]
        var maxTime: Int64 = 0
        for alertTest in test.alertRuleTest ?? [] {
            guard let time = PrometheusDuration.milliseconds(alertTest.evalTime) else { return ["    invalid eval_time \"\(alertTest.evalTime)\""] }
            alertTests[time, default: []].append(alertTest)
            maxTime = max(maxTime, time)
        }
        var exprTimes: [Int64] = []
        for exprTest in test.promqlExprTest ?? [] {
            guard let time = PrometheusDuration.milliseconds(exprTest.evalTime) else { return ["    invalid eval_time \"\(exprTest.evalTime)\""] }
            exprTimes.append(time)
            maxTime = max(maxTime, time)
        }
        let alertTimes = alertTests.keys.sorted()
        var next = 0
        var loaded = Array(repeating: 0, count: input.count)
        var time: Int64 = 0
        evaluation: while time <= maxTime {
            for (index, (labels, points)) in input.enumerated() {
                while loaded[index] < points.count, points[loaded[index]].0 <= time {
                    head.append(labels, points[loaded[index]].0, points[loaded[index]].1)
                    loaded[index] += 1
                }
            }
            var errors: [String] = []
            for group in groups {
                for failure in group.evaluate(at: time, environment: environment)?.failures ?? [] {
                    errors.append("    rule: \(failure.rule), time: \(Self.format(time)), err: \(failure.error)")
                }
            }
            if !errors.isEmpty {
                failures += errors
                break evaluation
            }
            while next < alertTimes.count, time <= alertTimes[next], alertTimes[next] < time + evaluationInterval {
                for alertTest in alertTests[alertTimes[next]]! {
                    if let failure = Self.check(alertTest, groups: groups) { failures.append(failure) }
                }
                next += 1
            }
            time += evaluationInterval
        }
        for (index, exprTest) in (test.promqlExprTest ?? []).enumerated() {
            if let failure = Self.check(exprTest, at: exprTimes[index], environment: environment) { failures.append(failure) }
        }
        return failures
    }

    static func format(_ milliseconds: Int64) -> String {
        let (seconds, remainder) = (milliseconds / 1000, milliseconds % 1000)
        var out = ""
        var rest = seconds
        if rest >= 3600 {
            out += "\(rest / 3600)h"
            rest %= 3600
        }
        if rest >= 60 || !out.isEmpty {
            out += "\(rest / 60)m"
            rest %= 60
        }
        return out + (remainder == 0 ? "\(rest)s" : "\(rest).\(String(format: "%03lld", remainder))s")
    }
}
