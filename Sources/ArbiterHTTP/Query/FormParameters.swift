import Foundation
import Hummingbird

/// A request's parameters from its query string and, for POST, its
/// `application/x-www-form-urlencoded` body, as the Prometheus API takes them (`match[]` repeats).
struct FormParameters {
    var pairs: [(String, String)]

    static func read(_ request: Request, limit: Int) async throws -> FormParameters {
        // Decoded as a form, as Go does: `+` is a space, `%2B` a plus, `match%5B%5D` is `match[]`.
        var pairs = Self.decode(request.uri.query ?? "")
        if request.method == .post {
            let body = try await APIRequest.body(request, limit: limit)
            pairs += Self.decode(String(decoding: body, as: UTF8.self))
        }
        return FormParameters(pairs: pairs)
    }

    static func decode(_ text: String) -> [(String, String)] {
        text.split(separator: "&").compactMap { part in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func unescape(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            guard let name = pieces.first else { return nil }
            return (unescape(name), pieces.count > 1 ? unescape(pieces[1]) : "")
        }
    }

    func first(_ name: String) -> String? { self.pairs.first { $0.0 == name }?.1 }

    func all(_ name: String) -> [String] { self.pairs.filter { $0.0 == name }.map(\.1) }
}
