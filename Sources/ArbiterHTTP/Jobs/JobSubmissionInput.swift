import ArbiterJobs

/// A job submission body read as the jobs routes read it, without a server around it: what the fuzz
/// target for JSON request bodies drives.
package enum JobSubmissionInput {
    /// Reads `bytes` as a single submission and, when it holds `jobs`, as a batch; refusals are dropped.
    package static func check(_ bytes: [UInt8]) {
        let policies = ["build": JobTypePolicy()]
        let now: Int64 = 1_800_000_000_000
        _ = try? JobSubmissionRequest.parse(bytes, policies: policies, limits: JobLimits(), now: now)
        guard let object = try? APIRequest.parse(bytes) as? [String: Any], let jobs = object["jobs"] as? [Any] else { return }
        for (index, job) in jobs.prefix(JobLimits().maxBatchJobs).enumerated() {
            guard let job = job as? [String: Any] else { continue }
            _ = try? JobSubmissionRequest.parse(job, policies: policies, limits: JobLimits(), now: now, field: { "jobs[\(index)].\($0)" })
        }
    }
}
