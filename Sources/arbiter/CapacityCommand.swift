import ArgumentParser
import Foundation
import NIOHTTP1

/// `arbiter capacity`: the capacity planner's table, through the server.
struct CapacityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "Print, per job type, the arrival rate, service time, utilisation, slots now and the slots Erlang C recommends.",
        discussion: """
            λ is jobs submitted per second and S the mean attempt duration, both over capacity.window; ρ = λ·S / slots now. \
            RECOMMENDED is the fewest slots that keep the mean queue wait under capacity.target_wait; WAIT is the mean wait \
            predicted with the slots there are now (∞: they cannot keep up).
            """)

    @OptionGroup var options: ClientOptions

    func run() async throws {
        let answer = try await CommandLineFailure.report { try await self.options.client().send(.GET, "/api/v1/capacity") }
        print("window \(answer["window"] as? String ?? "?"), target wait \(answer["target_wait"] as? String ?? "?")")
        var rows = [["JOB TYPE", "λ (/s)", "S (s)", "ρ", "SLOTS NOW", "RECOMMENDED", "WAIT NOW"]]
        for type in answer["job_types"] as? [[String: Any]] ?? [] {
            let figure = { (name: String, format: String, missing: String) -> String in
                (type[name] as? NSNumber).map { String(format: format, $0.doubleValue) } ?? missing
            }
            let service = figure("service_seconds", "%.3f", "-")
            rows.append([
                type["job_type"] as? String ?? "", figure("arrival_rate", "%.3f", "-"), service,
                figure("utilization", "%.2f", service == "-" ? "-" : "∞"), "\(type["slots"] as? Int ?? 0)",
                (type["recommended_slots"] as? Int).map(String.init) ?? "-",
                figure("predicted_wait_seconds", "%.3fs", service == "-" ? "-" : "∞"),
            ])
        }
        print(Table.render(rows), terminator: "")
    }
}
