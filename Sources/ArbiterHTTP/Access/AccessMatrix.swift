import ArbiterJobs

/// Which permission every route needs. The router refuses a route missing from this table (403), and
/// a test fails for it, so a new route cannot go unguarded. The README's access matrix is this table.
public enum AccessMatrix {
    /// What a route needs.
    public enum Requirement: Sendable, Equatable {
        /// No token: liveness, readiness, the plain health check.
        case anonymous
        /// `/metrics`: `read`, unless `metrics.public` is set.
        case metrics
        /// A permission.
        case permission(Permission)
        /// `work` as the worker named by the route's `{id}` (a worker token only as its own id).
        case worker
        /// A permission, or `work` as the worker named by the route's `{id}`: a worker may do to itself
        /// what an operator may do to any worker (drain it).
        case permissionOrOwnWorker(Permission)
        /// A console page or form: a signed-in console session whose credential has the permission
        /// (checked again on every request); a form that changes something also needs the session's
        /// CSRF token.
        case console(Permission)
    }

    /// `METHOD /path/{param}` → what it needs.
    public static let routes: [String: Requirement] = [
        "GET /health": .anonymous,
        "GET /livez": .anonymous,
        "GET /readyz": .anonymous,
        "GET /health/detailed": .permission(.read),
        "GET /metrics": .metrics,
        "GET /api/v1/openapi.json": .permission(.read),
        "GET /api/docs": .permission(.read),

        "POST /api/v1/jobs": .permission(.submit),
        "POST /api/v1/jobs/batch": .permission(.submit),
        "GET /api/v1/jobs": .permission(.read),
        "GET /api/v1/jobs/{id}": .permission(.read),
        "POST /api/v1/jobs/{id}/cancel": .permission(.submit),
        "POST /api/v1/jobs/{id}/retry": .permission(.operate),
        // The job's lease must be the caller's (checked by the endpoint).
        "POST /api/v1/jobs/{id}/complete": .permission(.work),
        "POST /api/v1/jobs/{id}/fail": .permission(.work),
        "POST /api/v1/jobs/{id}/progress": .permission(.work),
        "PUT /api/v1/jobs/{id}/artifacts/{name}": .permission(.work),
        "GET /api/v1/jobs/{id}/artifacts": .permission(.read),
        "GET /api/v1/jobs/{id}/artifacts/{name}": .permission(.read),

        "GET /api/v1/job-types": .permission(.read),
        "POST /api/v1/job-types/{type}/pause": .permission(.operate),
        "POST /api/v1/job-types/{type}/resume": .permission(.operate),

        "GET /api/v1/actions": .permission(.read),
        "POST /api/v1/actions/breakers/{type}": .permission(.operate),
        "POST /api/v1/actions/silences": .permission(.operate),
        // An Alertmanager steers with an operator token (webhook_configs' http_config).
        "POST /api/v1/alertmanager/webhook": .permission(.operate),
        "GET /api/v1/capacity": .permission(.read),
        "GET /api/v1/cluster": .permission(.read),

        // The body's worker id must be the caller's (checked by the endpoint).
        "POST /api/v1/workers/register": .permission(.work),
        "GET /api/v1/workers": .permission(.read),
        "GET /api/v1/workers/{id}": .permission(.read),
        "POST /api/v1/workers/{id}/heartbeat": .worker,
        "POST /api/v1/workers/{id}/lease": .worker,
        "GET /api/v1/workers/{id}/connect": .worker,
        // A worker drains itself when it shuts down, as the WebSocket's `drain` message does.
        "POST /api/v1/workers/{id}/drain": .permissionOrOwnWorker(.operate),
        "DELETE /api/v1/workers/{id}": .permission(.operate),

        "POST /api/v1/consents": .permission(.consent),
        "GET /api/v1/consents": .permission(.consent),
        "GET /api/v1/consents/{id}": .permission(.consent),
        "POST /api/v1/consents/{id}/revoke": .permission(.consent),
        "PUT /api/v1/users/{user}/credentials/{scope}": .permission(.consent),
        "DELETE /api/v1/users/{user}/credentials/{scope}": .permission(.consent),

        "GET /api/v1/audit": .permission(.audit),
        "GET /api/v1/audit/verify": .permission(.audit),

        // The Prometheus-compatible API over Arbiter's own metrics.
        "GET /api/v1/query": .permission(.read),
        "POST /api/v1/query": .permission(.read),
        "GET /api/v1/query_range": .permission(.read),
        "POST /api/v1/query_range": .permission(.read),
        "GET /api/v1/series": .permission(.read),
        "POST /api/v1/series": .permission(.read),
        "GET /api/v1/labels": .permission(.read),
        "POST /api/v1/labels": .permission(.read),
        "GET /api/v1/label/{name}/values": .permission(.read),
        "GET /api/v1/metadata": .permission(.read),
        "GET /api/v1/rules": .permission(.read),
        "GET /api/v1/alerts": .permission(.read),
        "GET /api/v1/status/buildinfo": .permission(.read),
        "POST /-/reload": .permission(.operate),

        "POST /api/v1/tokens": .permission(.manageTokens),
        "GET /api/v1/tokens": .permission(.manageTokens),
        "DELETE /api/v1/tokens/{id}": .permission(.manageTokens),

        // The console: its assets and sign-in are open; the rest needs a session.
        "GET /console/assets/{name}": .anonymous,
        "GET /console/login": .anonymous,
        "POST /console/login": .anonymous,
        "POST /console/logout": .console(.read),
        "GET /console": .console(.read),
        "GET /console/jobs": .console(.read),
        "GET /console/jobs/{id}": .console(.read),
        "GET /console/jobs/{id}/artifacts/{name}": .console(.read),
        "POST /console/jobs/{id}/retry": .console(.operate),
        "POST /console/jobs/{id}/cancel": .console(.submit),
        "GET /console/jobs/retry-matching": .console(.operate),
        "POST /console/jobs/retry-matching": .console(.operate),
        "GET /console/jobs/cancel-matching": .console(.submit),
        "POST /console/jobs/cancel-matching": .console(.submit),
        "GET /console/workers": .console(.read),
        "POST /console/workers/{id}/drain": .console(.operate),
        "POST /console/workers/{id}/remove": .console(.operate),
        "GET /console/alerts": .console(.read),
        "GET /console/actions": .console(.read),
        "POST /console/actions/breakers/{type}": .console(.operate),
        "POST /console/actions/silences": .console(.operate),
        "GET /console/capacity": .console(.read),
        "GET /console/consents": .console(.consent),
        "GET /console/audit": .console(.audit),
        "GET /console/dashboards": .console(.read),
        "GET /console/dashboards/{uid}": .console(.read),
    ]

    /// The table key of a matched route: `GET /api/v1/jobs/{id}`.
    public static func key(method: String, path: String) -> String {
        let parts = path.split(separator: "/").map { part -> String in part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part) }
        return "\(method) /" + parts.joined(separator: "/")
    }
}
