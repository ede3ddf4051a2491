/// An API token as stored: its SHA-256, never the token itself.
public struct TokenRecord: Sendable, Equatable {
    public var id: String
    public var name: String
    public var role: Role
    /// For a worker token: the worker id it acts as.
    public var workerID: String?
    public var createdAt: Int64
    public var revokedAt: Int64?

    public init(id: String, name: String, role: Role, workerID: String?, createdAt: Int64, revokedAt: Int64?) {
        self.id = id
        self.name = name
        self.role = role
        self.workerID = workerID
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }
}

/// Where API tokens are kept. Changes are audited in their transaction.
public protocol TokenStore: Sendable {
    /// Stores a new token by its hash.
    func createToken(name: String, role: Role, workerID: String?, hash: [UInt8], now: Int64) async throws -> TokenRecord
    /// The token with this hash, revoked or not.
    func token(hash: [UInt8]) async throws -> TokenRecord?
    /// Every token, oldest first.
    func tokens() async throws -> [TokenRecord]
    /// Revokes a token; revoking twice is not an error.
    /// - Throws: ``JobStoreError/notFound``.
    func revokeToken(id: String, now: Int64) async throws -> TokenRecord
    /// How many tokens exist (revoked included): none means a fresh store.
    func tokenCount() async throws -> Int
}
