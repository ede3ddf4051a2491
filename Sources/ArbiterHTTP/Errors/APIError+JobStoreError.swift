import ArbiterJobs
import HTTPTypes

extension APIError {
    /// The HTTP form of a store refusal: 404 for a missing job or worker, 409 for the rest.
    init(_ error: JobStoreError) {
        switch error.code {
        case .notFound: self.init(.notFound, code: "not_found", message: error.message, field: "id")
        case .idempotencyConflict: self.init(.conflict, code: error.code.rawValue, message: error.message, field: "idempotency_key")
        case .staleLease, .jobCancelled: self.init(.conflict, code: error.code.rawValue, message: error.message, field: "token")
        case .illegalTransition: self.init(.conflict, code: error.code.rawValue, message: error.message)
        case .consentRequired: self.init(.forbidden, code: error.code.rawValue, message: error.message, field: "user_id")
        case .artifactsTooLarge: self.init(.contentTooLarge, code: error.code.rawValue, message: error.message, field: "body")
        }
    }
}
