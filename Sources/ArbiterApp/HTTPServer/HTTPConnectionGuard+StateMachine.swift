extension HTTPConnectionGuard {
    /// What the guard knows about its connection and what it decides at each event, without I/O.
    ///
    /// - Important: "Unanswered" counts request heads handed on to Hummingbird whose response has not
    ///   ended. While it is zero nothing else will write on the connection, so a parse error is
    ///   answered here; otherwise Hummingbird is in the middle of a request, sees the error itself (a
    ///   body read fails), answers it, and the connection closes once everything is answered.
    struct StateMachine {
        enum Phase: Equatable {
            /// No request head has reached Hummingbird yet: it is still waiting on the upgrade handler,
            /// which neither a parse error nor the shutdown's quiesce event ends.
            case awaitingFirstRequest
            /// Hummingbird's HTTP handlers own the connection (its idle timeout and quiescing apply).
            case serving
            /// Refused or finished: reads are discarded until the client closes or the linger time ends.
            case lingering
            /// Closing; every further event is ignored.
            case closed
        }

        private(set) var phase = Phase.awaitingFirstRequest
        private(set) var unanswered = 0
        /// A parse error arrived while a request was unanswered: close once all are answered.
        private var closeWhenAnswered = false
        private var headerTimeoutScheduled = false

        enum ActivationAction: Equatable {
            case scheduleHeaderTimeout
            case doNothing
        }

        /// The connection is active (whichever of `handlerAdded`/`channelActive` saw it first).
        mutating func activated() -> ActivationAction {
            guard self.phase == .awaitingFirstRequest, !self.headerTimeoutScheduled else { return .doNothing }
            self.headerTimeoutScheduled = true
            return .scheduleHeaderTimeout
        }

        enum ReadAction: Equatable {
            case forward
            case forwardAndCancelHeaderTimeout
            case discard
        }

        /// A request head was decoded.
        mutating func requestHeadRead() -> ReadAction {
            switch self.phase {
            case .awaitingFirstRequest:
                self.phase = .serving
                self.unanswered = 1
                return .forwardAndCancelHeaderTimeout
            case .serving:
                self.unanswered += 1
                return .forward
            case .lingering, .closed:
                return .discard
            }
        }

        /// A body chunk or the end of a request was decoded.
        func requestPartRead() -> ReadAction {
            switch self.phase {
            case .awaitingFirstRequest, .serving: .forward
            case .lingering, .closed: .discard
            }
        }

        enum ResponseEndAction: Equatable {
            case write
            case writeAndLinger
        }

        /// A response's last part is being written.
        mutating func responseEndWritten() -> ResponseEndAction {
            self.unanswered = max(0, self.unanswered - 1)
            guard self.phase == .serving, self.closeWhenAnswered, self.unanswered == 0 else { return .write }
            self.phase = .lingering
            return .writeAndLinger
        }

        enum ErrorAction: Equatable {
            /// Answer with this refusal, then linger.
            case refuse(Refusal)
            case forward
            case discard
        }

        /// The decoder could not parse what the client sent.
        mutating func parseFailed(_ refusal: Refusal) -> ErrorAction {
            switch self.phase {
            case .lingering, .closed:
                return .discard
            case .awaitingFirstRequest, .serving:
                if self.unanswered == 0 {
                    self.phase = .lingering
                    return .refuse(refusal)
                }
                self.closeWhenAnswered = true
                return .forward
            }
        }

        /// Any other error; once refused, the decoder's complaints about the bytes that follow are dropped.
        func otherErrorCaught() -> ErrorAction {
            switch self.phase {
            case .awaitingFirstRequest, .serving: .forward
            case .lingering, .closed: .discard
            }
        }

        enum CloseAction: Equatable {
            case close
            case doNothing
        }

        /// The header timeout ended.
        mutating func headerTimeoutFired() -> CloseAction {
            guard self.phase == .awaitingFirstRequest else { return .doNothing }
            self.phase = .closed
            return .close
        }

        /// The linger time after a refusal ended.
        mutating func lingerTimeFired() -> CloseAction {
            guard self.phase == .lingering else { return .doNothing }
            self.phase = .closed
            return .close
        }

        enum QuiesceAction: Equatable {
            case close
            /// Hummingbird's connection handler closes it, at once or after the response in progress.
            case forward
            case doNothing
        }

        /// The server is shutting down.
        mutating func quiesce() -> QuiesceAction {
            switch self.phase {
            case .awaitingFirstRequest, .lingering:
                self.phase = .closed
                return .close
            case .serving:
                return .forward
            case .closed:
                return .doNothing
            }
        }
    }
}
