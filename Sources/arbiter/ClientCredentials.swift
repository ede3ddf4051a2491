import ArgumentParser
import Foundation

/// How a client command (`arbiter worker`, `arbiter token`, `arbiter audit`) gets its token:
/// `--token`, else `--token-file`, else `ARBITER_TOKEN`. Prefer the file or the variable: a flag's
/// value shows in the process list.
struct ClientCredentials: ParsableArguments {
    @Option(help: "The API token (or JWT) to send; default: $ARBITER_TOKEN.")
    var token: String?

    @Option(help: "A file holding the token, such as <data-dir>/admin.token.")
    var tokenFile: String?

    /// The token, or `nil` when none was given.
    /// - Throws: ``CommandLineFailure`` naming an unreadable or empty token file.
    func resolve() throws -> String? {
        if let token = self.token, !token.isEmpty { return token }
        if let path = self.tokenFile {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw CommandLineFailure("\(path): cannot read the token file")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw CommandLineFailure("\(path):1: the token file is empty") }
            return token
        }
        if let token = ProcessInfo.processInfo.environment["ARBITER_TOKEN"], !token.isEmpty { return token }
        return nil
    }
}
