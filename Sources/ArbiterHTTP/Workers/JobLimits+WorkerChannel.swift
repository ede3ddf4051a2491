import ArbiterWorkerProtocol

extension JobLimits {
    /// The largest message a worker may send on its WebSocket (also the frame limit): as large as
    /// a request body, and room for twice the largest result, so that a result over the limit
    /// still arrives and is refused with `result_too_large`, which names the limit, rather than by
    /// closing the connection. A message over it cannot be read: the connection is closed with
    /// 1009 (message too big).
    public var maxWorkerMessageBytes: Int {
        max(self.maxBodyBytes, 2 * self.maxPayloadBytes) + 64 * 1024
    }

    /// The most messages in one `batch` from a worker; a larger batch is refused whole.
    public static let maxWorkerBatchMessages = 1000

    /// The limits as the server's `hello` states them.
    var workerLimits: WorkerLimits {
        WorkerLimits(maxMessageBytes: self.maxWorkerMessageBytes, maxResultBytes: self.maxPayloadBytes, maxBatchMessages: Self.maxWorkerBatchMessages)
    }
}
