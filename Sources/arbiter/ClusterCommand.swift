import ArgumentParser
import Foundation
import NIOHTTP1

/// `arbiter cluster`: the replicas, the leader and which replica holds which worker, through the server.
struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Print the replicas of the cluster, which one leads, and the workers each holds.",
        discussion: """
            Asked of one replica (--server), which answers with what the replicas announced through Redis and the leader it \
            last learned from PostgreSQL. Alone (no cluster.redis), the process is the whole cluster.
            """)

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let answer = try await CommandLineFailure.report { try await self.options.client().send(.GET, "/api/v1/cluster") }
        let leader = answer["leader"] as? String ?? "none"
        let epoch = (answer["epoch"] as? Int).map { " (epoch \($0))" } ?? ""
        let mode = answer["clustered"] as? Bool == true ? "cluster, coordination \(answer["coordination"] as? String ?? "?")" : "alone"
        print("\(mode); leader \(leader)\(epoch); answered by \(answer["replica_id"] as? String ?? "?")")
        var rows = [["REPLICA", "ADDRESS", "VERSION", "STARTED", "LAST SEEN", "LEADER", "WORKERS"]]
        for replica in answer["replicas"] as? [[String: Any]] ?? [] {
            let workers = replica["workers"] as? [String] ?? []
            rows.append([
                replica["id"] as? String ?? "", replica["address"] as? String ?? "", replica["version"] as? String ?? "",
                replica["started_at"] as? String ?? "", replica["seen_at"] as? String ?? "", replica["leader"] as? Bool == true ? "yes" : "",
                workers.isEmpty ? "-" : workers.joined(separator: ","),
            ])
        }
        print(Table.render(rows), terminator: "")
    }
}
