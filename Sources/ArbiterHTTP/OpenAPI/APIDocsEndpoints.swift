import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// `GET /api/v1/openapi.json` (the OpenAPI 3.1 document compiled into the binary) and `GET /api/docs`
/// (the same endpoints as a plain HTML list, for a person with a browser).
struct APIDocsEndpoints: Sendable {
    func register(on router: Router<ArbiterRequestContext>) {
        router.get("/api/v1/openapi.json") { _, _ in
            Self.response(EmbeddedOpenAPI.json, contentType: "application/json; charset=utf-8")
        }
        router.get("/api/docs") { _, _ in
            Self.response(Self.html, contentType: "text/html; charset=utf-8")
        }
    }

    /// The endpoint list, rendered once from the document.
    static let html: String = {
        guard let document = try? JSONSerialization.jsonObject(with: Data(EmbeddedOpenAPI.json.utf8)) as? [String: Any],
            let paths = document["paths"] as? [String: [String: Any]]
        else { return "<!doctype html><title>Arbiter API</title><p>The API document could not be read.</p>" }
        var rows = ""
        for path in paths.keys.sorted() {
            for (method, operation) in (paths[path] ?? [:]).sorted(by: { $0.key < $1.key }) {
                let summary = ((operation as? [String: Any])?["summary"] as? String) ?? ""
                rows += "<tr><td><code>\(method.uppercased())</code></td><td><code>\(Markup.escape(path))</code></td><td>\(Markup.escape(summary))</td></tr>\n"
            }
        }
        return """
            <!doctype html>
            <html><head><meta charset="utf-8"><title>Arbiter API</title>
            <style>body{font-family:sans-serif;margin:2em}td{padding:.2em .8em;vertical-align:top}</style></head>
            <body><h1>Arbiter API</h1>
            <p>The full description is the OpenAPI 3.1 document at <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.
            Workers: <code>docs/worker-protocol.md</code> in the repository.</p>
            <table>
            \(rows)</table></body></html>
            """
    }()

    private static func response(_ text: String, contentType: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = contentType
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
