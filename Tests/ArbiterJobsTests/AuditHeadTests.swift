import ArbiterJobs
import Testing

@Suite struct AuditHeadTests {
    let hash: [UInt8] = (0..<32).map { UInt8($0 * 7 % 256) }

    @Test func theHeadPrintsAsItIsExpected() throws {
        let head = AuditHead(seq: 42, hash: self.hash)
        let expectation = try AuditHeadExpectation(parsing: head.description)
        #expect(expectation.seq == 42 && expectation.problem(length: 42, entryHash: self.hash) == nil)
        #expect(head.hashPrefix == Double(0x00070e151c23))
    }

    @Test func aShorterOrDifferentChainIsNamed() throws {
        let expectation = try AuditHeadExpectation(parsing: "42:00070E151C23")
        #expect(expectation.problem(length: 50, entryHash: self.hash) == nil, "a longer chain still holds the expected entry")
        #expect(expectation.problem(length: 41, entryHash: nil)?.contains("ends at entry 41 but entry 42 was expected") == true)
        var other = self.hash
        other[0] = 0xff
        #expect(expectation.problem(length: 42, entryHash: other)?.contains("rewritten") == true)
    }

    @Test(arguments: ["", "42", "42:", "x:00070e151c23", "0:00070e151c23", "42:00070e15", "42:zz070e151c23", "42:1:2"])
    func malformedExpectationsAreRefused(text: String) {
        #expect(throws: AuditHeadExpectation.Invalid.self) { _ = try AuditHeadExpectation(parsing: text) }
    }
}
