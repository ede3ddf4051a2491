import ArbiterWorkerProtocol
import Foundation
import Synchronization

/// Runs a shell command per job: the payload JSON on its stdin, the result JSON from its stdout. A
/// non-zero exit fails the attempt with the exit status and the tail of stderr; a cancelled or timed
/// out job's command is sent SIGTERM (then SIGKILL after 5 s).
///
/// The job's id, type and attempt are in the environment as `ARBITER_JOB_ID`, `ARBITER_JOB_TYPE` and
/// `ARBITER_JOB_ATTEMPT`; the job's user and, for a consent-gated job whose user stored one, the
/// user's credential are in `ARBITER_USER_ID` and `ARBITER_CREDENTIAL`; a dry run has `ARBITER_DRY_RUN=1`
/// (the command must then not act for real).
///
/// With an uploader, each run gets an empty directory in `ARBITER_ARTIFACTS_DIR`; the files the command
/// leaves there are attached to the attempt (whether it succeeded or failed) before it is reported,
/// and the directory is removed.
public struct CommandJobHandler: Sendable {
    /// The command, run with `/bin/sh -c`.
    public let command: String
    /// Where the files in `ARBITER_ARTIFACTS_DIR` go; `nil`: no artifacts directory.
    public let uploader: ArtifactUploader?
    /// Told of files that could not be uploaded (name, reason).
    public let onUploadFailure: @Sendable (_ jobID: String, _ name: String, _ reason: String) -> Void
    /// How much of stderr a failure keeps.
    public static let stderrTail = 2048

    public init(
        command: String, uploader: ArtifactUploader? = nil,
        onUploadFailure: @escaping @Sendable (_ jobID: String, _ name: String, _ reason: String) -> Void = { _, _, _ in }
    ) {
        self.command = command
        self.uploader = uploader
        self.onUploadFailure = onUploadFailure
    }

    public func run(_ assignment: Assignment) async throws -> JSONValue? {
        guard let uploader = self.uploader else { return try await self.run(assignment, artifacts: nil) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arbiter-artifacts-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result: Result<JSONValue?, any Error>
        do {
            result = .success(try await self.run(assignment, artifacts: directory))
        } catch {
            result = .failure(error)
        }
        // A cancelled attempt's lease is over: its files would be refused.
        if !Task.isCancelled {
            let outcome = await uploader.upload(directory: directory, jobID: assignment.jobID, leaseToken: assignment.leaseToken)
            for failure in outcome.failed { self.onUploadFailure(assignment.jobID, failure.name, failure.reason) }
        }
        return try result.get()
    }

    private func run(_ assignment: Assignment, artifacts: String?) async throws -> JSONValue? {
        let input = try JSONEncoder().encode(assignment.payload)
        var environment = ProcessInfo.processInfo.environment
        environment["ARBITER_JOB_ID"] = assignment.jobID
        environment["ARBITER_JOB_TYPE"] = assignment.type
        environment["ARBITER_JOB_ATTEMPT"] = String(assignment.attempt)
        if let user = assignment.userID { environment["ARBITER_USER_ID"] = user }
        if let credential = assignment.credential { environment["ARBITER_CREDENTIAL"] = credential }
        environment["ARBITER_DRY_RUN"] = assignment.dryRun ? "1" : nil
        environment["ARBITER_ARTIFACTS_DIR"] = artifacts
        let run = CommandRun(command: self.command, environment: environment, input: input)
        let outcome = try await withTaskCancellationHandler {
            try await run.start()
        } onCancel: {
            run.terminate()
        }
        try Task.checkCancellation()
        guard outcome.status == 0 else {
            let tail = String(decoding: outcome.stderr.suffix(Self.stderrTail), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw CommandFailure(status: outcome.status, reason: outcome.reason, stderrTail: tail)
        }
        let text = String(decoding: outcome.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return nil }
        // Output that is not JSON is kept as a string rather than failing work that succeeded.
        return (try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))) ?? .string(text)
    }
}

/// A command exited non-zero or was killed.
public struct CommandFailure: Error, LocalizedError {
    public let status: Int32
    public let reason: Process.TerminationReason
    public let stderrTail: String

    public var errorDescription: String? {
        let how = self.reason == .uncaughtSignal ? "was killed by signal \(self.status)" : "exited with status \(self.status)"
        return self.stderrTail.isEmpty ? "the command \(how)" : "the command \(how): \(self.stderrTail)"
    }
}

/// One running command.
// Safety (@unchecked Sendable): `process` is configured before start and then only signalled, which
// Foundation allows from any thread.
final class CommandRun: @unchecked Sendable {
    struct Outcome {
        var status: Int32
        var reason: Process.TerminationReason
        var stdout: Data
        var stderr: Data
    }

    private let process = Process()
    private let input: Data

    init(command: String, environment: [String: String], input: Data) {
        // Foundation starts the child as the leader of a new process group, so cancelling signals the
        // whole group: everything the command started stops, not only the shell.
        self.process.executableURL = URL(fileURLWithPath: "/bin/sh")
        self.process.arguments = ["-c", command]
        self.process.environment = environment
        self.input = input
    }

    func start() async throws -> Outcome {
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        self.process.standardInput = stdin
        self.process.standardOutput = stdout
        self.process.standardError = stderr
        return try await withCheckedThrowingContinuation { continuation in
            // The blocking reads and the wait run on threads of their own: on dispatch's shared pool they
            // could starve the Swift concurrency pool (which on Linux shares its threads).
            Thread.detachNewThread {
                do {
                    try self.process.run()
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                let err = PipeReader(stderr)
                let out = PipeReader(stdout)
                // A command that does not read its input must not block us: write, then close either way.
                try? stdin.fileHandleForWriting.write(contentsOf: self.input)
                try? stdin.fileHandleForWriting.close()
                let stdoutData = out.wait()
                let stderrData = err.wait()
                self.process.waitUntilExit()
                continuation.resume(returning: Outcome(
                    status: self.process.terminationStatus, reason: self.process.terminationReason, stdout: stdoutData, stderr: stderrData))
            }
        }
    }

    func terminate() {
        guard self.process.isRunning else { return }
        let group = -self.process.processIdentifier
        kill(group, SIGTERM)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 5)
            if self.process.isRunning { kill(group, SIGKILL) }
        }
    }
}

/// Reads a pipe to its end on a thread of its own.
final class PipeReader: Sendable {
    private let data = Mutex(Data())
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        Thread.detachNewThread { [self] in
            let bytes = pipe.fileHandleForReading.readDataToEndOfFile()
            self.data.withLock { $0 = bytes }
            self.done.signal()
        }
    }

    /// Everything the pipe carried, once its writer closed it.
    func wait() -> Data {
        self.done.wait()
        return self.data.withLock { $0 }
    }
}
