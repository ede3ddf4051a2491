/// Go's `Regexp.Expand` replacement templates, shared by `label_replace` and `reReplaceAll`.
public enum GoRegexTemplate {
    /// Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; a name takes every letter,
    /// digit and underscore that follows (`$1x` is the group named `1x`, so empty).
    public static func expand(_ template: String, _ output: AnyRegexOutput) -> String {
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
