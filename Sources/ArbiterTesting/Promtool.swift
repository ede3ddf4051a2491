import Foundation

/// `promtool`, Prometheus's own checker, run on inputs a test produced.
public enum Promtool {
    /// What promtool said.
    public struct Outcome: Sendable {
        /// Exit status: 0 clean, 3 lint problems, 1 parse error (for `check metrics`).
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// `promtool check metrics` on an exposition in text format 0.0.4.
    /// - Parameter exposition: The exposition text, fed on stdin.
    /// - Returns: Exit status and output.
    public static func checkMetrics(_ exposition: String) async throws -> Outcome {
        try await self.run(["check", "metrics"], stdin: Data(exposition.utf8))
    }

    /// Runs promtool with arguments and optional stdin, waiting on a thread of its own.
    public static func run(_ arguments: [String], stdin: Data? = nil) async throws -> Outcome {
        try await Spawn.onOwnThread { try self.runBlocking(arguments, stdin: stdin) }
    }

    private static func runBlocking(_ arguments: [String], stdin: Data?) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try ExternalTool.promtool.require())
        process.arguments = arguments
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        if let stdin { input.fileHandleForWriting.write(stdin) }
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Outcome(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
    }
}
