import ArbiterJobs
import HTTPTypes

extension APIError {
    /// The HTTP form of a shed submission: 503 `shed` with a `Retry-After`.
    /// - Parameters:
    ///   - refusal: The scheduler's refusal.
    ///   - field: The request field holding the refused job type.
    init(_ refusal: ShedRefusal, field: String) {
        self.init(.serviceUnavailable, code: ShedRefusal.code, message: refusal.message, field: field)
        self.retryAfterSeconds = Int(ShedRefusal.retryAfter.components.seconds)
    }
}
