import ArbiterApp
import ArbiterCore
import ArbiterHTTP
import ArbiterPromQL
import ArbiterRules
import ArbiterTSDB
import ArbiterWorkerProtocol

/// Every parser that reads outside input, each as one function of raw bytes: what libFuzzer drives
/// (`Fuzz/`, `scripts/fuzz TARGET SECONDS`) and what the regression tests replay its findings through.
/// A run may refuse its input with an error; it must never crash, hang or take more than linear time.
public enum FuzzTarget: String, CaseIterable, Sendable {
    case promql
    case exposition
    case ruleFile = "rule-file"
    case template
    case duration
    case workerMessage = "worker-message"
    case jsonRequest = "json-request"
    case configuration

    /// Feeds one input to the parser (and, where it parses, what consumes the result).
    public func run(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        switch self {
        case .promql: Self.promql(text)
        case .exposition:
            _ = try? TextExpositionParser.parse(bytes)
            _ = try? ExpositionRoundReader().read(bytes)
        case .ruleFile: _ = try? RuleFile.parse(text, path: "fuzz.yml")
        case .template:
            guard let template = try? Template(text, name: "fuzz") else { return }
            _ = template.expandOrError(Template.Context(labels: ["job_type": "build"], value: 1.5, time: 0))
        case .duration:
            _ = PrometheusDuration.parse(text)
            _ = try? RFC3339.milliseconds(from: text)
        case .workerMessage:
            _ = try? WorkerMessage.parse(text)
            _ = try? WorkerMessage.parseHello(text)
        case .jsonRequest: JobSubmissionInput.check(bytes)
        case .configuration: _ = try? ConfigurationLoader.load(text: text, file: "fuzz.yaml")
        }
    }

    /// A small store for queries to run against: two series of a counter over ten minutes.
    static let head: Head = {
        let head = Head()
        for minute in 0...10 {
            for type in ["build", "deploy"] {
                head.append(Labels(["__name__": "arbiter_jobs_total", "job_type": type]), Int64(minute) * 60_000, Double(minute * 3))
            }
        }
        return head
    }()

    private static func promql(_ text: String) {
        guard let expr = try? Parser.parse(text) else { return }
        // A query may be costly (a five-year subquery at a one-minute step is millions of steps); the
        // daemon bounds that with query.timeout and query.max_samples, and so does this target.
        var options = Engine.Options()
        options.timeout = .seconds(2)
        options.maxSamples = 1_000_000
        let engine = Engine(options: options)
        _ = try? engine.instant(expr, at: 300_000, on: self.head)
        if expr.type == .vector || expr.type == .scalar {
            _ = try? engine.range(expr, start: 0, end: 600_000, step: 60_000, on: self.head)
        }
    }
}
