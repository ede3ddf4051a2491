import ArbiterRules
import Testing

/// A rule file nested far past what the YAML parser accepts is an error naming the file, not a crash.
@Suite struct RuleFileDepthTests {
    @Test func nestingPastTheBoundIsAnError() {
        // libyaml refuses nesting past 1,000 levels; ten times that must not reach the stack.
        let flow = "groups: " + String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000) + "\n"
        let block = "groups:\n" + (0..<10_000).map { String(repeating: " ", count: $0) + "- " }.joined(separator: "\n") + "x\n"
        for text in [flow, block] {
            do {
                _ = try RuleFile.parse(text, path: "deep.yml")
                Issue.record("a rule file nested 10,000 deep was accepted")
            } catch {
                #expect("\(error)".contains("deep.yml"))
            }
        }
    }

    @Test func aTemplateNestedPastItsBoundIsAnError() {
        let annotation = String(repeating: "{{ if 1 }}", count: 1000) + String(repeating: "{{ end }}", count: 1000)
        let text = """
            groups:
              - name: g
                rules:
                  - alert: A
                    expr: vector(1)
                    annotations:
                      summary: '\(annotation)'
            """
        #expect(throws: RuleFileErrors.self) { _ = try RuleFile.parse(text, path: "deep.yml") }
    }
}
