import HTTPTypes
import Hummingbird

/// 426 `upgrade_required` for a plain request to a WebSocket-only route, with the `Upgrade` header
/// that names the protocol to switch to (RFC 9110 §15.5.22).
struct UpgradeRequiredError: HTTPResponseError {
    let message: String

    var status: HTTPResponse.Status { .upgradeRequired }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try APIError(.upgradeRequired, code: "upgrade_required", message: self.message).response(from: request, context: context)
        response.headers[.upgrade] = "websocket"
        return response
    }
}
