// The job-engine benchmark. One executable, four roles:
//   JobsBenchmark                        the driver: starts the others, measures, runs pgqueuer, prints ratios
//   JobsBenchmark serve CONFIG LISTEN DATA [no-audit]   an Arbiter daemon (release build, in this process)
//   JobsBenchmark worker URL ID CONCURRENCY OUT   an ArbiterWorkerKit worker with a no-op handler
//   JobsBenchmark hold URL ID            a one-slot worker that sleeps until cancelled (the cancel measurement)
import Foundation

let arguments = CommandLine.arguments
switch arguments.dropFirst().first {
case "serve":
    try await BenchServe.run(config: arguments[2], listen: arguments[3], dataDirectory: arguments[4], auditing: arguments.count < 6)
case "worker":
    try await BenchWorker.run(server: arguments[2], id: arguments[3], concurrency: Int(arguments[4]) ?? 256, output: arguments[5])
case "hold":
    try await BenchHoldingWorker.run(server: arguments[2], id: arguments[3])
default:
    try await Driver(options: Driver.Options(arguments: Array(arguments.dropFirst()))).run()
}
