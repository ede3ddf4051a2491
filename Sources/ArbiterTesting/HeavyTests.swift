/// Tests that load the machine on their own (thousands of jobs, several daemons and workers, a
/// PostgreSQL halted and restarted) take turns, so their bounds hold while the rest of the suite runs
/// beside them on two cores. Waiting for a turn costs no CPU.
public enum HeavyTests {
    private static let gate = TurnGate()

    /// Runs `body` once no other heavy test is running.
    public static func oneAtATime<T>(_ body: () async throws -> T) async throws -> T {
        await self.gate.enter()
        do {
            let result = try await body()
            await self.gate.leave()
            return result
        } catch {
            await self.gate.leave()
            throw error
        }
    }
}

/// One holder at a time; the others wait in order.
actor TurnGate {
    private var held = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func enter() async {
        guard self.held else {
            self.held = true
            return
        }
        await withCheckedContinuation { self.waiting.append($0) }
    }

    func leave() {
        guard !self.waiting.isEmpty else {
            self.held = false
            return
        }
        self.waiting.removeFirst().resume()
    }
}
