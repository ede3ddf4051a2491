import ArbiterTesting
import Testing

/// `@Suite(.heavy)`: the suite's test cases take turns with every other heavy one (see
/// ``HeavyTests``), so a machine with two cores is not asked to run two 5,000-job courses, a halted
/// PostgreSQL and a sharding sender at once beside the rest of the suite.
struct HeavyTrait: SuiteTrait, TestTrait, TestScoping {
    var isRecursive: Bool { true }

    func provideScope(for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void) async throws {
        // The suite's own scope adds nothing: each test case takes its turn.
        guard testCase != nil else { return try await function() }
        try await HeavyTests.oneAtATime { try await function() }
    }
}

extension Trait where Self == HeavyTrait {
    static var heavy: Self { HeavyTrait() }
}
