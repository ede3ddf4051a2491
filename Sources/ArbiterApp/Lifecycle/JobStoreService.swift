import ArbiterJobs
import ServiceLifecycle

/// Keeps the job store open while the daemon runs and closes it (finishing queued operations) once
/// everything started after it has stopped.
///
/// - Important: Place it first in the `ServiceGroup`: services shut down in reverse order.
struct JobStoreService: Service {
    let store: Ledger

    func run() async throws {
        try? await gracefulShutdown()
        try await self.store.close()
    }
}
