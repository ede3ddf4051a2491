import ArbiterJobs
import Hummingbird
import Logging

/// Store failures that are not the client's fault but that the client should understand: a change
/// refused because its audit entry could not be written (fail closed) is a 503 `audit_unavailable`,
/// so the client retries rather than assuming it happened.
struct StoreFailureMiddleware: RouterMiddleware {
    typealias Context = ArbiterRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as AuditWriteError {
            context.logger.error("change refused: the audit log could not be written", metadata: ["error": "\(error)"])
            throw APIError(
                .serviceUnavailable, code: "audit_unavailable",
                message: "the change was not made because its audit entry could not be written; retry later")
        }
    }
}
