import Synchronization

/// Handlers registered with a backend (`onRollback`, `onQueued`), called in the order they came.
public final class Listeners<Value: Sendable>: Sendable {
    private let handlers = Mutex<[@Sendable (Value) -> Void]>([])

    public init() {}

    public func add(_ handler: @escaping @Sendable (Value) -> Void) {
        self.handlers.withLock { $0.append(handler) }
    }

    public func call(_ value: Value) {
        for handler in self.handlers.withLock({ $0 }) { handler(value) }
    }
}
