@testable import ArbiterTSDB
import Testing

/// Reading a registry's text round after round gives what the parser gives, and hands back last
/// round's labels for every line whose name and labels did not change.
@Suite struct ExpositionRoundReaderTests {
    static func same(_ read: [(Labels, Double)], _ parsed: [(Labels, Double)]) -> Bool {
        read.count == parsed.count && zip(read, parsed).allSatisfy { $0.0 == $1.0 && $0.1.bitPattern == $1.1.bitPattern }
    }

    @Test func roundsReadAsTheParserReadsThemAndUnchangedLabelsAreReused() throws {
        let rounds = [
            "# TYPE a counter\na_total{x=\"1\"} 1\na_total{x=\"2\"} 2\nb 3\nc{y=\"q\\\"\"} 4\n",
            // Values change; a series is added in the middle; one is gone; an escaped value stays.
            "# TYPE a counter\na_total{x=\"1\"} 10\na_total{x=\"15\"} 15\na_total{x=\"2\"} 20\nc{y=\"q\\\"\"} 40\n",
            // Same lines, other values.
            "# TYPE a counter\na_total{x=\"1\"} 11\na_total{x=\"15\"} 16\na_total{x=\"2\"} 21\nc{y=\"q\\\"\"} NaN\n",
            // A line reused from last round, then one that does not parse.
            "a_total{x=\"1\"} 5\nbroken{x=\"1\" 2\n",
        ]
        let reader = ExpositionRoundReader()
        // A line that only starts like another is not taken for it.
        _ = try reader.read(Array("a_total{x=\"1\"} 1\n".utf8))
        #expect(try reader.read(Array("a_total{x=\"1\"}2 5\n".utf8)).map(\.1) == [2])
        var last: [(Labels, Double)] = []
        for (index, text) in rounds.prefix(3).enumerated() {
            let read = try reader.read(Array(text.utf8))
            #expect(Self.same(read, try TextExpositionParser.parse(Array(text.utf8))), "round \(index)")
            if index == 2 {
                // Every line was in round 1 at the same position: every label set is round 1's own.
                #expect(zip(read, last).allSatisfy { $0.0.sharesStorage(with: $1.0) })
            }
            last = read
        }
        #expect(throws: TextExpositionParser.ParseError.self) { try reader.read(Array(rounds[3].utf8)) }
        // A failed round leaves the reader as it was: the next good round still reads right.
        let again = try reader.read(Array(rounds[2].utf8))
        #expect(zip(again, last).allSatisfy { $0.0.sharesStorage(with: $1.0) })
        #expect(throws: TextExpositionParser.ParseError(line: 1, message: "a_total: no value, or not a number")) {
            try reader.read(Array("a_total{x=\"1\"} \n".utf8))
        }
    }
}
