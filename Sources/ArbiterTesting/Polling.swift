/// Waiting for something a test or benchmark cannot be told about directly.
public enum Polling {
    /// Returns once `condition` holds, checking every `interval`.
    /// - Throws: ``TestingError`` naming `what` when `timeout` passes first.
    public static func until(
        _ what: String, timeout: Duration = .seconds(30), interval: Duration = .milliseconds(50), _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: interval)
        }
        throw TestingError("timed out after \(timeout) waiting until \(what)")
    }
}
