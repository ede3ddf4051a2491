import ArbiterCore
import ArbiterTSDB

/// A PromQL test script in Prometheus's format (`promql/testdata/*.test`): `load <step>` blocks of
/// series descriptions, `clear`, and `eval[_fail|_ordered] instant at <time> <query>` followed by
/// the expected samples or scalar.
public struct TestScript: Sendable {
    enum Command: Sendable {
        case load(step: Int64, series: [SeriesDescription])
        case clear
        case eval(Evaluation)
    }

    struct Evaluation: Sendable {
        enum Mode: Sendable { case plain, fail, ordered }
        var line: Int
        var mode: Mode
        var time: Int64
        var query: String
        /// The query's parse error, reported when the case runs.
        var parseError: PromQLError?
        var expr: Expr?
        var expectedScalar: Double?
        var expectedSamples: [(labels: Labels, value: Double)] = []
    }

    /// A line the script itself gets wrong (not a failing case).
    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "line \(self.line): \(self.message)" }
    }

    let commands: [Command]

    /// - Throws: ``ParseError`` naming the line of an unknown command or a bad series or value.
    public init(_ text: String) throws(ParseError) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            let trimmed = String(line).trimmingWhitespace()
            return trimmed.hasPrefix("#") ? "" : trimmed
        }
        var commands: [Command] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            let number = index + 1
            index += 1
            if line.isEmpty { continue }
            let word = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map { $0.lowercased() } ?? ""
            // The block of a load or eval runs to the next empty line.
            var block: [(Int, String)] = []
            while word != "clear", index < lines.count, !lines[index].isEmpty {
                block.append((index + 1, lines[index]))
                index += 1
            }
            if word == "clear" {
                commands.append(.clear)
            } else if word == "load" {
                let stepText = line.dropFirst(4).trimmingCharacters()
                guard let step = PrometheusDuration.milliseconds(stepText) else { throw ParseError(line: number, message: "invalid step definition \"\(stepText)\"") }
                var series: [SeriesDescription] = []
                for (lineNumber, text) in block {
                    do {
                        series.append(try SeriesDescription(text))
                    } catch {
                        throw ParseError(line: lineNumber, message: error.description)
                    }
                }
                commands.append(.load(step: step, series: series))
            } else if word.hasPrefix("eval") {
                commands.append(.eval(try Self.evaluation(line, number, block)))
            } else {
                throw ParseError(line: number, message: "invalid command \"\(line)\"")
            }
        }
        self.commands = commands
    }

    private static func evaluation(_ line: String, _ number: Int, _ block: [(Int, String)]) throws(ParseError) -> Evaluation {
        let words = line.split(maxSplits: 4, whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let mode: Evaluation.Mode
        switch words.first {
        case "eval": mode = .plain
        case "eval_fail": mode = .fail
        case "eval_ordered": mode = .ordered
        default: throw ParseError(line: number, message: "invalid evaluation command \"\(line)\"")
        }
        guard words.count == 5, words[1] == "instant", words[2] == "at", let time = PrometheusDuration.milliseconds(words[3]) else {
            throw ParseError(line: number, message: "invalid evaluation command. (eval[_fail|_ordered] instant [at <offset:duration>] <query>)")
        }
        var evaluation = Evaluation(line: number, mode: mode, time: time, query: words[4])
        do {
            evaluation.expr = try Parser.parse(words[4])
        } catch {
            evaluation.parseError = error
        }
        for (lineNumber, text) in block {
            if let scalar = SeriesDescription.number(Substring(text)) {
                evaluation.expectedScalar = scalar
                break
            }
            let series: SeriesDescription
            do {
                series = try SeriesDescription(text)
            } catch {
                throw ParseError(line: lineNumber, message: error.description)
            }
            guard series.values.count == 1, let value = series.values[0] else {
                throw ParseError(line: lineNumber, message: "expecting exactly one value in an instant evaluation")
            }
            evaluation.expectedSamples.append((series.labels, value))
        }
        return evaluation
    }
}

extension StringProtocol {
    func trimmingCharacters() -> String { String(self).trimmingWhitespace() }
}
