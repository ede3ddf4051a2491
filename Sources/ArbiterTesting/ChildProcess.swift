import Foundation

/// A program started by a test, with its stderr captured to a file and its exit awaited with a deadline.
// Safety (@unchecked Sendable): `Process` is only started once in init; afterwards it is only read
// (pid, termination status) and signalled, which Foundation allows from any thread.
public final class ChildProcess: @unchecked Sendable {
    private let process: Process
    /// Where the program's stderr goes.
    public let stderrPath: String
    /// Where the program's stdout goes.
    public let stdoutPath: String

    /// Starts the program.
    /// - Parameters:
    ///   - executable: Path of the program.
    ///   - arguments: Its arguments.
    ///   - environment: Variables added to (or replacing) the test's own environment.
    ///   - directory: Working directory; its `stdout.log`/`stderr.log` capture the output.
    /// - Throws: When the program cannot be started.
    public init(executable: String, arguments: [String], environment: [String: String] = [:], directory: String, name: String) throws {
        self.process = Process()
        self.process.executableURL = URL(fileURLWithPath: executable)
        self.process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        self.process.environment = env
        self.process.currentDirectoryURL = URL(fileURLWithPath: directory)
        self.stderrPath = "\(directory)/\(name).stderr.log"
        self.stdoutPath = "\(directory)/\(name).stdout.log"
        _ = FileManager.default.createFile(atPath: self.stderrPath, contents: nil)
        _ = FileManager.default.createFile(atPath: self.stdoutPath, contents: nil)
        self.process.standardError = FileHandle(forWritingAtPath: self.stderrPath)
        self.process.standardOutput = FileHandle(forWritingAtPath: self.stdoutPath)
        self.process.standardInput = FileHandle.nullDevice
        try self.process.run()
    }

    /// The process id.
    public var pid: Int32 { self.process.processIdentifier }

    /// Whether it is still running.
    public var isRunning: Bool { self.process.isRunning }

    /// What it has written on stderr so far.
    public var stderr: String { (try? String(contentsOfFile: self.stderrPath, encoding: .utf8)) ?? "" }

    /// What it has written on stdout so far.
    public var stdout: String { (try? String(contentsOfFile: self.stdoutPath, encoding: .utf8)) ?? "" }

    /// Sends a signal.
    public func signal(_ signal: Int32) {
        if self.process.isRunning { kill(self.process.processIdentifier, signal) }
    }

    /// Waits for the program to exit.
    /// - Parameter timeout: How long to wait.
    /// - Returns: Its exit status, or `nil` if it was still running at the deadline.
    public func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while self.process.isRunning {
            if ContinuousClock.now >= deadline { return nil }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return self.process.terminationStatus
    }

    /// Stops the program: SIGTERM, then SIGKILL if it has not exited after `grace`.
    public func stop(grace: Duration = .seconds(10)) async {
        guard self.process.isRunning else { return }
        self.signal(SIGTERM)
        if await self.waitForExit(timeout: grace) == nil {
            self.signal(SIGKILL)
            _ = await self.waitForExit(timeout: .seconds(5))
        }
    }

    /// Waits until `predicate` holds for the stderr text.
    /// - Returns: The stderr text at that moment.
    /// - Throws: ``TestingError`` when the deadline passes or the program exits first.
    @discardableResult
    public func waitForStderr(timeout: Duration, _ predicate: (String) -> Bool) async throws -> String {
        let deadline = ContinuousClock.now + timeout
        while true {
            let text = self.stderr
            if predicate(text) { return text }
            if !self.process.isRunning {
                throw TestingError("process exited with status \(self.process.terminationStatus) first; stderr:\n\(text)")
            }
            if ContinuousClock.now >= deadline { throw TestingError("timed out; stderr so far:\n\(text)") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}
