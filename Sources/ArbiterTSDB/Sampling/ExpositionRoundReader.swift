/// Reads the text exposition of one registry round after round. A registry renders its series in
/// the same order with the same label text each time, so a sample line whose name and labels are
/// byte for byte those of the same line last round gets last round's `Labels` back, not a parse:
/// no allocation, and consumers can tell the series by ``Labels/sharesStorage(with:)``.
public final class ExpositionRoundReader {
    /// The last round's text, and for each of its sample lines where its name and labels lie there.
    private var previous: [UInt8] = []
    private var lines: [(start: Int, end: Int, labels: Labels)] = []
    /// Labels every sample gets (a replica's `instance`), unless the line has its own.
    private let adding: [(String, String)]

    /// - Parameter adding: Labels every sample gets, unless the line has its own of that name.
    public init(adding: [(String, String)] = []) {
        self.adding = adding
    }

    /// The round's samples; throws ``TextExpositionParser/ParseError`` as the parser does.
    public func read(_ bytes: [UInt8]) throws -> [(Labels, Double)] {
        var samples: [(Labels, Double)] = []
        samples.reserveCapacity(self.lines.count)
        var lines: [(start: Int, end: Int, labels: Labels)] = []
        lines.reserveCapacity(self.lines.count)
        try self.previous.withUnsafeBufferPointer { previous in
            let known = { (index: Int, line: UnsafeBufferPointer<UInt8>) -> (Labels, Int)? in
                guard index < self.lines.count else { return nil }
                let last = self.lines[index]
                let count = last.end - last.start
                // The same bytes, then the space before the value: the same name and labels.
                guard line.count > count, line[count] == UInt8(ascii: " ") else { return nil }
                for offset in 0..<count where line[offset] != previous[last.start + offset] { return nil }
                return (last.labels, count)
            }
            try TextExpositionParser.scan(bytes, known: known) { number, labels, range, text in
                guard let value = TextExpositionParser.value(text) else {
                    throw TextExpositionParser.ParseError(line: number, message: "\(labels[Labels.metricName] ?? ""): no value, or not a number")
                }
                var labels = labels
                // A line parsed this round (not last round's labels back) gets the added labels once.
                let reused = lines.count < self.lines.count && labels.sharesStorage(with: self.lines[lines.count].labels)
                if !self.adding.isEmpty, !reused {
                    let own = Set(labels.pairs.map(\.name))
                    labels = Labels(labels.pairs.map { ($0.name, $0.value) } + self.adding.filter { !own.contains($0.0) })
                }
                samples.append((labels, value))
                lines.append((range.lowerBound, range.upperBound, labels))
            }
        }
        self.previous = bytes
        self.lines = lines
        return samples
    }
}
