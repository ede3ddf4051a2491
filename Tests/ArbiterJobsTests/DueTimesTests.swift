import ArbiterJobs
import Testing

@Suite struct DueTimesTests {
    @Test func theEarliestComesFirstAndIsTakenOnceDue() {
        let due = DueTimes()
        #expect(due.next == nil && !due.take(dueBy: .max))
        for time: Int64 in [500, 200, 900, 200, 300] { due.note(time) }
        #expect(due.next == 200)
        #expect(!due.take(dueBy: 199), "nothing is due before its time")
        #expect(due.take(dueBy: 300), "every time up to now is taken at once")
        #expect(due.next == 500)
        #expect(due.take(dueBy: 1000) && due.next == nil)
    }

    @Test func anEarlierTimeWakesTheWaiterALaterOneDoesNot() {
        let due = DueTimes()
        let start = due.changed.generation
        due.note(500)
        let afterFirst = due.changed.generation
        #expect(afterFirst != start)
        due.note(800)
        #expect(due.changed.generation == afterFirst, "a later time changes nothing the waiter sleeps toward")
        due.note(100)
        #expect(due.changed.generation != afterFirst)
    }

    @Test func pastItsCapacityTheEarliestAreKept() {
        let due = DueTimes()
        for time in (0..<Int64(DueTimes.capacity)).reversed() { due.note(1000 + time) }
        due.note(5)
        due.note(999_999)
        #expect(due.next == 5)
        var taken: [Int64] = []
        while let next = due.next {
            taken.append(next)
            _ = due.take(dueBy: next)
        }
        #expect(taken.count == DueTimes.capacity && taken == taken.sorted() && taken.last! < 999_999)
    }
}
