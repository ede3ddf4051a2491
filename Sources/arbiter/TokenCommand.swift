import ArgumentParser
import Foundation
import NIOHTTP1

/// `arbiter token create|list|revoke`: API tokens, through the server (an admin token is needed).
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create, list and revoke API tokens.",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a token and print it. It is shown this once: the server keeps only its hash.")

        @Option(help: "A name for the token (recorded as the actor in the audit log).")
        var name: String

        @Option(help: "admin, operator, submitter, worker or viewer.")
        var role: String

        @Option(help: "For a worker token: the only worker id it may act as.")
        var workerID: String?

        @OptionGroup var options: ClientOptions

        func run() async throws {
            var body: [String: Any] = ["name": self.name, "role": self.role]
            if let workerID { body["worker_id"] = workerID }
            let created = try await CommandLineFailure.report { try await self.options.client().send(.POST, "/api/v1/tokens", body: body) }
            print(created["token"] as? String ?? "")
            CommandLineError.note("created token \(created["id"] as? String ?? "?") (\(self.role)); it is not shown again")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens (never the tokens themselves).")

        @OptionGroup var options: ClientOptions

        func run() async throws {
            let answer = try await CommandLineFailure.report { try await self.options.client().send(.GET, "/api/v1/tokens") }
            let tokens = answer["tokens"] as? [[String: Any]] ?? []
            var rows = [["ID", "NAME", "ROLE", "WORKER", "CREATED", "REVOKED"]]
            for token in tokens {
                rows.append(["id", "name", "role", "worker_id", "created_at", "revoked_at"].map { token[$0] as? String ?? "-" })
            }
            print(Table.render(rows), terminator: "")
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token; it stops working at once.")

        @Argument(help: "The token's id (from `arbiter token list`).")
        var id: String

        @OptionGroup var options: ClientOptions

        func run() async throws {
            _ = try await CommandLineFailure.report { try await self.options.client().send(.DELETE, "/api/v1/tokens/\(self.id)") }
            print("revoked token \(self.id)")
        }
    }
}

/// Left-aligned columns separated by two spaces.
enum Table {
    static func render(_ rows: [[String]]) -> String {
        guard let first = rows.first else { return "" }
        let widths = (0..<first.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                column == row.count - 1 ? cell : cell.padding(toLength: widths[column], withPad: " ", startingAt: 0)
            }.joined(separator: "  ")
        }.joined(separator: "\n") + "\n"
    }
}
