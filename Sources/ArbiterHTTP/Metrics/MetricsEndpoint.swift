import ArbiterMetrics
import CompressNIO
import HTTPTypes
import Hummingbird
import NIOCore
import Synchronization

/// `GET /metrics`: the registry in the format the scraper asks for, gzip-compressed when it accepts it.
///
/// `?format=text|openmetrics` overrides the `Accept` header, so a scraper that cannot choose its
/// `Accept` (Prometheus 2.42 always prefers OpenMetrics) can still be pointed at text 0.0.4.
final class MetricsEndpoint: Sendable {
    let registry: MetricRegistry
    let scrapes: CounterFamily
    let renderDuration: HistogramFamily
    /// The size of the last render, so the next one starts with a buffer that fits.
    let lastSize = Atomic<Int>(64 * 1024)

    init(registry: MetricRegistry) throws {
        self.registry = registry
        self.scrapes = try registry.counterFamily(
            "arbiter_metrics_scrapes_total", help: "Scrapes of /metrics answered, by format and content encoding.",
            labelNames: ["format", "encoding"])
        self.renderDuration = try registry.histogramFamily(
            "arbiter_metrics_render_duration_seconds", help: "Time to render the registry for one scrape, compression included.",
            labelNames: ["format"], unit: "seconds")
    }

    func register(on router: Router<ArbiterRequestContext>) {
        router.get("/metrics") { request, _ in try self.respond(to: request) }
    }

    private func respond(to request: Request) throws -> Response {
        let format: ExpositionFormat
        if let requested = request.uri.queryParameters.get("format") {
            guard let chosen = ExpositionFormat(rawValue: requested) else {
                throw APIError(
                    .badRequest, code: "invalid_parameter",
                    message: "query parameter format must be one of: text, openmetrics (got \"\(requested)\")", field: "format")
            }
            format = chosen
        } else {
            format = .negotiate(accept: request.headers[.accept])
        }
        let gzip = ExpositionFormat.acceptsGzip(request.headers[.acceptEncoding])
        let start = ContinuousClock.now
        // One allocation per scrape, sized from the last one; the series are written straight into it
        // and the buffer becomes the response body without a copy.
        var body = ByteBufferAllocator().buffer(capacity: self.lastSize.load(ordering: .relaxed) + 4096)
        self.registry.render(format, into: &body)
        self.lastSize.store(body.readableBytes, ordering: .relaxed)
        var headers = HTTPFields()
        headers[.contentType] = format.contentType
        headers[.vary] = "Accept, Accept-Encoding"
        if gzip {
            body = try body.compress(with: .gzip(), allocator: ByteBufferAllocator())
            headers[.contentEncoding] = "gzip"
        }
        try? self.renderDuration.labels(format.rawValue).observe(start.duration(to: .now))
        try? self.scrapes.labels(format.rawValue, gzip ? "gzip" : "identity").increment()
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}
