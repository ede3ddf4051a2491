import ArbiterTSDB

extension TestScript {
    /// What a script's run came to: every eval case, passed or with why not.
    public struct Outcome: Sendable {
        public struct Failure: Sendable, CustomStringConvertible {
            public let line: Int
            public let query: String
            public let message: String
            public var description: String { "line \(self.line): \(self.query): \(self.message)" }
        }

        public var cases = 0
        public var failures: [Failure] = []
        public var passed: Int { self.cases - self.failures.count }
    }

    /// Runs every command against a fresh in-memory head, as Prometheus's test runner does: each
    /// eval as an instant query, then (unless ordered) as a range query from a minute before to a
    /// minute after whose middle step must agree.
    public func run(engine: Engine = Engine()) -> Outcome {
        var outcome = Outcome()
        var head = Self.newHead()
        for command in self.commands {
            switch command {
            case .clear: head = Self.newHead()
            case .load(let step, let series):
                // A series defined twice in one block takes its last definition.
                var last: [Labels: Int] = [:]
                for (position, description) in series.enumerated() { last[description.labels] = position }
                for (position, description) in series.enumerated() where last[description.labels] == position {
                    for (index, value) in description.values.enumerated() {
                        if let value { head.append(description.labels, Int64(index) * step, value) }
                    }
                }
            case .eval(let evaluation):
                outcome.cases += 1
                if let message = Self.check(evaluation, engine: engine, storage: head) {
                    outcome.failures.append(Outcome.Failure(line: evaluation.line, query: evaluation.query, message: message))
                }
            }
        }
        return outcome
    }

    private static func newHead() -> Head { Head(options: Head.Options(retention: .seconds(1 << 40), maxSeries: 10_000_000)) }

    /// `nil` when the case passes, else what went wrong.
    static func check(_ evaluation: Evaluation, engine: Engine, storage: Head) -> String? {
        guard let expr = evaluation.expr else { return "parse error: \(evaluation.parseError!)" }
        let value: Value
        do {
            value = try engine.instant(expr, at: evaluation.time, on: storage)
        } catch {
            return evaluation.mode == .fail ? nil : "error evaluating query: \(error)"
        }
        if evaluation.mode == .fail { return "expected an error but got none" }
        if let problem = Self.compare(value, evaluation) { return problem }
        guard evaluation.mode != .ordered else { return nil }
        let series: [Series]
        do {
            series = try engine.range(expr, start: evaluation.time - 60_000, end: evaluation.time + 60_000, step: 60_000, on: storage)
        } catch {
            return "error evaluating query in range mode: \(error)"
        }
        var middle: [Sample] = []
        for one in series {
            if let point = one.points.first(where: { $0.timestamp == evaluation.time }) {
                middle.append(Sample(labels: one.labels, value: point.value, timestamp: point.timestamp))
            }
        }
        if case .scalar = value {
            return Self.compare(.scalar(middle.first?.value ?? .nan), evaluation).map { "range mode: " + $0 }
        }
        return Self.compare(.vector(middle), evaluation).map { "range mode: " + $0 }
    }

    static func compare(_ value: Value, _ evaluation: Evaluation) -> String? {
        switch value {
        case .matrix: return "received range result on instant evaluation"
        case .string(let text): return "unexpected string result \"\(text)\""
        case .scalar(let got):
            guard let expected = evaluation.expectedScalar ?? evaluation.expectedSamples.first?.value else { return "got scalar \(got), expected nothing" }
            return Self.almostEqual(expected, got) ? nil : "expected scalar \(ValueFormat.string(expected)) but got \(ValueFormat.string(got))"
        case .vector(let samples):
            var expected: [Labels: (position: Int, value: Double)] = [:]
            for (position, sample) in evaluation.expectedSamples.enumerated() { expected[sample.labels] = (position, sample.value) }
            var seen = Set<Labels>()
            for (position, sample) in samples.enumerated() {
                guard let want = expected[sample.labels] else { return "unexpected metric \(sample.labels) in result" }
                if evaluation.mode == .ordered && want.position != position {
                    return "expected metric \(sample.labels) at position \(want.position + 1) but was at \(position + 1)"
                }
                if !Self.almostEqual(want.value, sample.value) {
                    return "expected \(ValueFormat.string(want.value)) for \(sample.labels) but got \(ValueFormat.string(sample.value))"
                }
                seen.insert(sample.labels)
            }
            if let missing = evaluation.expectedSamples.first(where: { !seen.contains($0.labels) }) {
                return "expected metric \(missing.labels) with \(ValueFormat.string(missing.value)) not found"
            }
            return nil
        }
    }

    /// Equal within a relative error of 1e-6, NaN equal to NaN (Prometheus's `almostEqual`).
    static func almostEqual(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN && b.isNaN { return true }
        if a == b { return true }
        let difference = abs(a - b)
        let minNormal = Double.leastNormalMagnitude
        if a == 0 || b == 0 || difference < minNormal { return difference < 1e-6 * minNormal }
        return difference / (abs(a) + abs(b)) < 1e-6
    }
}
