/// An alert or recording-rule label/annotation template (Go `text/template` with Prometheus's
/// functions), parsed once and expanded per alert.
public struct Template: Sendable {
    let nodes: [TemplateNode]
    let name: String
    /// The text of a template without actions (most alert labels), which expands to itself.
    public let constantText: String?

    /// - Throws: ``TemplateError`` as `template: NAME:LINE: message`.
    public init(_ source: String, name: String) throws(TemplateError) {
        var parser = TemplateParser(source, name: name, functions: TemplateFunctions.names, prelude: Self.preludeLength)
        self.nodes = try parser.parse()
        self.name = name
        switch self.nodes.count {
        case 0: self.constantText = ""
        case 1: if case .text(let text) = self.nodes[0] { self.constantText = text } else { self.constantText = nil }
        default: self.constantText = nil
        }
    }

    /// `{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}`,
    /// which Prometheus puts before every alert template; Go counts it in error columns.
    static let preludeLength = 112

    /// What a template can see: `.Labels`, `.ExternalLabels`, `.ExternalURL`, `.Value` (also as
    /// `$labels`, `$externalLabels`, `$externalURL`, `$value`), and a query function.
    public struct Context: Sendable {
        public var labels: [String: String]
        public var externalLabels: [String: String]
        public var externalURL: String
        public var value: Double
        /// Unix ms the expansion happens at (for `query`).
        public var time: Int64
        public var query: @Sendable (String, Int64) throws -> [TemplateValue.QuerySample]

        public init(
            labels: [String: String], externalLabels: [String: String] = [:], externalURL: String = "", value: Double, time: Int64,
            query: @escaping @Sendable (String, Int64) throws -> [TemplateValue.QuerySample] = { _, _ in [] }
        ) {
            self.labels = labels
            self.externalLabels = externalLabels
            self.externalURL = externalURL
            self.value = value
            self.time = time
            self.query = query
        }
    }

    /// - Throws: ``TemplateError`` for a failure while expanding (Prometheus then writes
    ///   `<error expanding template: …>` in its place).
    public func expand(_ context: Context) throws(TemplateError) -> String {
        let root = TemplateValue.record([
            "Labels": .labels(context.labels), "ExternalLabels": .labels(context.externalLabels),
            "ExternalURL": .string(context.externalURL), "Value": .float(context.value),
        ])
        var executor = TemplateExecutor(name: self.name, context: context, root: root)
        executor.scopes = [[
            "$": root, "$labels": .labels(context.labels), "$externalLabels": .labels(context.externalLabels),
            "$externalURL": .string(context.externalURL), "$value": .float(context.value),
        ]]
        var out = ""
        try executor.run(self.nodes, dot: root, into: &out)
        return out
    }

    /// Expands, writing Prometheus's error text in place of a failed expansion.
    public func expandOrError(_ context: Context) -> String {
        do {
            return try self.expand(context)
        } catch {
            return "<error expanding template: error executing template \(self.name): \(error)>"
        }
    }
}
