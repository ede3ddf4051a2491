import ArgumentParser

/// `arbiter`: the daemon and its client commands.
@main
struct Arbiter: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "arbiter",
        abstract: "A job-orchestration daemon whose scheduler is steered by its own metrics.",
        subcommands: [ServeCommand.self, MigrateCommand.self, BackupCommand.self, RestoreCommand.self, ConfigCommand.self, WorkerCommand.self, TokenCommand.self, AuditCommand.self, ActionsCommand.self, CapacityCommand.self, ClusterCommand.self, PromQLCommand.self, RulesCommand.self, VersionCommand.self]
    )
}
