import ArbiterPostgres
import Foundation

/// Where the jobs are kept: the embedded SQLite file in the data directory (the default: one box needs
/// nothing else), or a PostgreSQL database given as a `postgres://` URL or a libpq conninfo string.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    case sqlite
    /// A libpq connection string (URL or `key=value` form), as given.
    case postgres(String)

    /// Reads the `store` key: `sqlite`, `postgres://…`, `postgresql://…`, or `key=value …` conninfo.
    /// - Returns: `nil` when the text is none of these.
    public init?(parsing text: String) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed == "sqlite" {
            self = .sqlite
        } else if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") || trimmed.contains("=") {
            self = .postgres(trimmed)
        } else {
            return nil
        }
    }

    /// The location with any password replaced by `***`: what logs, `config check` and
    /// `/health/detailed` show.
    public var description: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres(let conninfo): PostgresConfiguration(conninfo).redacted
        }
    }
}
