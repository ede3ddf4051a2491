import ArbiterStorage
import ArbiterTesting
import Foundation
import Testing

/// The PostgreSQL DDL applies to a real PostgreSQL, so it cannot rot before the PostgreSQL store exists.
@Suite struct PostgresSchemaTests {
    @Test(.enabled(if: PostgresServer.shouldRun))
    func migrationsApplyToARealPostgres() async throws {
        let server = try await PostgresServer.start()
        defer { server.stop() }
        for migration in Migrations.postgres {
            let file = try server.directory.write("\(migration.label).sql", "BEGIN;\n\(migration.sql)\nCOMMIT;\n")
            let (status, output) = try await server.psql(["-f", file])
            #expect(status == 0, "\(migration.label): \(output)")
        }
        let (status, output) = try await server.psql(["-A", "-t", "-c", "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"])
        #expect(status == 0)
        let tables = Set(output.split(separator: "\n").map(String.init))
        #expect(tables == ["jobs", "job_attempts", "job_type_state", "workers", "audit_logs", "user_consents", "credentials", "api_tokens", "cluster_leader", "audit_anchor", "job_artifacts"])
        // The dispatch query's shape uses the partial index.
        let (_, plan) = try await server.psql([
            "-A", "-t", "-c",
            "SET enable_seqscan = off; EXPLAIN SELECT id FROM jobs WHERE state = 'queued' AND type = 'email' ORDER BY priority DESC, run_at, id LIMIT 10 FOR UPDATE SKIP LOCKED",
        ])
        #expect(plan.contains("jobs_dispatch"), "\(plan)")
    }
}
