import ArbiterCore
import ArbiterHTTP
import Logging
import ServiceLifecycle

/// The first service to hear about a graceful shutdown: it turns `/readyz` to 503 and waits the
/// configured delay before the HTTP server stops accepting, so load balancers drain first.
///
/// - Important: Place it after the HTTP server in the `ServiceGroup`: services shut down in reverse order.
struct ReadinessGate: Service {
    let readiness: Readiness
    let delay: Duration
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        self.readiness.markStopping()
        self.logger.info("shutdown started; readiness turned off", metadata: ["delay": "\(PrometheusDuration.format(self.delay))"])
        if self.delay > .zero {
            try? await Task.sleep(for: self.delay)
        }
    }
}
