import ArbiterRedis
import Synchronization

/// Keeps what a client or subscriber told its observer, for tests to look at.
final class RecordingObserver: RedisObserver {
    struct Command: Equatable {
        let name: String
        let error: RedisError.Kind?
    }

    private struct State {
        var commands: [Command] = []
        var connections: [Bool] = []
        var failures: [RedisError] = []
    }

    private let state = Mutex(State())

    func command(_ name: String, duration: Duration, error: RedisError.Kind?) {
        self.state.withLock { $0.commands.append(Command(name: name, error: error)) }
    }

    func connected(replacing: Bool) {
        self.state.withLock { $0.connections.append(replacing) }
    }

    func connectFailed(_ error: RedisError) {
        self.state.withLock { $0.failures.append(error) }
    }

    var commands: [Command] { self.state.withLock { $0.commands } }
    /// `replacing` of every connection made, in order.
    var connections: [Bool] { self.state.withLock { $0.connections } }
    var failures: [RedisError] { self.state.withLock { $0.failures } }
}
