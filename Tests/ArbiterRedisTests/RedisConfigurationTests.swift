import ArbiterRedis
import Testing

/// URLs are read as documented, errors say what is wrong, and nothing printed shows a password.
@Suite struct RedisConfigurationTests {
    struct Expected: Sendable, CustomTestStringConvertible {
        let url: String
        let endpoint: RedisEndpoint
        var database = 0
        var user: String?
        var password: String?
        var redacted: String?
        var testDescription: String { self.url }
    }

    @Test(arguments: [
        Expected(url: "redis://127.0.0.1", endpoint: .tcp(host: "127.0.0.1", port: 6379)),
        Expected(url: "redis://cache.internal:6380/3", endpoint: .tcp(host: "cache.internal", port: 6380), database: 3),
        Expected(url: "REDIS://Cache/", endpoint: .tcp(host: "Cache", port: 6379)),
        Expected(
            url: "redis://:s3cret@10.0.0.5:6379/1", endpoint: .tcp(host: "10.0.0.5", port: 6379), database: 1, password: "s3cret",
            redacted: "redis://:***@10.0.0.5:6379/1"),
        Expected(
            url: "redis://arbiter:p%40ss%3Aw@db", endpoint: .tcp(host: "db", port: 6379), user: "arbiter", password: "p@ss:w",
            redacted: "redis://arbiter:***@db"),
        // Characters a password should have percent-encoded are still taken as the password, and hidden.
        Expected(url: "redis://:hun/ter?2@db:7000", endpoint: .tcp(host: "db", port: 7000), password: "hun/ter?2", redacted: "redis://:***@db:7000"),
        Expected(url: "redis://[::1]:7000/2", endpoint: .tcp(host: "::1", port: 7000), database: 2),
        Expected(url: "redis://db?db=4", endpoint: .tcp(host: "db", port: 6379), database: 4),
        Expected(url: "unix:///var/run/redis/redis.sock", endpoint: .unix(path: "/var/run/redis/redis.sock")),
        Expected(
            url: "unix:///tmp/r.sock?db=2&password=hunter2", endpoint: .unix(path: "/tmp/r.sock"), database: 2, password: "hunter2",
            redacted: "unix:///tmp/r.sock?db=2&password=***"),
        Expected(
            url: "unix:///tmp/r.sock?user=app&password=a%26b", endpoint: .unix(path: "/tmp/r.sock"), user: "app", password: "a&b",
            redacted: "unix:///tmp/r.sock?user=app&password=***"),
    ])
    func urlsAreRead(_ expected: Expected) throws {
        let configuration = try RedisConfiguration(url: expected.url)
        #expect(configuration.endpoint == expected.endpoint)
        #expect(configuration.database == expected.database)
        #expect(configuration.user == expected.user)
        #expect(configuration.password == expected.password)
        #expect(configuration.redacted == (expected.redacted ?? expected.url))
    }

    @Test func theDefaultsAreTheDocumentedOnes() throws {
        let configuration = try RedisConfiguration(url: "redis://localhost")
        #expect(configuration.connectTimeout == .seconds(2))
        #expect(configuration.commandTimeout == .seconds(2))
        #expect(configuration.poolSize == 2)
        #expect(configuration.reconnectDelay == .milliseconds(100))
        #expect(configuration.maxReconnectDelay == .seconds(2))
    }

    @Test(arguments: [
        ("rediss://:hunter2@db", "TLS"),
        ("http://db", "the scheme http is not redis:// or unix://"),
        ("localhost:6379", "must start with redis:// or unix://"),
        ("redis://:hunter2@db:99999", "the port 99999 is not a number from 1 to 65535"),
        ("redis://db:", "the port (empty)"),
        ("redis://db/zero", "the database zero is not a number"),
        ("redis://:hunter2@", "it names no host"),
        ("redis://[::1:7000", "closing ]"),
        ("redis://user@db", "a user needs a password"),
        ("redis://:hunter2%zz@db", "the password is not valid percent-encoding"),
        ("redis://:hunter2@db/1?db=2", "the database is given both in the path and as db="),
        ("redis://:hunter2@db?password=other", "the password is given twice"),
        ("unix://relative.sock", "absolute path"),
        ("unix:///?password=hunter2", "it names no socket"),
        ("unix:///tmp/r.sock?password=hunter2&timeout=3", "unknown parameter timeout"),
        ("unix:///tmp/r.sock?db=1&db=2", "the parameter db is given twice"),
    ])
    func aBadURLIsRefusedSayingWhyWithoutItsPassword(url: String, reason: String) {
        let error = #expect(throws: RedisError.self) { _ = try RedisConfiguration(url: url) }
        #expect(error?.kind == .configuration)
        let text = error.map(String.init(describing:)) ?? ""
        #expect(text.contains(reason), "\(text)")
        #expect(!text.contains("hunter2"), "\(text)")
    }
}
