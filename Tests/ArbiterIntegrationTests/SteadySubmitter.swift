import ArbiterTesting
import Foundation
import NIOHTTP1
import Synchronization

/// A client that submits jobs one after another until it is stopped, keeping every answer: what a
/// client sees while the server's store comes and goes.
final class SteadySubmitter: Sendable {
    /// One submission and how it was answered.
    struct Answer: Sendable {
        let sent: ContinuousClock.Instant
        let answered: ContinuousClock.Instant
        /// The HTTP status; `nil` when no answer came (the request failed or timed out).
        let status: Int?
        /// The error's `code`, if the answer was an error.
        let code: String?
        /// The job's id, if one was accepted.
        let jobID: String?
        /// Why no answer came.
        let failure: String?

        var latency: Duration { self.answered - self.sent }
        /// Acknowledged: the client was told the job is stored.
        var accepted: Bool { self.status == 201 || self.status == 200 }
    }

    private let answers = Mutex<[Answer]>([])
    private let running = Mutex(true)
    private let loop = Mutex<Task<Void, Never>?>(nil)

    /// Starts submitting jobs of `type` to `server`, `pause` apart, each given `timeout` to be answered.
    init(_ server: ArbiterServer, type: String, pause: Duration = .milliseconds(20), timeout: Duration = .seconds(15)) {
        let task = Task { [self] in
            var sequence = 0
            while self.running.withLock({ $0 }) {
                sequence += 1
                let sent = ContinuousClock.now
                let answer: Answer
                do {
                    let response = try await server.send(
                        "/api/v1/jobs", method: .POST, headers: [("Content-Type", "application/json")],
                        body: Array(#"{"type":"\#(type)","payload":{"n":\#(sequence)}}"#.utf8), timeout: timeout)
                    let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]
                    answer = Answer(
                        sent: sent, answered: .now, status: response.status, code: (object?["error"] as? [String: Any])?["code"] as? String,
                        jobID: object?["id"] as? String, failure: nil)
                } catch {
                    answer = Answer(sent: sent, answered: .now, status: nil, code: nil, jobID: nil, failure: "\(error)")
                }
                self.answers.withLock { $0.append(answer) }
                try? await Task.sleep(for: pause)
            }
        }
        self.loop.withLock { $0 = task }
    }

    /// Every answer so far, in the order the submissions were sent.
    var all: [Answer] {
        self.answers.withLock { $0 }
    }

    /// The ids of the jobs the server acknowledged.
    var accepted: [String] {
        self.all.compactMap { $0.accepted ? $0.jobID : nil }
    }

    /// Stops after the submission in flight is answered.
    func stop() async {
        self.running.withLock { $0 = false }
        await self.loop.withLock { $0 }?.value
    }
}
