import ArbiterJobs
import Hummingbird
import Logging

/// Store failures that are not the client's fault but that the client should understand: a change
/// refused because its audit entry could not be written (fail closed) is a 503 `audit_unavailable`,
/// so the client retries rather than assuming it happened; a database that cannot be reached is a 503
/// `store_unavailable` (nothing was changed), never a 500 or a hang.
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
        } catch let error as StoreUnavailable {
            context.logger.error("store unavailable", metadata: ["error": "\(error)"])
            var answer = APIError(
                .serviceUnavailable, code: "store_unavailable", message: "the store cannot be reached (\(error)); nothing was changed, retry later")
            answer.retryAfterSeconds = 1
            throw answer
        }
    }
}
