import ArbiterJobs
import Testing

@Suite("WorkerSlots")
struct WorkerSlotsTests {
    @Test("a slot that frees is free at once, and a reservation holds a slot until the lease is delivered")
    func reserveDeliverRelease() {
        var slots = WorkerSlots(concurrency: 1)
        #expect(slots.free == 1 && slots.isIdle)
        #expect(slots.reserve(upTo: 5) == 1)
        #expect(slots.free == 0 && !slots.isIdle)
        slots.deliver([(jobID: "j1", token: 10)], reserved: 1)
        #expect(slots.held == ["j1": 10] && slots.reserved == 0 && slots.free == 0)
        #expect(slots.release(jobID: "j1", token: 10) == .released)
        #expect(slots.free == 1 && slots.isIdle)
    }

    @Test("a lease that took fewer jobs than it reserved gives the rest back")
    func unusedReservation() {
        var slots = WorkerSlots(concurrency: 4)
        #expect(slots.reserve(upTo: 4) == 4)
        #expect(slots.reserve(upTo: 1) == 0)
        slots.deliver([(jobID: "j1", token: 1)], reserved: 4)
        #expect(slots.free == 3)
    }

    @Test("news about an earlier lease of a job never frees the slot of a later attempt")
    func tokensFence() {
        var slots = WorkerSlots(concurrency: 2, held: ["j1": 7])
        #expect(slots.release(jobID: "j1", token: 6) == .heldUnderAnotherLease)
        #expect(slots.held == ["j1": 7])
        #expect(slots.release(jobID: "j2", token: 6) == .notHeld)
        #expect(slots.release(jobID: "j1", token: 7) == .released)
        #expect(slots.release(jobID: "j1", token: 7) == .notHeld)
    }

    @Test("draining or closed, a worker takes nothing; it has stopped only once drained and holding nothing")
    func drainAndClose() {
        var slots = WorkerSlots(concurrency: 3, held: ["j1": 1])
        slots.drain()
        #expect(slots.free == 0 && slots.reserve(upTo: 3) == 0)
        #expect(!slots.hasStopped, "it still holds a job")
        #expect(slots.release(jobID: "j1", token: 1) == .released)
        #expect(slots.hasStopped)

        var replaced = WorkerSlots(concurrency: 3)
        replaced.drain()
        replaced.close()
        #expect(replaced.free == 0 && !replaced.hasStopped, "a replaced connection's end is not its worker's stop")
        var closed = WorkerSlots(concurrency: 3)
        closed.close()
        #expect(closed.free == 0)
    }

    @Test func aWorkerWhoseLeaseRanOutGetsNoWorkUntilItSpeaks() {
        var slots = WorkerSlots(concurrency: 2)
        slots.deliver([(jobID: "j1", token: 1)], reserved: slots.reserve(upTo: 1))
        #expect(slots.release(jobID: "j1", token: 1) == .released)
        slots.leaseRanOut()
        let promised = slots.reserve(upTo: 2)
        #expect(slots.free == 0 && promised == 0, "a stalled worker must not be given the requeued job")
        let first = slots.heard()
        #expect(first, "the first message after the expiry says it was unresponsive")
        #expect(slots.free == 2)
        let second = slots.heard()
        #expect(!second, "later messages change nothing")
    }
}
