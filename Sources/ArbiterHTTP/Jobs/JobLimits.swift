/// Size limits on job submissions.
public struct JobLimits: Sendable {
    /// Largest payload, in bytes of compact JSON.
    public var maxPayloadBytes: Int
    /// Largest request body, in bytes.
    public var maxBodyBytes: Int
    /// Most jobs in one batch submission.
    public var maxBatchJobs: Int

    public init(maxPayloadBytes: Int = 1 << 20, maxBodyBytes: Int = 8 << 20, maxBatchJobs: Int = 1000) {
        self.maxPayloadBytes = maxPayloadBytes
        self.maxBodyBytes = maxBodyBytes
        self.maxBatchJobs = maxBatchJobs
    }
}
