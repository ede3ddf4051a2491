import ArgumentParser
import Foundation
import NIOHTTP1

/// `arbiter actions [list|breaker|silence]`: the scheduler actions alerts put in force, and the
/// operator's overrides, through the server.
struct ActionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "actions",
        abstract: "Show the scheduler actions in force and the circuit breakers; force breakers and silence actions.",
        subcommands: [List.self, Breaker.self, Silence.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the actions in force with their causes, then every circuit breaker.")

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let board = try await CommandLineFailure.report { try await self.options.client().send(.GET, "/api/v1/actions") }
            ActionsCommand.print(board)
        }
    }

    struct Breaker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Force a job type's breaker open or closed (or hand it back to the alerts with auto).")

        @Argument(help: "The job type (* for the breaker of pauses without a target).") var jobType: String
        @Argument(help: "open, closed or auto.") var state: String
        @Option(help: "How long the override lasts, such as 30m (default: until lifted with auto).") var duration: String?

        @OptionGroup var options: ClientOptions

        func run() async throws {
            var body: [String: Any] = ["state": self.state]
            if let duration { body["duration"] = duration }
            let type = self.jobType.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? self.jobType
            let board = try await CommandLineFailure.report { try await self.options.client().send(.POST, "/api/v1/actions/breakers/\(type)", body: body) }
            ActionsCommand.print(board)
        }
    }

    struct Silence: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Silence an action for a while: it stays listed but is not obeyed (0s ends the silence).")

        @Argument(help: "pause, throttle, shed, drain or page.") var action: String
        @Option(help: "The job type it holds.") var jobType: String?
        @Option(help: "The worker it drains.") var workerID: String?
        @Option(help: "How long, such as 30m.") var duration: String

        @OptionGroup var options: ClientOptions

        func run() async throws {
            var body: [String: Any] = ["action": self.action, "duration": self.duration]
            if let jobType { body["job_type"] = jobType }
            if let workerID { body["worker_id"] = workerID }
            let board = try await CommandLineFailure.report { try await self.options.client().send(.POST, "/api/v1/actions/silences", body: body) }
            ActionsCommand.print(board)
        }
    }

    static func print(_ board: [String: Any]) {
        var actions = [["ACTION", "TARGET", "SINCE", "CAUSE", "LABELS", "VALUE", "SILENCED UNTIL"]]
        for action in board["actions"] as? [[String: Any]] ?? [] {
            for cause in action["causes"] as? [[String: Any]] ?? [] {
                let labels = (cause["labels"] as? [String: String] ?? [:]).filter { $0.key.hasPrefix("arbiter_") || $0.key == "severity" }
                actions.append([
                    action["action"] as? String ?? "", action["target"] as? String ?? "", action["since"] as? String ?? "",
                    "\(cause["driver"] as? String ?? ""):\(cause["alert"] as? String ?? "")",
                    labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","),
                    cause["value"] as? String ?? "-", action["silenced_until"] as? String ?? "-",
                ])
            }
        }
        Swift.print(actions.count == 1 ? "no actions in force\n" : Table.render(actions))
        var breakers = [["JOB TYPE", "STATE", "PROBES", "OVERRIDE"]]
        for breaker in board["breakers"] as? [[String: Any]] ?? [] {
            let size = breaker["probe_size"] as? Int ?? 0
            let probes = (breaker["probes_admitted"] as? Int).map { "\($0)/\(size) out, \(breaker["probes_succeeded"] as? Int ?? 0) ok" } ?? "\(size)"
            var override = breaker["override"] as? String ?? "-"
            if let until = breaker["override_until"] as? String { override += " until \(until)" }
            breakers.append([breaker["job_type"] as? String ?? "", breaker["state"] as? String ?? "", probes, override])
        }
        if breakers.count > 1 { Swift.print(Table.render(breakers), terminator: "") }
    }
}
