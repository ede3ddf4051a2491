/// Where a replica sends what happened here that the other replicas must hear (in a cluster, through
/// Redis). ``LocalCoordination`` calls it after acting here; the other replicas apply each event with
/// the matching `receive…` method of their own ``LocalCoordination``, which does not relay it again.
public protocol CoordinationRelay: Sendable {
    /// Notices for workers, which may be connected to another replica.
    func cancelNotices(_ notices: [(workerID: String, notice: CancelNotice)])
    /// A slot under a type's concurrency cap freed, which a worker of any replica may take.
    func capacityFreed()
    /// A failed authentication from `address`, counted under `policy`.
    func authFailure(address: String, policy: AuthLockout.Policy)
    /// `address` authenticated.
    func authSuccess(address: String)
    /// A token was revoked: what any replica cached of it must go.
    func tokenRevoked(id: String)
}
