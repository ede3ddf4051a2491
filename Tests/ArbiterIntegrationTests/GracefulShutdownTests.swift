import ArbiterTesting
import Foundation
import Testing

/// SIGTERM drains: readiness turns off first, requests in flight finish, the process exits 0 within
/// the grace period.
@Suite struct GracefulShutdownTests {
    @Test func sigtermUnderLoadExitsZeroWithinTheGracePeriod() async throws {
        let server = try await ArbiterServer.start(arguments: ["--shutdown-grace-period", "10s"])
        defer { server.directory.remove() }
        let stop = LoadSwitch()
        let load = Task {
            await withTaskGroup(of: (Int, Int).self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        var ok = 0
                        var failed = 0
                        while stop.isOn {
                            do {
                                let response = try await server.send("/metrics", timeout: .seconds(2))
                                if response.status == 200 {
                                    ok += 1
                                    stop.answered()
                                } else {
                                    failed += 1
                                }
                            } catch {
                                // Connections refused once the listener has closed are expected.
                                failed += 1
                            }
                        }
                        return (ok, failed)
                    }
                }
                return await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
            }
        }
        // Under load, wait until requests are flowing (at least 20 answered), so some are in flight at the signal.
        let warm = ContinuousClock.now + .seconds(20)
        while stop.answeredCount < 20 && ContinuousClock.now < warm { try await Task.sleep(for: .milliseconds(20)) }
        let sent = ContinuousClock.now
        server.process.signal(SIGTERM)
        let status = await server.process.waitForExit(timeout: .seconds(15))
        let took = sent.duration(to: .now)
        stop.turnOff()
        let (ok, failed) = await load.value
        #expect(status == 0, "stderr:\n\(server.process.stderr)")
        #expect(took < .seconds(10), "exit took \(took)")
        print("shutdown under load: exit after \(took), \(ok) answered, \(failed) failed")
        #expect(ok > 0, "\(ok) requests answered, \(failed) failed")
        #expect(server.process.stderr.contains("\"msg\":\"arbiter stopped\""))
    }

    @Test func readinessTurnsOffBeforeTheListenerCloses() async throws {
        // The delay is long enough that a loaded machine still asks for readiness inside it.
        let server = try await ArbiterServer.start(config: "shutdown:\n  delay: 6s\n")
        defer { server.directory.remove() }
        #expect(try await server.get("/readyz").status == 200)
        server.process.signal(SIGTERM)
        try await server.process.waitForStderr(timeout: .seconds(5)) { $0.contains("shutdown started") }
        let during = try await server.get("/readyz")
        #expect(during.status == 503)
        #expect(during.text == #"{"status":"stopping"}"#)
        #expect(try await server.get("/livez").status == 200)
        #expect(await server.process.waitForExit(timeout: .seconds(20)) == 0)
    }
}

final class LoadSwitch: @unchecked Sendable {
    private let lock = NSLock()
    private var off = false
    private var count = 0
    func turnOff() { self.lock.withLock { self.off = true } }
    var isOn: Bool { self.lock.withLock { !self.off } }
    func answered() { self.lock.withLock { self.count += 1 } }
    var answeredCount: Int { self.lock.withLock { self.count } }
}
