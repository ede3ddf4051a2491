import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Uploads the files a command left in its artifacts directory to the attempt that ran it
/// (`PUT /api/v1/jobs/{id}/artifacts/{name}?token=…`, over HTTP: the WebSocket carries no files).
/// Regular files at the directory's top level whose names are valid artifact names are sent; the
/// others are named in the outcome and skipped.
public struct ArtifactUploader: Sendable {
    /// Base URLs, tried in order until one answers.
    public let servers: [String]
    public let token: String?
    /// Per file, the longest an upload may take.
    public var timeout: Duration = .seconds(60)

    public init(servers: [String], token: String?) {
        self.servers = servers
        self.token = token
    }

    /// What an upload round did.
    public struct Outcome: Sendable, Equatable {
        public var uploaded: [String] = []
        /// File name and why it was not uploaded.
        public var failed: [(name: String, reason: String)] = []

        public static func == (lhs: Outcome, rhs: Outcome) -> Bool {
            lhs.uploaded == rhs.uploaded && lhs.failed.map(\.name) == rhs.failed.map(\.name) && lhs.failed.map(\.reason) == rhs.failed.map(\.reason)
        }
    }

    /// Uploads every file in `directory` for the attempt under `leaseToken`.
    public func upload(directory: String, jobID: String, leaseToken: String) async -> Outcome {
        var outcome = Outcome()
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
        for name in names {
            let path = (directory as NSString).appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                outcome.failed.append((name, "not a regular file"))
                continue
            }
            guard let content = FileManager.default.contents(atPath: path) else {
                outcome.failed.append((name, "cannot be read"))
                continue
            }
            if let reason = await self.put(name: name, content: content, jobID: jobID, leaseToken: leaseToken) {
                outcome.failed.append((name, reason))
            } else {
                outcome.uploaded.append(name)
            }
        }
        return outcome
    }

    /// - Returns: Why the upload failed, `nil` when it was stored.
    private func put(name: String, content: Data, jobID: String, leaseToken: String) async -> String? {
        var reason = "no server answered"
        for server in self.servers {
            var base = server
            while base.hasSuffix("/") { base.removeLast() }
            var request = HTTPClientRequest(
                url: "\(base)/api/v1/jobs/\(jobID.addingPercentEncodingForPath())/artifacts/\(name.addingPercentEncodingForPath())?token=\(leaseToken)")
            request.method = .PUT
            request.headers.add(name: "Content-Type", value: "application/octet-stream")
            if let token = self.token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
            request.body = .bytes(ByteBuffer(bytes: content))
            do {
                let response = try await HTTPClient.shared.execute(request, timeout: .init(self.timeout))
                let body = (try? await response.body.collect(upTo: 64 * 1024)).map { String(buffer: $0) } ?? ""
                if (200..<300).contains(Int(response.status.code)) { return nil }
                let error = ((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any])?["error"] as? [String: Any]
                return "\(response.status.code) \(error?["code"] as? String ?? ""): \(error?["message"] as? String ?? response.status.reasonPhrase)"
            } catch {
                reason = "\(error)"
            }
        }
        return reason
    }
}
