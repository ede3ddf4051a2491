extension Scheduler {
    /// The actions of a transition out of `running` that the store has confirmed, as the job's
    /// ``JobLifecycle`` names them. The store carried out its share with the transition (the new
    /// state, the lease columns, the final outcome); the scheduler carries out what reaches beyond
    /// the row:
    ///
    /// - `releaseLease`: the worker's hold on the lease ends. After its own report its slot is
    ///   freed at once; otherwise it is sent a ``CancelNotice`` (see ``notice(after:job:lease:)``),
    ///   whose delivery frees the slot.
    /// - `signalWorkerCancel`: that notice carries the cancellation's reason.
    /// - `scheduleRetry`: the retry's `run_at` is noted in ``dueTimes``, so it is queued on time.
    ///
    /// - Parameters:
    ///   - event: What ended the attempt: `succeeded`, `failed`, `leaseExpired` or `cancel`.
    ///   - job: The job afterwards (an attempt's end leaves its attempt count as the lease set it).
    /// - Returns: The actions, in order; none for an event that ends no attempt.
    static func actions(of event: JobEvent, endingAttemptOf job: JobRecord) -> [JobLifecycle.Action] {
        var lifecycle = JobLifecycle(state: .running, attempts: job.attempt, maxAttempts: job.retry.maxAttempts)
        return (try? lifecycle.apply(event)) ?? []
    }

    /// The notice that tells a worker its hold on `lease` ended without its report, if `actions`
    /// end that hold: the cancellation's reason when the job was cancelled, else
    /// ``CancelNotice/leaseExpired``.
    static func notice(after actions: [JobLifecycle.Action], job: JobRecord, lease: JobLease) -> CancelNotice? {
        guard actions.contains(.releaseLease) else { return nil }
        let reason = actions.contains(.signalWorkerCancel) ? job.cancelReason ?? "cancelled" : CancelNotice.leaseExpired
        return CancelNotice(jobID: job.id, reason: reason, leaseToken: lease.token)
    }
}
