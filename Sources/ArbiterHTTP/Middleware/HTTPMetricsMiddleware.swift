import ArbiterMetrics
import HTTPTypes
import Hummingbird

/// Counts and times every request as `arbiter_http_requests_total{method,route,code}` and
/// `arbiter_http_request_duration_seconds{method,route}`, and tags responses with `X-Request-Id`.
///
/// `route` is the matched route template (`/health/detailed`, later `/api/v1/jobs/{id}`), never the raw
/// path, and `unmatched` when no route matched; unknown methods count as `other`. Cardinality stays
/// bounded whatever clients send.
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = ArbiterRequestContext

    let requests: CounterFamily
    let durations: HistogramFamily
    let inFlight: Gauge

    init(registry: MetricRegistry) throws {
        self.requests = try registry.counterFamily(
            "arbiter_http_requests_total", help: "HTTP requests answered, by method, route template and status code.",
            labelNames: ["method", "route", "code"])
        self.durations = try registry.histogramFamily(
            "arbiter_http_request_duration_seconds", help: "Time from receiving an HTTP request to returning its response.",
            labelNames: ["method", "route"], unit: "seconds")
        self.inFlight = try registry.gauge("arbiter_http_requests_in_flight", help: "HTTP requests being handled right now.")
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        self.inFlight.increment()
        defer { self.inFlight.decrement() }
        let method = Self.methodLabel(request.method)
        do {
            var response = try await next(request, context)
            response.headers[Self.requestID] = context.id
            self.record(method, context.endpointPath, response.status, since: start)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            self.record(method, context.endpointPath, status, since: start)
            throw error
        }
    }

    private func record(_ method: String, _ route: String?, _ status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        // Hummingbird reports "NotFound" when no route matched.
        let route = (route == nil || (route == "NotFound" && status == .notFound)) ? "unmatched" : route!
        try? self.requests.labels(method, route, String(status.code)).increment()
        try? self.durations.labels(method, route).observe(start.duration(to: .now))
    }

    static let requestID = HTTPField.Name("X-Request-Id")!

    private static func methodLabel(_ method: HTTPRequest.Method) -> String {
        switch method {
        case .get, .head, .post, .put, .delete, .patch, .options: method.rawValue
        default: "other"
        }
    }
}
