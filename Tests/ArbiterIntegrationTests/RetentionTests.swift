import ArbiterTesting
import Foundation
import Testing

/// Retention in a running daemon: finished jobs past their period disappear, counted, while a type
/// kept forever and unfinished jobs stay; the store's size and rows are exported.
@Suite struct RetentionTests {
    @Test(arguments: StoreKind.available)
    func cancelledJobsPastTheirPeriodAreRemoved(store kind: StoreKind) async throws {
        let config = """
            retention:
              cancelled: 1s
              interval: 1s
            job_types:
              ledger:
                retention:
                  cancelled: forever
            """
        try await ArbiterServer.with(config: config, store: kind) { server in
            var ids: [String: String] = [:]
            for type in ["mail", "ledger", "queued"] {
                let created = try await server.post("/api/v1/jobs", json: #"{"type":"\#(type)","payload":{}}"#)
                #expect(created.status == 201)
                let job = try JSONSerialization.jsonObject(with: Data(created.body)) as? [String: Any]
                ids[type] = try #require(job?["id"] as? String)
            }
            for type in ["mail", "ledger"] {
                #expect(try await server.post("/api/v1/jobs/\(ids[type]!)/cancel", json: #"{"reason":"test"}"#).status == 200)
            }
            try await Polling.until("the cancelled mail job is removed") {
                try await server.get("/api/v1/jobs/\(ids["mail"]!)").status == 404
            }
            #expect(try await server.get("/api/v1/jobs/\(ids["ledger"]!)").status == 200)
            #expect(try await server.get("/api/v1/jobs/\(ids["queued"]!)").status == 200)
            let metrics = try await server.get("/metrics").text
            #expect(metrics.contains(#"arbiter_jobs_pruned_total{job_type="mail",state="cancelled"} 1"#), "\(metrics)")
            #expect(!metrics.contains(#"arbiter_jobs_pruned_total{job_type="ledger""#))
            #expect(metrics.contains(#"arbiter_store_rows{table="jobs"}"#) && metrics.contains("arbiter_store_size_bytes "))
            if kind == .sqlite { #expect(metrics.contains("arbiter_store_disk_free_bytes ")) }
            let audit = try await server.get("/api/v1/audit?action=jobs.pruned").text
            #expect(audit.contains(#""actor":"system:retention""#) && audit.contains(ids["mail"]!), "\(audit)")
        }
    }
}
