import ArbiterCore
import CLibPQ

#if canImport(Glibc)
import Glibc
#endif

extension PostgresConnection {
    /// A notification as `NOTIFY` sent it.
    struct Notification: Sendable, Equatable {
        var channel: String
        var payload: String
    }

    /// Waits up to `timeout` for the server to send something, reads it, and returns the notifications
    /// received (those that came with earlier answers too), oldest first.
    /// - Throws: ``PostgresError`` when the connection is lost.
    func notifications(waitingUpTo timeout: Duration) throws(PostgresError) -> [Notification] {
        var received = self.takeNotifications()
        guard received.isEmpty else { return received }
        var descriptor = pollfd(fd: PQsocket(self.handle), events: Int16(POLLIN), revents: 0)
        guard descriptor.fd >= 0, !self.isBroken else { throw self.lostError() }
        let milliseconds = Int32(clamping: max(timeout.wholeMilliseconds, 0))
        let ready = poll(&descriptor, 1, milliseconds)
        if ready < 0, errno != EINTR { throw self.lostError() }
        if ready > 0 {
            guard PQconsumeInput(self.handle) == 1, !self.isBroken else { throw self.lostError() }
            received = self.takeNotifications()
        }
        return received
    }

    private func takeNotifications() -> [Notification] {
        var received: [Notification] = []
        while let notification = PQnotifies(self.handle) {
            received.append(Notification(channel: String(cString: notification.pointee.relname), payload: String(cString: notification.pointee.extra)))
            PQfreemem(notification)
        }
        return received
    }

    private func lostError() -> PostgresError {
        PostgresError(sqlState: PostgresError.ClientState.connectionLost, message: "the connection to \(self.target) is lost", connectionBroken: true)
    }
}
