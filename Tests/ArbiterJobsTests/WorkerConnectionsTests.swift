import ArbiterJobs
import Testing

@Suite("WorkerConnections")
struct WorkerConnectionsTests {
    @Test("a newer connection replaces the one attached before it, whose end then means nothing")
    func newerReplacesOlder() {
        var connections = WorkerConnections()
        let first = connections.claim(workerID: "w1")
        #expect(connections.attach(first) == .attached(replacing: nil))
        let second = connections.claim(workerID: "w1")
        #expect(connections.attach(second) == .attached(replacing: first))
        #expect(connections.current(workerID: "w1") == second)
        #expect(connections.detach(first, stopped: true) == .nothing, "a replaced connection's close does not stop the worker")
        #expect(connections.speaks(second))
        #expect(connections.detach(second, stopped: false) == .disconnected)
        #expect(connections.current(workerID: "w1") == nil)
    }

    @Test("a connection claimed over before it attached is superseded")
    func claimedOver() {
        var connections = WorkerConnections()
        let first = connections.claim(workerID: "w1")
        let second = connections.claim(workerID: "w1")
        #expect(connections.attach(first) == .superseded)
        #expect(connections.attach(second) == .attached(replacing: nil))
        #expect(connections.detach(first, stopped: false) == .nothing)
    }

    @Test("once a newer connection has claimed the worker, the older one's clean close does not stop it")
    func claimFencesAStop() {
        var connections = WorkerConnections()
        let old = connections.claim(workerID: "w1")
        _ = connections.attach(old)
        let new = connections.claim(workerID: "w1")
        #expect(connections.detach(old, stopped: true) == .nothing)
        #expect(connections.attach(new) == .attached(replacing: nil))
        #expect(connections.detach(new, stopped: true) == .stopped)
    }

    @Test("a claim that ends without attaching hands the worker back to the attached connection")
    func failedClaim() {
        var connections = WorkerConnections()
        let attached = connections.claim(workerID: "w1")
        _ = connections.attach(attached)
        let failed = connections.claim(workerID: "w1")
        #expect(connections.detach(failed, stopped: false) == .nothing)
        #expect(connections.speaks(attached))
        #expect(connections.detach(attached, stopped: true) == .stopped)
    }

    @Test("workers do not affect each other, and a stop is read only when the worker drained and held nothing")
    func independentWorkers() {
        var connections = WorkerConnections()
        let a = connections.claim(workerID: "a")
        let b = connections.claim(workerID: "b")
        #expect(connections.attach(a) == .attached(replacing: nil))
        #expect(connections.attach(b) == .attached(replacing: nil))
        #expect(connections.detach(a, stopped: false) == .disconnected)
        #expect(connections.detach(b, stopped: true) == .stopped)
        #expect(connections.current(workerID: "a") == nil && connections.current(workerID: "b") == nil)
    }
}
