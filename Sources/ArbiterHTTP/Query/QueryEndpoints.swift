import ArbiterCore
import ArbiterMetrics
import ArbiterPromQL
import ArbiterTSDB
import Hummingbird

/// The Prometheus HTTP API over Arbiter's own time-series head: `/api/v1/query`, `/query_range`,
/// `/series`, `/labels`, `/label/{name}/values`, `/metadata`, `/status/buildinfo` — GET or POST
/// with a form body, the same envelope, result types and string-encoded values, so Grafana can use
/// Arbiter as a Prometheus data source.
struct QueryEndpoints: Sendable {
    let api: QueryAPI
    let maxBodyBytes: Int
    /// Points per series a range query may return (as Prometheus).
    static let maxPoints: Int64 = 11_000

    func register(on router: Router<ArbiterRequestContext>) {
        let v1 = router.group("/api/v1")
        for (path, handler) in [
            ("query", self.query), ("query_range", self.queryRange), ("series", self.series), ("labels", self.labels),
        ] as [(String, @Sendable (FormParameters) async throws -> Response)] {
            v1.get(.init(stringLiteral: path)) { request, _ in try await self.run(request, handler) }
            v1.post(.init(stringLiteral: path)) { request, _ in try await self.run(request, handler) }
        }
        v1.get("label/:name/values") { request, context in
            let name = context.parameters.get("name") ?? ""
            return try await self.run(request) { try await self.labelValues(name, $0) }
        }
        v1.get("metadata") { request, _ in try await self.run(request, self.metadata) }
        v1.get("status/buildinfo") { _, _ in
            PrometheusAPI.success([
                "version": ArbiterVersion.version, "revision": "", "branch": "", "buildUser": "", "buildDate": "", "goVersion": "",
                "application": "arbiter",
            ])
        }
    }

    private func run(_ request: Request, _ handler: (FormParameters) async throws -> Response) async throws -> Response {
        try await PrometheusAPI.handle {
            try await handler(try await FormParameters.read(request, limit: self.maxBodyBytes))
        }
    }

    private func parse(_ text: String?, field: String = "query") throws -> Expr {
        do {
            return try Parser.parse(text ?? "")
        } catch {
            throw PrometheusAPI.Failure.parameter(field, "\(error)")
        }
    }

    private func engine(_ parameters: FormParameters) throws -> Engine {
        var options = self.api.engine.options
        if let timeout = try PrometheusAPI.duration(parameters.first("timeout"), "timeout"), timeout > 0 {
            options.timeout = min(options.timeout, .milliseconds(timeout))
        }
        return Engine(options: options)
    }

    private func evaluate<T>(_ body: () throws(QueryError) -> T) throws -> T {
        do {
            return try body()
        } catch {
            switch error.kind {
            case .timeout: throw PrometheusAPI.Failure(.timeout, error.message, code: "query_timeout")
            case .tooManySamples: throw PrometheusAPI.Failure(.execution, error.message, code: "query_too_large")
            case .execution: throw PrometheusAPI.Failure(.execution, error.message, code: "query_failed")
            }
        }
    }

    func query(_ parameters: FormParameters) async throws -> Response {
        let expr = try self.parse(parameters.first("query"))
        let time = try PrometheusAPI.time(parameters.first("time"), "time", default: WallClock.nowMilliseconds())!
        let engine = try self.engine(parameters)
        let value = try self.evaluate { () throws(QueryError) in try engine.instant(expr, at: time, on: self.api.head) }
        return PrometheusAPI.success(["resultType": value.type.apiName, "result": PrometheusJSON.result(value, at: time)])
    }

    func queryRange(_ parameters: FormParameters) async throws -> Response {
        let expr = try self.parse(parameters.first("query"))
        guard let start = try PrometheusAPI.time(parameters.first("start"), "start", default: nil) else {
            throw PrometheusAPI.Failure.parameter("start", "cannot parse \"\" to a valid timestamp")
        }
        guard let end = try PrometheusAPI.time(parameters.first("end"), "end", default: nil) else {
            throw PrometheusAPI.Failure.parameter("end", "cannot parse \"\" to a valid timestamp")
        }
        guard end >= start else { throw PrometheusAPI.Failure.parameter("end", "end timestamp must not be before start time") }
        guard let step = try PrometheusAPI.duration(parameters.first("step"), "step") else {
            throw PrometheusAPI.Failure.parameter("step", "cannot parse \"\" to a valid duration")
        }
        guard step > 0 else {
            throw PrometheusAPI.Failure.parameter("step", "zero or negative query resolution step widths are not accepted. Try a positive integer")
        }
        // Times reach ±9e18 ms, so the span can overflow Int64: such a span is too many points too
        // (Go's time.Sub saturates the same way in Prometheus).
        let (span, overflow) = end.subtractingReportingOverflow(start)
        guard !overflow, span / step <= Self.maxPoints else {
            throw PrometheusAPI.Failure(
                .badData, "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
                code: "too_many_points", field: "step")
        }
        guard expr.type == .scalar || expr.type == .vector else {
            throw PrometheusAPI.Failure(
                .badData, "invalid expression type \"\(expr.type.rawValue)\" for range query, must be Scalar or instant Vector", code: "invalid_parameter",
                field: "query")
        }
        let engine = try self.engine(parameters)
        let series = try self.evaluate { () throws(QueryError) in try engine.range(expr, start: start, end: end, step: step, on: self.api.head) }
        return PrometheusAPI.success(["resultType": "matrix", "result": series.map(PrometheusJSON.series)])
    }

    /// The selectors of `match[]`.
    private func matchers(_ parameters: FormParameters, required: Bool) throws -> [[LabelMatcher]] {
        let texts = parameters.all("match[]")
        if required && texts.isEmpty { throw PrometheusAPI.Failure(.badData, "no match[] parameter provided", code: "missing_parameter", field: "match[]") }
        return try texts.map { text in
            guard case .vectorSelector(let selector) = try self.parse(text, field: "match[]") else {
                throw PrometheusAPI.Failure.parameter("match[]", "\"\(text)\" is not a series selector")
            }
            return selector.matchers
        }
    }

    private func matchingSeries(_ parameters: FormParameters, required: Bool) throws -> [Labels]? {
        let selectors = try self.matchers(parameters, required: required)
        guard !selectors.isEmpty else { return nil }
        let start = try PrometheusAPI.time(parameters.first("start"), "start", default: Int64.min / 4)!
        let end = try PrometheusAPI.time(parameters.first("end"), "end", default: Int64.max / 4)!
        var seen = Set<Labels>()
        var out: [Labels] = []
        for matchers in selectors {
            for series in self.api.head.series(matching: matchers, from: start, to: end) where seen.insert(series.labels).inserted {
                out.append(series.labels)
            }
        }
        return out.sorted(by: <)
    }

    func series(_ parameters: FormParameters) async throws -> Response {
        let found = try self.matchingSeries(parameters, required: true) ?? []
        return PrometheusAPI.success(found.map(PrometheusJSON.labels))
    }

    func labels(_ parameters: FormParameters) async throws -> Response {
        guard let found = try self.matchingSeries(parameters, required: false) else { return PrometheusAPI.success(self.api.head.labelNames()) }
        return PrometheusAPI.success(Array(Set(found.flatMap { $0.pairs.map(\.name) })).sorted())
    }

    func labelValues(_ name: String, _ parameters: FormParameters) async throws -> Response {
        guard PrometheusName.isLabelName(name) else {
            throw PrometheusAPI.Failure(.badData, "invalid label name: \"\(name)\"", code: "invalid_parameter", field: "name")
        }
        guard let found = try self.matchingSeries(parameters, required: false) else { return PrometheusAPI.success(self.api.head.labelValues(name)) }
        return PrometheusAPI.success(Array(Set(found.compactMap { $0[name] })).sorted())
    }

    func metadata(_ parameters: FormParameters) async throws -> Response {
        var limit = Int.max
        if let text = parameters.first("limit") {
            guard let value = Int(text) else { throw PrometheusAPI.Failure.parameter("limit", "limit must be a number") }
            if value >= 0 { limit = value }
        }
        let wanted = parameters.first("metric")
        var data: [String: Any] = [:]
        // Named as a Prometheus scraping Arbiter records them: it asks for OpenMetrics, whose
        // families are named without a counter's `_total`.
        for descriptor in self.api.registry.descriptors where data.count < limit {
            let name = descriptor.name
            if let wanted, wanted != name { continue }
            data[name] = [["type": descriptor.kind.rawValue, "help": descriptor.help, "unit": descriptor.unit]]
        }
        return PrometheusAPI.success(data)
    }
}
