/// Configuration keys of the HTTP server's connections.
extension ConfigurationSchema {
    static let httpFields: [ConfigField] = [
        duration(
            "http.header_timeout", "how long a new connection may take to send its first request's headers before it is closed",
            \.httpHeaderTimeout),
        duration(
            "http.idle_timeout", "how long a connection may wait between requests, or stall inside one, before it is closed",
            \.httpIdleTimeout),
    ]
}
