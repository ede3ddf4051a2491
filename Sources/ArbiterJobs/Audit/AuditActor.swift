/// Who is making the changes of the current task, for the audit log: set by the API's
/// authentication for each request (`token:<name>`, `jwt:<subject>`), by the worker channel for a
/// connected worker (`worker:<id>`), and `system` for the daemon's own clock.
public enum AuditActor {
    @TaskLocal public static var current: String = "system"
}
