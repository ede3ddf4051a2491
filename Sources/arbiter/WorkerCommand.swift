import ArbiterApp
import ArbiterWorkerKit
import ArbiterWorkerProtocol
import ArgumentParser
import Foundation
import NIOHTTP1
import Logging
import ServiceLifecycle
import UnixSignals

/// `arbiter worker`: a reference worker that runs a shell command per job.
struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run jobs by executing commands: the payload JSON on stdin, the result JSON from stdout.",
        discussion: """
            Connects to the server's worker channel and runs each assigned job with `/bin/sh -c COMMAND`. A non-zero exit fails \
            the attempt with the tail of stderr as its error. SIGTERM or SIGINT drains: no new jobs, running ones finish and are \
            reported, then the worker exits.
            """
    )

    @Option(help: "The server's URL; for a cluster, several replicas' separated by commas (on losing one the worker moves to the next, keeping its running jobs).")
    var server = "http://127.0.0.1:3000"

    @Option(help: "The worker's id (default: the host name and process id).")
    var id: String?

    @Option(name: .customLong("exec"), help: ArgumentHelp("A job type and the command that runs it.", valueName: "TYPE=COMMAND"))
    var exec: [String] = []

    @Option(help: "How many jobs to run at once.")
    var concurrency = 1

    @Option(help: "A label for the worker, as KEY=VALUE (repeatable).")
    var label: [String] = []

    @Option(help: "How long a shutdown waits for running jobs, in seconds, before cancelling them.")
    var drainTimeout = 30

    @Option(help: "Log format: logfmt or json.")
    var logFormat = "logfmt"

    @OptionGroup var credentials: ClientCredentials

    func validate() throws {
        guard !self.exec.isEmpty else { throw ValidationError("give at least one --exec TYPE=COMMAND") }
        for entry in self.exec {
            guard let equals = entry.firstIndex(of: "="), equals != entry.startIndex, entry.index(after: equals) != entry.endIndex else {
                throw ValidationError("--exec \(entry): expected TYPE=COMMAND")
            }
        }
        guard (1...10_000).contains(self.concurrency) else { throw ValidationError("--concurrency must be from 1 to 10000") }
        if let id = self.id, !(1...128).contains(id.utf8.count) { throw ValidationError("--id must be 1 to 128 bytes") }
        guard self.drainTimeout >= 0 else { throw ValidationError("--drain-timeout must not be negative") }
        guard LogFormat(rawValue: self.logFormat) != nil else { throw ValidationError("--log-format must be logfmt or json") }
        for entry in self.label where !entry.contains("=") {
            throw ValidationError("--label \(entry): expected KEY=VALUE")
        }
    }

    func run() async throws {
        let format = LogFormat(rawValue: self.logFormat) ?? .logfmt
        LoggingSystem.bootstrap { StructuredLogHandler(label: $0, format: format, level: .info) }
        let logger = Logger(label: "arbiter.worker")
        let token = try self.credentials.resolve()
        let uploader = ArtifactUploader(servers: WorkerConfiguration(server: self.server, workerID: "", capabilities: []).servers, token: token)
        var commands: [String: CommandJobHandler] = [:]
        for entry in self.exec {
            let equals = entry.firstIndex(of: "=")!
            commands[String(entry[..<equals])] = CommandJobHandler(command: String(entry[entry.index(after: equals)...]), uploader: uploader) { job, name, reason in
                logger.warning("artifact not uploaded", metadata: ["job_id": "\(job)", "name": "\(name)", "reason": "\(reason)"])
            }
        }
        var labels: [String: String] = [:]
        for entry in self.label {
            let parts = entry.split(separator: "=", maxSplits: 1)
            labels[String(parts[0])] = parts.count > 1 ? String(parts[1]) : ""
        }
        let handlers = commands
        let workerID = self.id ?? "\(ProcessInfo.processInfo.hostName)-\(getpid())"
        try await Self.checkCredentials(server: self.server, token: token, workerID: workerID)
        let worker = ArbiterWorker(
            configuration: WorkerConfiguration(
                server: self.server, workerID: workerID, capabilities: handlers.keys.sorted(),
                concurrency: self.concurrency, labels: labels, drainTimeout: .seconds(self.drainTimeout),
                token: token),
            logger: logger
        ) { assignment in
            guard let handler = handlers[assignment.type] else {
                throw CommandLineFailure("no --exec for job type \(assignment.type)")
            }
            return try await handler.run(assignment)
        }
        let group = ServiceGroup(configuration: .init(
            services: [.init(service: worker, successTerminationBehavior: .gracefullyShutdownGroup)], gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger))
        do {
            try await group.run()
        } catch WorkerError.credentialsRefused(let status, let code, let message) {
            // Refused at a reconnect (revoked meanwhile, or the server was not up for the check above).
            let hint = token == nil ? " (no token given: use --token, --token-file or ARBITER_TOKEN)" : ""
            CommandLineError.print("the server refused this worker's credentials: \(status) \(code): \(message)\(hint)")
            throw ExitCode.failure
        }
    }

    /// A refused credential is a mistake to report at once, not a connection to retry forever: one
    /// heartbeat tells (401: no or bad token; 403: the token may not act as this worker). A server that
    /// cannot be reached yet is left to the reconnect loop.
    static func checkCredentials(server: String, token: String?, workerID: String) async throws {
        let path = "/api/v1/workers/\(workerID.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? workerID)/heartbeat"
        do {
            _ = try await APIClient(server: WorkerConfiguration(server: server, workerID: workerID, capabilities: []).servers[0], token: token).send(.POST, path)
        } catch let failure as CommandLineFailure where failure.description.contains(": 401 ") || failure.description.contains(": 403 ") {
            let hint = token == nil ? " (no token given: use --token, --token-file or ARBITER_TOKEN)" : ""
            CommandLineError.print("the server refused this worker's credentials: \(failure.description)\(hint)")
            throw ExitCode.failure
        } catch {
            // 404 (not registered yet) and an unreachable server are fine here.
        }
    }
}
