import ArbiterJobs
import ArbiterMetrics
import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// Authenticates every request that needs it (`Authorization: Bearer …`), checks the route's
/// requirement in ``AccessMatrix`` against the caller's role, and runs the rest of the request as
/// that caller for the audit log. Refusals: 401 (no, unknown, revoked or invalid credential), 403
/// (the role may not, or a worker token acting for another worker), 429 while the client address is
/// locked out after repeated failures.
struct AccessMiddleware: RouterMiddleware {
    typealias Context = ArbiterRequestContext

    let authenticator: Authenticator
    let lockout: AuthLockout
    let metricsPublic: Bool
    /// The console's sessions; console routes are not served without them.
    let sessions: ConsoleSessions?
    let failures: CounterFamily
    let logger: Logger

    init(
        authenticator: Authenticator, lockout: AuthLockout, metricsPublic: Bool, sessions: ConsoleSessions? = nil, registry: MetricRegistry,
        logger: Logger
    ) throws {
        self.sessions = sessions
        self.authenticator = authenticator
        self.lockout = lockout
        self.metricsPublic = metricsPublic
        self.logger = logger
        self.failures = try registry.counterFamily(
            "arbiter_auth_failures_total",
            help: "Requests refused by authentication or access control, by reason (missing, malformed, unknown_token, revoked_token, expired, bad_signature, forbidden, locked_out, …).",
            labelNames: ["reason"])
        // Every reason exists at 0 from the start, so its first refusal shows in a `rate`.
        for reason in Self.reasons { _ = try self.failures.labels(reason) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let matched = context.endpointPath.flatMap { $0 == "NotFound" ? nil : $0 }
        let requirement: AccessMatrix.Requirement?
        if let matched {
            requirement = AccessMatrix.routes[AccessMatrix.key(method: request.method.rawValue, path: matched)]
            guard requirement != nil else {
                // A route without an entry is never served: fail closed.
                self.count("unlisted_route")
                throw APIError(.forbidden, code: "forbidden", message: "\(request.method.rawValue) \(matched) is not in the access matrix")
            }
        } else {
            // No such route: still only answered to an authenticated caller.
            requirement = nil
        }
        switch requirement {
        case .anonymous: return try await next(request, context)
        case .metrics where self.metricsPublic: return try await next(request, context)
        case .console(let permission)?: return try await self.console(permission, request, context, next: next)
        default: break
        }
        let principal = try await self.authenticate(request, context)
        switch requirement {
        case .permission(let permission):
            guard principal.may(permission) else {
                self.count("forbidden")
                throw APIError(.forbidden, code: "forbidden", message: "role \(principal.role.rawValue) does not have the \(permission.rawValue) permission this route needs")
            }
        case .metrics:
            guard principal.may(.read) else {
                self.count("forbidden")
                throw APIError(.forbidden, code: "forbidden", message: "role \(principal.role.rawValue) does not have the read permission /metrics needs")
            }
        case .worker:
            let id = context.parameters.get("id") ?? ""
            guard principal.mayActAsWorker(id) else {
                self.count("forbidden")
                throw APIError(.forbidden, code: "forbidden", message: Self.workerRefusal(principal, id))
            }
        case .permissionOrOwnWorker(let permission):
            let id = context.parameters.get("id") ?? ""
            guard principal.may(permission) || (principal.may(.work) && principal.mayActAsWorker(id)) else {
                self.count("forbidden")
                let message = principal.role == .worker
                    ? Self.workerRefusal(principal, id)
                    : "role \(principal.role.rawValue) does not have the \(permission.rawValue) permission this route needs"
                throw APIError(.forbidden, code: "forbidden", message: message)
            }
        case .anonymous, .console, nil:
            break
        }
        var context = context
        context.principal = principal
        return try await AuditActor.$current.withValue(principal.actor) { try await next(request, context) }
    }

    /// Why `principal` may not act as worker `id`.
    static func workerRefusal(_ principal: Principal, _ id: String) -> String {
        switch principal.role {
        case .worker: "this worker token acts only as worker \(principal.workerID ?? "(none)"), not \(id)"
        default: "role \(principal.role.rawValue) does not have the work permission this route needs"
        }
    }

    private func authenticate(_ request: Request, _ context: Context) async throws -> Principal {
        let address = context.channel.remoteAddress?.ipAddress ?? "unknown"
        if let wait = self.lockout.retryAfter(address) {
            self.count("locked_out")
            throw RetryLaterError(seconds: max(1, Int(wait.components.seconds) + (wait.components.attoseconds > 0 ? 1 : 0)))
        }
        guard let header = request.headers[.authorization] else {
            self.count("missing")
            throw Self.unauthorized("missing", "this route needs an Authorization: Bearer <token> header")
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            try self.refuse(AuthFailure("malformed", "the Authorization header must be Bearer <token>"), address: address)
        }
        switch await self.authenticator.authenticate(String(parts[1]).trimmingCharacters(in: .whitespaces)) {
        case .success(let principal):
            self.lockout.recordSuccess(address)
            return principal
        case .failure(let failure) where failure.reason == "store_error":
            // The client did nothing wrong: no lockout, and a 503 it retries rather than a 401.
            self.count(failure.reason)
            var answer = APIError(
                .serviceUnavailable, code: "store_unavailable", message: "the token could not be checked because the store cannot be reached; retry later")
            answer.retryAfterSeconds = 1
            throw answer
        case .failure(let failure):
            try self.refuse(failure, address: address)
        }
    }

    func refuse(_ failure: AuthFailure, address: String) throws -> Never {
        self.count(failure.reason)
        if let locked = self.lockout.recordFailure(address) {
            self.logger.warning(
                "client locked out after repeated authentication failures",
                metadata: ["client": "\(address)", "lockout_seconds": "\(locked.components.seconds)"])
        }
        throw Self.unauthorized(failure.reason, failure.message)
    }

    /// The reasons a request is refused for (README, Metrics).
    static let reasons = [
        "missing", "malformed", "unknown_token", "revoked_token", "expired", "not_yet_valid", "bad_signature", "unsupported_algorithm", "wrong_issuer",
        "wrong_audience", "missing_role", "forbidden", "locked_out", "unlisted_route", "csrf", "no_session",
    ]

    func count(_ reason: String) {
        try? self.failures.labels(reason).increment()
    }

    static func unauthorized(_ reason: String, _ message: String) -> APIError {
        APIError(.unauthorized, code: reason == "missing" ? "unauthenticated" : "invalid_token", message: message, field: "Authorization")
    }
}

/// 429 with `Retry-After`: the client address is locked out for now.
struct RetryLaterError: HTTPResponseError {
    let seconds: Int

    var status: HTTPResponse.Status { .tooManyRequests }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try APIError(
            .tooManyRequests, code: "auth_locked_out",
            message: "too many failed authentication attempts from this address; retry in \(self.seconds)s"
        ).response(from: request, context: context)
        response.headers[.retryAfter] = String(self.seconds)
        return response
    }
}
