import ArbiterCore
import ArbiterPromQL
import ArbiterRegex
import Foundation

/// Prometheus's template functions and the `text/template` built-ins alert templates use.
enum TemplateFunctions {
    static let names: Set<String> = [
        "query", "first", "label", "value", "strvalue", "sortByLabel", "args", "reReplaceAll", "match", "safeHtml",
        "title", "toUpper", "toLower", "humanize", "humanize1024", "humanizeDuration", "humanizePercentage",
        "humanizeTimestamp", "toTime", "pathPrefix", "externalURL", "parseDuration", "graphLink", "tableLink",
        "and", "or", "not", "len", "index", "print", "printf", "println", "eq", "ne", "lt", "le", "gt", "ge",
        "html", "js", "urlquery",
    ]

    static func call(_ name: String, _ args: [TemplateValue], context: Template.Context) throws(TemplateError) -> TemplateValue {
        func argument(_ position: Int) throws(TemplateError) -> TemplateValue {
            guard position < args.count else { throw TemplateError("wrong number of args for \(name): want \(position + 1) got \(args.count)") }
            return args[position]
        }
        func string(_ position: Int) throws(TemplateError) -> String {
            let value = try argument(position)
            guard case .string(let text) = value else { throw TemplateError("wrong type for value; expected string; got \(value.typeName)") }
            return text
        }
        switch name {
        case "query":
            do {
                return .samples(try context.query(try string(0), context.time))
            } catch let error as TemplateError {
                throw error
            } catch {
                throw TemplateError("\(error)")
            }
        case "first":
            guard case .samples(let list) = try argument(0) else { throw TemplateError("first() called on a non-vector") }
            guard let first = list.first else { throw TemplateError("first() called on vector with no elements") }
            return .sample(first)
        case "label":
            guard case .sample(let sample) = try argument(1) else { return .string("") }
            return .string(sample.labels[try string(0)] ?? "")
        case "value":
            guard case .sample(let sample) = try argument(0) else { return .none }
            return .float(sample.value)
        case "strvalue":
            guard case .sample(let sample) = try argument(0) else { return .string("") }
            return .string(sample.labels["__value__"] ?? "")
        case "sortByLabel":
            guard case .samples(let list) = try argument(1) else { return try argument(1) }
            let label = try string(0)
            return .samples(list.enumerated().sorted { ($0.element.labels[label] ?? "", $0.offset) < ($1.element.labels[label] ?? "", $1.offset) }.map(\.element))
        case "args":
            var fields: [String: TemplateValue] = [:]
            for (position, value) in args.enumerated() { fields["arg\(position)"] = value }
            return .record(fields)
        case "reReplaceAll":
            return .string(try Self.replaceAll(try string(0), try string(1), try string(2)))
        case "match":
            return .bool(try Self.regex(try string(0)).matchesSomewhere(try string(1)))
        case "safeHtml", "html", "js", "urlquery", "pathPrefix":
            return .string(args.map(\.printed).joined())
        case "externalURL": return .string(context.externalURL)
        case "graphLink", "tableLink": return .string("")
        case "title": return .string(Self.title(try string(0)))
        case "toUpper": return .string(try string(0).uppercased())
        case "toLower": return .string(try string(0).lowercased())
        case "humanize": return .string(Humanize.metric(try Self.float(try argument(0))))
        case "humanize1024": return .string(Humanize.binary(try Self.float(try argument(0))))
        case "humanizeDuration": return .string(Humanize.duration(try Self.float(try argument(0))))
        case "humanizePercentage": return .string(GoFormat.c("%.4g", try Self.float(try argument(0)) * 100) + "%")
        case "humanizeTimestamp": return .string(Humanize.timestamp(try Self.float(try argument(0))))
        case "toTime": return .string(Humanize.timestamp(try Self.float(try argument(0))))
        case "parseDuration":
            guard let milliseconds = PrometheusDuration.milliseconds(try string(0)) else { throw TemplateError("not a valid duration string: \"\(try string(0))\"") }
            return .float(Double(milliseconds) / 1000)
        case "and":
            for value in args where !value.isTrue { return value }
            return args.last ?? .none
        case "or":
            for value in args where value.isTrue { return value }
            return args.last ?? .none
        case "not": return .bool(!(try argument(0)).isTrue)
        case "len":
            switch try argument(0) {
            case .string(let text): return .int(text.utf8.count)
            case .labels(let map): return .int(map.count)
            case .samples(let list): return .int(list.count)
            case let other: throw TemplateError("len of type \(other.typeName)")
            }
        case "index":
            var value = try argument(0)
            for key in args.dropFirst() {
                switch (value, key) {
                case (.labels(let map), .string(let name)): value = .string(map[name] ?? "")
                case (.samples(let list), .int(let position)):
                    guard list.indices.contains(position) else { throw TemplateError("index out of range: \(position)") }
                    value = .sample(list[position])
                default: throw TemplateError("can't index item of type \(value.typeName)")
                }
            }
            return value
        case "print": return .string(Self.sprint(args))
        case "println": return .string(args.map(\.printed).joined(separator: " ") + "\n")
        case "printf": return .string(GoFormat.sprintf(try string(0), Array(args.dropFirst())))
        case "eq":
            let first = try argument(0)
            for other in args.dropFirst() where try Self.compare(first, other) == 0 { return .bool(true) }
            return .bool(false)
        case "ne": return .bool(try Self.compare(try argument(0), try argument(1)) != 0)
        case "lt": return .bool(try Self.compare(try argument(0), try argument(1)) < 0)
        case "le": return .bool(try Self.compare(try argument(0), try argument(1)) <= 0)
        case "gt": return .bool(try Self.compare(try argument(0), try argument(1)) > 0)
        case "ge": return .bool(try Self.compare(try argument(0), try argument(1)) >= 0)
        default: throw TemplateError("function \"\(name)\" not defined")
        }
    }

    /// Go's `fmt.Sprint`: a space between operands when neither is a string.
    static func sprint(_ args: [TemplateValue]) -> String {
        var out = ""
        for (position, value) in args.enumerated() {
            if position > 0, !(value.isString || args[position - 1].isString) { out += " " }
            out += value.printed
        }
        return out
    }

    /// Prometheus's `convertToFloat`: numbers, and strings that parse as one.
    static func float(_ value: TemplateValue) throws(TemplateError) -> Double {
        switch value {
        case .float(let number): return number
        case .int(let number): return Double(number)
        case .string(let text):
            guard let number = SeriesDescription.number(Substring(text)) else { throw TemplateError("strconv.ParseFloat: parsing \"\(text)\": invalid syntax") }
            return number
        default: throw TemplateError("can't convert \(value.typeName) to float")
        }
    }

    /// text/template's `eq`/`lt`: same basic kinds only.
    static func compare(_ a: TemplateValue, _ b: TemplateValue) throws(TemplateError) -> Int {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.float(let x), .float(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.int(let x), .int(let y)): return x < y ? -1 : (x == y ? 0 : 1)
        case (.bool(let x), .bool(let y)): return x == y ? 0 : 1
        default: throw TemplateError("incompatible types for comparison")
        }
    }

    /// Go's `strings.Title`: a capital at the start of every word.
    static func title(_ text: String) -> String {
        var out = ""
        var previous: Character = " "
        for character in text {
            let separator = !(previous.isLetter || previous.isNumber || previous == "_" || previous == "'")
            out += separator ? character.uppercased() : String(character)
            previous = character
        }
        return out
    }

    /// `reReplaceAll`: Go's `Regexp.ReplaceAllString` (unanchored, `$1` expansion). As in Go, an
    /// empty match right after a match is not replaced, and the search always moves on by a character.
    static func replaceAll(_ pattern: String, _ replacement: String, _ text: String) throws(TemplateError) -> String {
        let regex = try Self.regex(pattern)
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        var lastMatchEnd = 0
        var searchStart = 0
        while searchStart <= bytes.count, let match = regex.firstMatch(in: bytes, from: searchStart) {
            let range = match.range
            out += bytes[lastMatchEnd..<range.lowerBound]
            if range.upperBound > lastMatchEnd || range.lowerBound == 0 {
                out += GoRegexTemplate.expand(replacement) { match.group($0, in: bytes) }.utf8
            }
            lastMatchEnd = range.upperBound
            let width = searchStart < bytes.count ? Self.utf8Width(bytes[searchStart]) : 1
            searchStart = searchStart + width > range.upperBound ? searchStart + width : range.upperBound
        }
        out += bytes[lastMatchEnd...]
        return String(decoding: out, as: UTF8.self)
    }

    private static func regex(_ pattern: String) throws(TemplateError) -> RE2Regex {
        do {
            return try RE2Regex(pattern)
        } catch {
            throw TemplateError("error parsing regexp: \(error.description)")
        }
    }

    /// The length of the UTF-8 sequence a lead byte starts.
    private static func utf8Width(_ lead: UInt8) -> Int {
        switch lead {
        case 0xF0...: 4
        case 0xE0...: 3
        case 0xC0...: 2
        default: 1
        }
    }
}

extension TemplateValue {
    var isString: Bool {
        if case .string = self { return true }
        return false
    }
}
