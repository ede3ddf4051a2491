/// A registration or labelling mistake, described so the caller can fix it.
///
/// The registry never traps on input: every mistake a caller, a config file or a library can make is
/// reported through this error.
public struct MetricsError: Error, Equatable, CustomStringConvertible {
    /// A stable identifier for the kind of mistake.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private let value: String
        private init(_ value: String) { self.value = value }
        public var description: String { self.value }

        /// A metric name does not match `[a-zA-Z_:][a-zA-Z0-9_:]*`.
        public static let invalidMetricName = Code("invalid_metric_name")
        /// A label name is malformed, reserved or repeated.
        public static let invalidLabelName = Code("invalid_label_name")
        /// A label value is not acceptable (wrong count or too long).
        public static let invalidLabelValue = Code("invalid_label_value")
        /// The name is already registered with a different type, help, unit, label names or buckets.
        public static let conflictingRegistration = Code("conflicting_registration")
        /// Histogram bucket bounds are not strictly increasing finite numbers.
        public static let invalidBuckets = Code("invalid_buckets")
        /// The unit is not a suffix of the metric name.
        public static let invalidUnit = Code("invalid_unit")
    }

    /// What kind of mistake this is.
    public let code: Code
    /// A sentence naming the metric and what is wrong with it.
    public let message: String

    package init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { self.message }
}
