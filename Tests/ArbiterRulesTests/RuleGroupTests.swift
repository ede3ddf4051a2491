import ArbiterRules
import ArbiterTSDB
import Foundation
import Testing

/// A reload replaces each rule group with a new one that adopts the old one's state. An
/// evaluation of the old group still in flight at that moment must not be lost: Prometheus stops
/// the old group before the new one copies its state.
@Suite struct RuleGroupTests {
    static let file = """
        groups:
          - name: queue
            rules:
              - alert: Backlog
                expr: vector(1)
                for: 1m
        """

    let alert = Labels(["alertname": "Backlog"])

    func group() throws -> RuleGroup {
        let definition = try RuleFile.parse(Self.file, path: "queue.yml").groups[0]
        return RuleGroup(file: "queue.yml", definition: definition, defaultInterval: 15_000)
    }

    /// Runs `body`, which blocks, on a thread of its own, and returns when it has.
    static func onThreadOfItsOwn(_ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                body()
                continuation.resume()
            }
        }
    }

    @Test func aReloadDuringAnEvaluationKeepsWhatItDid() async throws {
        let storage = HeldStorage()
        let environment = RuleEnvironment(storage: storage)
        let old = try self.group()
        let fresh = try self.group()
        old.evaluate(at: 0, environment: environment)
        // The evaluation at 60 s takes the alert from pending to firing, then waits on its first
        // sample; the reload adopts the old group meanwhile.
        storage.holdNextAppend()
        async let evaluated: Void = Self.onThreadOfItsOwn { _ = old.evaluate(at: 60_000, environment: environment) }
        await storage.held()
        fresh.adopt(old)
        storage.release()
        await evaluated

        let kept = fresh.rules[0].alerts.alerts[self.alert]
        #expect(kept?.state == .firing)
        #expect(kept?.activeAt == 0)
        #expect(kept?.firedAt == 60_000)
        #expect(fresh.lastEvaluation == 60_000)
        // The new group carries on from there.
        let appended = storage.appended
        fresh.evaluate(at: 75_000, environment: environment)
        #expect(storage.appended > appended)
        #expect(fresh.rules[0].alerts.alerts[self.alert]?.firedAt == 60_000)
    }

    @Test func twoReloadsDuringAnEvaluationPassItOn() async throws {
        let storage = HeldStorage()
        let environment = RuleEnvironment(storage: storage)
        let old = try self.group()
        let middle = try self.group()
        let fresh = try self.group()
        old.evaluate(at: 0, environment: environment)
        storage.holdNextAppend()
        async let evaluated: Void = Self.onThreadOfItsOwn { _ = old.evaluate(at: 60_000, environment: environment) }
        await storage.held()
        middle.adopt(old)
        fresh.adopt(middle)
        // Until the result is in, the newest group does not evaluate from the state it will replace.
        let appended = storage.appended
        fresh.evaluate(at: 75_000, environment: environment)
        #expect(storage.appended == appended)
        storage.release()
        await evaluated

        let kept = fresh.rules[0].alerts.alerts[self.alert]
        #expect(kept?.state == .firing)
        #expect(kept?.activeAt == 0)
        #expect(kept?.firedAt == 60_000)
    }

    @Test func aReplacedGroupEvaluatesNoMore() throws {
        let storage = HeldStorage()
        let environment = RuleEnvironment(storage: storage)
        let old = try self.group()
        let fresh = try self.group()
        old.evaluate(at: 0, environment: environment)
        fresh.adopt(old)
        // The old group would write `ALERTS` beside the new one's.
        let appended = storage.appended
        old.evaluate(at: 15_000, environment: environment)
        #expect(storage.appended == appended)
        #expect(old.lastEvaluation == 0)
        fresh.evaluate(at: 15_000, environment: environment)
        #expect(storage.appended > appended)
        #expect(fresh.rules[0].alerts.alerts[self.alert]?.activeAt == 0)
    }
}
