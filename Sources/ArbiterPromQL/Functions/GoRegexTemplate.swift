import ArbiterRegex

/// Go's `Regexp.Expand` replacement templates, shared by `label_replace` and `reReplaceAll`.
public enum GoRegexTemplate {
    /// Go's `Regexp.Expand`: `$1`, `${1}`, `$name`, `${name}`, `$$`; a name takes every letter,
    /// digit and underscore that follows (`$1x` is the group named `1x`, so empty).
    /// - Parameters:
    ///   - template: The replacement, such as `$1-${name}`.
    ///   - group: A group's text by number or name; empty when it has no such group or it took no part.
    public static func expand(_ template: String, group: (String) -> String) -> String {
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
            out += group(String(name))
        }
        return out + characters
    }

    private static func isNameCharacter(_ character: Character) -> Bool {
        character == "_" || (character.isASCII && (character.isLetter || character.isNumber))
    }
}

extension RE2Match {
    /// A group's text by number or name, as ``GoRegexTemplate/expand(_:group:)`` reads it.
    public func group(_ reference: String, in text: [UInt8]) -> String {
        guard let range = self.range(ofGroup: reference) else { return "" }
        return String(decoding: text[range], as: UTF8.self)
    }
}
