import ArbiterHTTP
import ArbiterJobs
import Foundation

/// A replica's presence entry, as JSON.
enum PresenceEntry {
    static func encode(_ replica: ClusterSnapshot.Replica) -> String {
        let object: [String: Any] = [
            "id": replica.id, "address": replica.address, "version": replica.version, "started_at": replica.startedAt, "seen_at": replica.seenAt,
            "leader": replica.leads, "workers": replica.workers,
        ]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decode(_ text: String) -> ClusterSnapshot.Replica? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any], let id = object["id"] as? String else { return nil }
        return ClusterSnapshot.Replica(
            id: id, address: object["address"] as? String ?? "", version: object["version"] as? String ?? "",
            startedAt: (object["started_at"] as? NSNumber)?.int64Value ?? 0, seenAt: (object["seen_at"] as? NSNumber)?.int64Value ?? 0,
            leads: object["leader"] as? Bool ?? false, workers: object["workers"] as? [String] ?? [])
    }
}

/// Cancel notices on `arbiter:cancel`, as JSON: who posted them, and each notice with its worker.
enum CancelFanOut {
    static func encode(from replicaID: String, _ notices: [(workerID: String, notice: CancelNotice)]) -> String {
        let object: [String: Any] = [
            "from": replicaID,
            "notices": notices.map { ["worker_id": $0.workerID, "job_id": $0.notice.jobID, "reason": $0.notice.reason, "lease_token": $0.notice.leaseToken] },
        ]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decode(_ text: String) -> (from: String, notices: [(workerID: String, notice: CancelNotice)])? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any], let from = object["from"] as? String,
            let items = object["notices"] as? [[String: Any]]
        else { return nil }
        let notices = items.compactMap { item -> (workerID: String, notice: CancelNotice)? in
            guard let worker = item["worker_id"] as? String, let job = item["job_id"] as? String, let token = (item["lease_token"] as? NSNumber)?.int64Value
            else { return nil }
            return (worker, CancelNotice(jobID: job, reason: item["reason"] as? String ?? "", leaseToken: token))
        }
        return (from, notices)
    }
}

/// The other messages between replicas, as JSON: who sent it, what happened, and its fields.
enum ClusterEvent {
    static func encode(from replicaID: String, event: String, _ fields: [String: Any]) -> String {
        let object: [String: Any] = ["from": replicaID, "event": event, "fields": fields]
        return String(decoding: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func decode(_ text: String) -> (from: String, name: String, fields: [String: Any])? {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any], let from = object["from"] as? String,
            let name = object["event"] as? String
        else { return nil }
        return (from, name, object["fields"] as? [String: Any] ?? [:])
    }
}
