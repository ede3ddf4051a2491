@testable import ArbiterApp
import Foundation
import Testing

/// Every decision of the connection guard, apart from any connection: when a malformed request is
/// refused here and when Hummingbird answers it, when a connection is closed, and what the refusal says.
/// (Each event is applied outside `#expect`, which cannot hold a mutating call.)
@Suite struct HTTPConnectionGuardTests {
    typealias Machine = HTTPConnectionGuard.StateMachine

    @Test func theHeaderTimeoutIsScheduledOnceAndTheFirstHeadCancelsIt() {
        var machine = Machine()
        let first = machine.activated()
        let second = machine.activated()
        let head = machine.requestHeadRead()
        let timeout = machine.headerTimeoutFired()
        let later = machine.activated()
        #expect(first == .scheduleHeaderTimeout)
        #expect(second == .doNothing)
        #expect(head == .forwardAndCancelHeaderTimeout)
        #expect(timeout == .doNothing)
        #expect(later == .doNothing)
        #expect(machine.phase == .serving)
    }

    @Test func aConnectionWithoutARequestHeadIsClosedWhenTheHeaderTimeoutEnds() {
        var machine = Machine()
        _ = machine.activated()
        let timeout = machine.headerTimeoutFired()
        #expect(timeout == .close)
        #expect(machine.phase == .closed)
        let again = machine.headerTimeoutFired()
        let head = machine.requestHeadRead()
        let parse = machine.parseFailed(.headersTooLarge)
        let quiesce = machine.quiesce()
        #expect(again == .doNothing)
        #expect(head == .discard)
        #expect(parse == .discard)
        #expect(quiesce == .doNothing)
    }

    @Test func aParseErrorBeforeTheFirstRequestIsRefusedHereThenTheConnectionLingers() {
        var machine = Machine()
        _ = machine.activated()
        let parse = machine.parseFailed(.headersTooLarge)
        #expect(parse == .refuse(.headersTooLarge))
        #expect(machine.phase == .lingering)
        // What the client still sends is dropped, and the decoder's complaints about it too.
        let head = machine.requestHeadRead()
        let again = machine.parseFailed(.malformed(reason: "x"))
        let timeout = machine.headerTimeoutFired()
        #expect(head == .discard)
        #expect(machine.requestPartRead() == .discard)
        #expect(again == .discard)
        #expect(machine.otherErrorCaught() == .discard)
        #expect(timeout == .doNothing)
        let linger = machine.lingerTimeFired()
        let lingerAgain = machine.lingerTimeFired()
        #expect(linger == .close)
        #expect(lingerAgain == .doNothing)
    }

    @Test func aParseErrorBetweenKeepAliveRequestsIsRefusedHere() {
        var machine = Machine()
        _ = machine.requestHeadRead()
        #expect(machine.requestPartRead() == .forward)
        let end = machine.responseEndWritten()
        let refusal = HTTPConnectionGuard.Refusal.malformed(reason: "invalid HTTP method")
        let parse = machine.parseFailed(refusal)
        #expect(end == .write)
        #expect(parse == .refuse(refusal))
        #expect(machine.phase == .lingering)
    }

    @Test func aParseErrorDuringARequestIsLeftToHummingbirdAndTheConnectionLingersOnceItIsAnswered() {
        var machine = Machine()
        _ = machine.requestHeadRead()
        let parse = machine.parseFailed(.malformed(reason: "invalid character in chunk size header"))
        #expect(parse == .forward)
        #expect(machine.otherErrorCaught() == .forward)
        #expect(machine.phase == .serving)
        let end = machine.responseEndWritten()
        #expect(end == .writeAndLinger)
        #expect(machine.phase == .lingering)
        // Hummingbird's own 400 for the part that failed to parse still goes out after it.
        let hummingbirdsEnd = machine.responseEndWritten()
        let quiesce = machine.quiesce()
        #expect(hummingbirdsEnd == .write)
        #expect(quiesce == .close)
    }

    @Test func pipelinedRequestsAreAllAnsweredBeforeTheConnectionLingers() {
        var machine = Machine()
        _ = machine.requestHeadRead()
        let second = machine.requestHeadRead()
        #expect(second == .forward)
        #expect(machine.unanswered == 2)
        let parse = machine.parseFailed(.headersTooLarge)
        let firstEnd = machine.responseEndWritten()
        let secondEnd = machine.responseEndWritten()
        #expect(parse == .forward)
        #expect(firstEnd == .write)
        #expect(secondEnd == .writeAndLinger)
        #expect(machine.unanswered == 0)
    }

    @Test func aKeepAliveConnectionWithoutErrorsNeverLingers() {
        var machine = Machine()
        var ends: [Machine.ResponseEndAction] = []
        for _ in 0..<3 {
            _ = machine.requestHeadRead()
            ends.append(machine.responseEndWritten())
        }
        let linger = machine.lingerTimeFired()
        #expect(ends == [.write, .write, .write])
        #expect(machine.phase == .serving)
        #expect(linger == .doNothing)
    }

    @Test func quiesceClosesWhatHummingbirdDoesNotHoldAndLeavesTheRestToIt() {
        var waiting = Machine()
        _ = waiting.activated()
        let waitingQuiesce = waiting.quiesce()
        let waitingTimeout = waiting.headerTimeoutFired()
        #expect(waitingQuiesce == .close)
        #expect(waitingTimeout == .doNothing)

        var serving = Machine()
        _ = serving.requestHeadRead()
        let servingQuiesce = serving.quiesce()
        #expect(servingQuiesce == .forward)
        #expect(serving.phase == .serving)

        var lingering = Machine()
        _ = lingering.parseFailed(.headersTooLarge)
        let lingeringQuiesce = lingering.quiesce()
        let lingeringTimer = lingering.lingerTimeFired()
        #expect(lingeringQuiesce == .close)
        #expect(lingeringTimer == .doNothing)
    }

    @Test func refusalsAnswerInTheAPIsErrorShape() throws {
        let cases: [(HTTPConnectionGuard.Refusal, String)] = [
            (.malformed(reason: "invalid character in header"), "malformed_request"), (.headersTooLarge, "headers_too_large"),
        ]
        for (refusal, code) in cases {
            let object = try JSONSerialization.jsonObject(with: Data(refusal.body.utf8)) as? [String: [String: String]]
            #expect(object?["error"]?["code"] == code)
            #expect(object?["error"]?["message"]?.isEmpty == false)
        }
        #expect(HTTPConnectionGuard.Refusal.malformed(reason: "invalid character in header").body.contains("invalid character in header"))
    }
}
