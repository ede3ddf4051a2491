import ArbiterTSDB

/// `label_replace` and `label_join`.
enum LabelFunctions {
    /// `label_replace(v, dst, replacement, src, regex)`: where the anchored regex matches the
    /// source label, sets `dst` to the replacement with `$1`/`${name}` expanded as Go does.
    static func replace(_ vector: [Sample], _ strings: [String], at time: Int64) throws(QueryError) -> [Sample] {
        let (destination, replacement, source, pattern) = (strings[0], strings[1], strings[2], strings[3])
        let regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex("^(?:" + pattern + ")$")
        } catch {
            throw QueryError("invalid regular expression in label_replace(): \(pattern)")
        }
        guard Evaluator.isValidLabelName(destination) else {
            throw QueryError("invalid destination label name in label_replace(): \(destination)")
        }
        return vector.map { sample in
            guard let match = try? regex.wholeMatch(in: sample.labels[source] ?? "") else {
                return Sample(labels: sample.labels, value: sample.value, timestamp: time)
            }
            let value = Self.expand(replacement, match.output)
            return Sample(labels: Self.setting(sample.labels, destination, value), value: sample.value, timestamp: time)
        }
    }

    /// `label_join(v, dst, separator, src…)`.
    static func join(_ vector: [Sample], _ strings: [String], at time: Int64) throws(QueryError) -> [Sample] {
        let (destination, separator) = (strings[0], strings[1])
        let sources = Array(strings.dropFirst(2))
        guard Evaluator.isValidLabelName(destination) else { throw QueryError("invalid destination label name in label_join(): \(destination)") }
        for source in sources where !Evaluator.isValidLabelName(source) {
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

    /// Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; a name takes every letter,
    /// digit and underscore that follows (`$1x` is the group named `1x`, so empty).
    static func expand(_ template: String, _ output: AnyRegexOutput) -> String {
        var out = ""
        var characters = Substring(template)
        while let dollar = characters.firstIndex(of: "$") {
            out += characters[..<dollar]
            characters = characters[characters.index(after: dollar)...]
            if characters.first == "$" {
                out += "$"
                characters = characters.dropFirst()
                continue
            }
            var name: Substring
            if characters.first == "{" {
                guard let close = characters.firstIndex(of: "}") else {
                    out += "$"
                    continue
                }
                name = characters[characters.index(after: characters.startIndex)..<close]
                guard !name.isEmpty, name.allSatisfy(Self.isNameCharacter) else {
                    out += "$"
                    continue
                }
                characters = characters[characters.index(after: close)...]
            } else {
                let end = characters.firstIndex { !Self.isNameCharacter($0) } ?? characters.endIndex
                name = characters[..<end]
                guard !name.isEmpty else {
                    out += "$"
                    continue
                }
                characters = characters[end...]
            }
            out += Self.group(String(name), output)
        }
        return out + characters
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character == "_" || (character.isASCII && (character.isLetter || character.isNumber))
    }

    private static func group(_ name: String, _ output: AnyRegexOutput) -> String {
        if let number = Int(name) {
            // The anchoring group is non-capturing, so group numbers are the user's own.
            guard number < output.count, let substring = output[number].substring else { return "" }
            return String(substring)
        }
        guard let element = output[name], let substring = element.substring else { return "" }
        return String(substring)
    }
}
