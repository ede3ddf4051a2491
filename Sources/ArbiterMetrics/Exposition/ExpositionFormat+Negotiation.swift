extension ExpositionFormat {
    /// Chooses the format for a scrape from its `Accept` header, as a Go client does.
    ///
    /// The media range with the highest `q` that Arbiter serves wins, the first one on a tie.
    /// Prometheus 2.42 sends `application/openmetrics-text;version=1.0.0,…;text/plain;version=0.0.4;q=0.5,…`
    /// and so gets OpenMetrics. Without a usable range (no header, `*/*`, or only unknown types) the
    /// answer is text 0.0.4, the format every scraper must accept.
    /// - Parameter accept: The `Accept` header's value, if any.
    /// - Returns: The format to render.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept else { return .text }
        var best: (format: ExpositionFormat, q: Double)?
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingSpaces() }
            guard let mediaType = parts.first?.lowercased() else { continue }
            var q = 1.0
            var version: String?
            for parameter in parts.dropFirst() {
                let pair = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingSpaces() }
                guard pair.count == 2 else { continue }
                switch pair[0].lowercased() {
                case "q": q = Double(pair[1]) ?? 0
                case "version": version = pair[1]
                default: break
                }
            }
            let format: ExpositionFormat?
            switch mediaType {
            case "application/openmetrics-text" where version == nil || version == "1.0.0" || version == "0.0.1":
                format = .openMetrics
            case "text/plain" where version == nil || version == "0.0.4":
                format = .text
            case "*/*", "text/*":
                format = .text
            default:
                format = nil
            }
            guard let format, q > 0 else { continue }
            if best == nil || q > best!.q { best = (format, q) }
        }
        return best?.format ?? .text
    }

    /// Whether an `Accept-Encoding` header allows gzip (`gzip` or `*` with a non-zero `q`).
    /// - Parameter acceptEncoding: The header's value, if any.
    /// - Returns: `true` when the response may be gzip-compressed.
    public static func acceptsGzip(_ acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        for coding in acceptEncoding.split(separator: ",") {
            let parts = coding.split(separator: ";").map { $0.trimmingSpaces() }
            guard let name = parts.first?.lowercased(), name == "gzip" || name == "*" else { continue }
            let q = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if q > 0 { return true }
        }
        return false
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(self.drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
