import ArbiterCore
import NIOPosix
import Synchronization

/// Leadership among the Arbiter processes on one database: the leader is whoever holds a session
/// advisory lock, on a connection of its own, on a thread of its own.
///
/// PostgreSQL releases the lock the moment the holder's connection ends, so a leader that crashes
/// (or is killed) is replaced at the next ``poll()`` of another process, a second later, with no
/// lease to run out. A leader cut off from the database notices at its next ``poll()`` (the check
/// statement fails within the response timeout) and stops leading before the server has noticed too:
/// the server's TCP keepalives on the connection bound how long it takes (about 8 s). Each new leader
/// raises the epoch in `cluster_leader`, so what a former leader decided can be told from the current
/// one's.
public final class PostgresLeaderLock: Sendable {
    /// What one ``poll()`` found.
    public enum State: Sendable, Equatable {
        /// This process leads, in `epoch`.
        case leader(epoch: Int64)
        /// Another process leads (as `cluster_leader` last said).
        case follower(leader: String?, epoch: Int64?)
        /// The database could not be asked: nobody here may lead.
        case unknown(String)
    }

    /// The advisory lock's key: "arbiter" in ASCII.
    static let key: Int64 = 0x6172_6269_7465_72

    private struct Held: @unchecked Sendable {
        // Safety (@unchecked Sendable): used only on the lock's one thread.
        var connection: PostgresConnection?
        var epoch: Int64?
    }

    private let configuration: PostgresConfiguration
    private let replicaID: String
    private let thread = NIOThreadPool(numberOfThreads: 1)
    private let held = Mutex(Held())

    /// - Parameters:
    ///   - configuration: The database; its statements must answer within its response timeout
    ///     (set to 2 s here unless shorter).
    ///   - replicaID: This process's name, written to `cluster_leader` when it leads.
    public init(configuration: PostgresConfiguration, replicaID: String) {
        var configuration = configuration
        configuration.responseTimeout = min(configuration.responseTimeout ?? .seconds(2), .seconds(2))
        configuration.statementTimeout = .seconds(2)
        configuration.applicationName = "arbiter-leader"
        // Keepalives both ways, 5 s idle then 3 probes a second apart: libpq's notice a vanished
        // server; the server's own (this session's settings, given through libpq's `options`) free the
        // lock of a holder that vanished without a packet saying so within about 8 s, instead of the
        // operating system's default of two hours. A conninfo that sets a keyword keeps its value.
        let serverKeepalives = "-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=1 -c tcp_keepalives_count=3"
        for (keyword, value) in ["keepalives": "1", "keepalives_idle": "5", "keepalives_interval": "1", "keepalives_count": "3", "options": serverKeepalives] {
            configuration.defaultParameters[keyword] = configuration.defaultParameters[keyword] ?? value
        }
        self.configuration = configuration
        self.replicaID = replicaID
        self.thread.start()
    }

    /// Takes the lock if nobody holds it, or checks that this process still does.
    /// - Parameter now: Unix ms, recorded as `since` by a new leader.
    public func poll(now: Int64) async -> State {
        do {
            return try await self.thread.runIfActive { self.pollBlocking(now: now) }
        } catch {
            return .unknown("the leader lock is closed")
        }
    }

    /// Gives the lock up (a clean shutdown hands over at once) and stops the thread.
    public func close() async {
        _ = try? await self.thread.runIfActive {
            self.held.withLock { held in
                if held.epoch != nil { _ = try? held.connection?.query("SELECT pg_advisory_unlock($1)", [.int64(Self.key)]) }
                held = Held()
            }
        }
        try? await self.thread.shutdownGracefully()
    }

    private func pollBlocking(now: Int64) -> State {
        self.held.withLock { held in
            do throws(PostgresError) {
                let connection: PostgresConnection
                if let open = held.connection {
                    connection = open
                } else {
                    connection = try PostgresConnection(self.configuration)
                    held.connection = connection
                }
                if let epoch = held.epoch {
                    // Still the holder while the connection answers: the lock lives as long as it.
                    _ = try connection.query("SELECT 1")
                    return .leader(epoch: epoch)
                }
                let taken = try connection.query("SELECT pg_try_advisory_lock($1)", [.int64(Self.key)]).first?[0].bool ?? false
                if taken {
                    let row = try connection.query(
                        """
                        INSERT INTO cluster_leader (id, replica_id, epoch, since) VALUES (1, $1, 1, $2)
                        ON CONFLICT (id) DO UPDATE SET replica_id = EXCLUDED.replica_id, epoch = cluster_leader.epoch + 1, since = EXCLUDED.since
                        RETURNING epoch
                        """, [.text(self.replicaID), .int64(now)]
                    ).first
                    let epoch = row?[0].int64 ?? 0
                    held.epoch = epoch
                    return .leader(epoch: epoch)
                }
                let row = try connection.query("SELECT replica_id, epoch FROM cluster_leader WHERE id = 1").first
                return .follower(leader: row?[0].text, epoch: row?[1].int64)
            } catch {
                // Whatever the lock's fate on the server, this process can no longer be sure it holds
                // it: it stops leading now, and starts over on a new connection next time.
                held = Held()
                return .unknown("\(error)")
            }
        }
    }
}
