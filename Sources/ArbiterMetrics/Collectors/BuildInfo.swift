import ArbiterCore

/// `arbiter_build_info{version,revision,swift_version} 1`.
public enum BuildInfo {
    /// Registers the build-info gauge.
    /// - Parameter registry: Where it goes.
    /// - Throws: ``MetricsError`` when the name is already taken by another metric.
    public static func register(in registry: MetricRegistry) throws(MetricsError) {
        let family = try registry.gaugeFamily(
            "arbiter_build_info",
            help: "A metric with a constant '1' value labeled by version, revision and the Swift version that built Arbiter.",
            labelNames: ["version", "revision", "swift_version"]
        )
        try family.labels(ArbiterVersion.version, ArbiterVersion.revision, ArbiterVersion.swiftVersion).set(1)
    }
}
