import ArbiterJobs
import Foundation
import Testing

/// Archiving the audit log, the same on every store: the entries up to an archived one leave the
/// store, which keeps an anchor; the chain verifies from it, goes on from it, and joins the archive.
@Suite struct StoreConformanceAuditArchiveTests {
    typealias Sample = StoreSamples

    /// An archive of `entries` as ``AuditArchiveCheck`` reads it.
    static func file(_ name: String, _ entries: [AuditEntry], edit: ((inout String) -> Void)? = nil) throws -> AuditArchiveCheck.File {
        var lines = try entries.map(AuditArchive.line)
        if let edit { edit(&lines[lines.count - 1]) }
        return AuditArchiveCheck.File(name: name, firstSeq: entries[0].seq, lines: { AnySequence(lines.map { Substring($0) }) })
    }

    @Test(arguments: StoreKind.allCases)
    func theStoredChainGoesOnFromItsAnchor(_ kind: StoreKind) async throws {
        try await withStore(kind) { store, handle in
            for index in 0..<6 { _ = try await store.submit(Sample.submission(), now: 1000 + Int64(index)) }
            let all = try await store.auditEntries(AuditFilter(), after: nil, limit: 100)
            #expect(all.count == 6)
            let removed = try await AuditActor.$current.withValue("cli:ops") {
                try await store.archiveAudit(through: AuditHead(seq: 4, hash: all[3].hash), details: [("file", "a.jsonl")], now: 2000, batch: 3)
            }
            #expect(removed == 4)
            #expect(try await handle.scalar("SELECT COUNT(*) FROM audit_logs WHERE seq <= 4") == "0")
            #expect(try await store.auditAnchor() == AuditHead(seq: 4, hash: all[3].hash))
            let verification = try await store.verifyAudit()
            #expect(verification.intact && verification.length == 7 && verification.anchor?.seq == 4, "\(verification)")
            let archived = try #require(try await store.auditEntries(AuditFilter(action: "audit.archived"), after: nil, limit: 1).first)
            #expect(archived.seq == 7 && archived.actor == "cli:ops" && archived.subjectID == "4" && archived.details == #"{"file":"a.jsonl"}"#)

            // The archive and the store join; an edited line, a missing file and an archive of
            // another chain are each named.
            let covered = try AuditArchiveCheck.verify([try Self.file("a.jsonl", Array(all[0..<4]))])
            #expect(covered.entries == 4)
            try AuditArchiveCheck.joins(covered, anchor: verification.anchor)
            let edited = try Self.file("a.jsonl", Array(all[0..<4])) { $0 = $0.replacingOccurrences(of: "system", with: "mallory") }
            #expect(throws: AuditArchive.Invalid.self) { try AuditArchiveCheck.verify([edited]) }
            do {
                _ = try AuditArchiveCheck.verify([edited])
            } catch {
                #expect("\(error)" == "a.jsonl line 4: entry 4's contents do not match its hash (edited)")
            }
            do {
                try AuditArchiveCheck.joins(try AuditArchiveCheck.verify([try Self.file("a.jsonl", Array(all[0..<2]))]), anchor: verification.anchor)
                Issue.record("a short archive joined")
            } catch {
                #expect("\(error)" == "entries 3–4 are in none of the archives given (the store's chain begins after entry 4)")
            }
            do {
                _ = try AuditArchiveCheck.verify([try Self.file("b.jsonl", Array(all[2..<4]))])
                Issue.record("an archive without the first entries verified")
            } catch {
                #expect("\(error)" == "entries 1–2 are in none of the archives given (b.jsonl begins at entry 3)")
            }
            // Split in two files, given in any order.
            let split = try AuditArchiveCheck.verify([try Self.file("b", Array(all[2..<4])), try Self.file("a", Array(all[0..<2]))])
            try AuditArchiveCheck.joins(split, anchor: verification.anchor)

            // Archiving again needs an entry still stored whose hash matches.
            await #expect(throws: AuditArchive.Invalid.self) {
                try await store.archiveAudit(through: AuditHead(seq: 3, hash: all[2].hash), details: [], now: 2001)
            }
            await #expect(throws: AuditArchive.Invalid.self) {
                try await store.archiveAudit(through: AuditHead(seq: 5, hash: all[3].hash), details: [], now: 2001)
            }
            // Everything archived: the head is the anchor, and the chain goes on from it.
            let head = try #require(try await store.auditChainHead())
            _ = try await store.archiveAudit(through: head, details: [], now: 2002)
            #expect(try await store.auditChainHead()?.seq == 8)
            #expect(try await store.auditEntries(AuditFilter(), after: nil, limit: 10).map(\.seq) == [8])
            _ = try await store.submit(Sample.submission(), now: 3000)
            let after = try await store.verifyAudit()
            #expect(after.intact && after.length == 9 && after.anchor?.seq == 7, "\(after)")
        }
    }
}
