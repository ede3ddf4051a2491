import ArbiterRules
import Testing

@Suite("Alert templates")
struct TemplateTests {
    func expand(_ source: String, labels: [String: String] = ["instance": "db-1:9100", "job": "node"], value: Double = 0.123456) throws -> String {
        try Template(source, name: "__alert_Test").expand(
            Template.Context(labels: labels, externalLabels: ["cluster": "eu-1"], value: value, time: 0, query: { query, _ in
                query == "up" ? [.init(labels: ["instance": "a"], value: 1), .init(labels: ["instance": "b"], value: 0)] : []
            }))
    }

    @Test("variables, fields and Prometheus's humanize functions print as Prometheus prints them", arguments: [
        ("{{ $labels.instance }} of {{ .Labels.job }} in {{ $externalLabels.cluster }}", "db-1:9100 of node in eu-1"),
        ("{{ $value }}", "0.123456"),
        ("{{ 1234567.0 }} {{ 100000.0 }} {{ 0.00001 }}", "1.234567e+06 100000 1e-05"),
        ("{{ humanize 1234567 }} {{ humanize 0.0012 }} {{ humanize 0 }}", "1.235M 1.2m 0"),
        ("{{ humanize1024 1048576 }} {{ humanize1024 512 }}", "1Mi 512"),
        ("{{ humanizeDuration 3725 }} {{ humanizeDuration 90061 }} {{ humanizeDuration 0.25 }} {{ humanizeDuration 12.3456 }}", "1h 2m 5s 1d 1h 1m 1s 250ms 12.35s"),
        ("{{ humanizePercentage 0.1234 }}", "12.34%"),
        ("{{ humanizeTimestamp 1435065584.128 }}", "2015-06-23 13:19:44.128 +0000 UTC"),
        ("{{ printf \"%.2f\" $value }} {{ printf \"%s=%d\" \"n\" 3 }}", "0.12 n=3"),
        // Go gives up on a width or precision past a million (it once crashed C's printf here).
        ("{{ printf \"a%99999999999999fb\" 1.5 }}|{{ printf \"%.99999999s\" \"x\" }}|{{ printf \"%.9999999s\" \"x\" }}", "a%!(NOVERB)%!(EXTRA float64=1.5)|%!(NOVERB)%!(EXTRA string=x)|x"),
        ("{{ printf \"%8.3f|%-4s|\" 3.14159 \"ab\" }}", "   3.142|ab  |"),
        ("{{ title \"hello world\" }} {{ toUpper \"a\" }} {{ toLower \"B\" }}", "Hello World A b"),
        ("{{ reReplaceAll \"(.*):.*\" \"$1\" $labels.instance }}", "db-1"),
        // Go's ReplaceAllString: no replacement for an empty match right after a match.
        ("{{ reReplaceAll \"a*\" \"X\" \"baaac\" }}", "XbXcX"),
        ("{{ reReplaceAll \"(?P<k>[a-z]+)=(\\\\d)\" \"${k}:$2$$\" \"x=1 y=2\" }}", "x:1$ y:2$"),
        ("{{ reReplaceAll \"\" \"-\" \"héé\" }}", "-h-é-é-"),
        ("{{ if match \"^db-\\\\d\" $labels.instance }}db{{ end }}", "db"),
        ("{{ with query \"up\" }}{{ . | first | value }}{{ end }}", "1"),
        ("{{ range query \"up\" }}{{ .Labels.instance }}={{ .Value }} {{ end }}", "a=1 b=0 "),
        ("{{ if gt $value 0.5 }}high{{ else if gt $value 0.1 }}mid{{ else }}low{{ end }}", "mid"),
        ("{{ $x := \"v\" }}{{ $x }}  {{- \" trimmed\" -}}  !", "v trimmed!"),
        ("{{ query \"up\" | first | label \"instance\" }}", "a"),
        ("{{ $labels.missing }}|", "|"),
    ])
    func expands(source: String, expected: String) throws {
        #expect(try self.expand(source) == expected)
    }

    @Test("a template that does not parse names itself, the line and the problem", arguments: [
        ("{{ nosuch 1 }}", "template: __alert_Test:1: function \"nosuch\" not defined"),
        ("{{ if 1 }}x", "template: __alert_Test:1: unexpected EOF"),
        ("a\n{{ end }}", "template: __alert_Test:2: unexpected {{end}}"),
        ("{{ $labels.x", "template: __alert_Test:1: unclosed action"),
    ])
    func parseErrors(source: String, message: String) {
        #expect(throws: TemplateError.self) { try Template(source, name: "__alert_Test") }
        do {
            _ = try Template(source, name: "__alert_Test")
        } catch {
            #expect(error.description == message)
        }
    }

    @Test("templates nested past the bound are refused, not run until the stack runs out")
    func depthBound() throws {
        let blocks = String(repeating: "{{ if 1 }}", count: 1000) + String(repeating: "{{ end }}", count: 1000)
        #expect(throws: TemplateError.self) { _ = try Template(blocks, name: "__alert_Test") }
        let elseIfs = "{{ if 0 }}" + String(repeating: "{{ else if 0 }}", count: 1000) + "{{ end }}"
        #expect(throws: TemplateError.self) { _ = try Template(elseIfs, name: "__alert_Test") }
        let parens = "{{ " + String(repeating: "(", count: 1000) + "1" + String(repeating: ")", count: 1000) + " }}"
        #expect(throws: TemplateError.self) { _ = try Template(parens, name: "__alert_Test") }
        // Up to the bound, they work.
        let fine = String(repeating: "{{ if 1 }}", count: 50) + "ok" + String(repeating: "{{ end }}", count: 50)
        #expect(try self.expand(fine) == "ok")
    }

    @Test("a backreference is refused as Go's regexp refuses it")
    func backreference() {
        #expect(throws: TemplateError.self) { try self.expand("{{ reReplaceAll \"(a)\\\\1\" \"x\" \"aa\" }}") }
    }

    @Test("an expansion failure becomes Prometheus's error text")
    func expansionError() throws {
        let template = try Template("{{ query \"none\" | first | value }}", name: "__alert_Test")
        let text = template.expandOrError(Template.Context(labels: [:], value: 0, time: 0))
        #expect(text.hasPrefix("<error expanding template: "))
        #expect(text.contains("first() called on vector with no elements"))
    }
}
