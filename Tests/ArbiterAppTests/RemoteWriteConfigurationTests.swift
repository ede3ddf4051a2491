@testable import ArbiterApp
import ArbiterMetrics
import ArbiterRemoteWrite
import ArbiterTesting
import Logging
import Testing

/// `remote_write:` with Prometheus's keys; each mistake named by file, line and key.
@Suite struct RemoteWriteConfigurationTests {
    let loader = ConfigurationLoaderTests()

    @Test func endpointsAreReadWithTheirDefaults() throws {
        let loaded = try self.loader.load("""
            remote_write:
              - url: http://mimir:9009/api/v1/push
                name: mimir
                remote_timeout: 10s
                headers: {X-Scope-OrgID: team-a}
                basic_auth: {username: arbiter, password_file: /run/secrets/rw}
                external_labels: {cluster: eu-1}
                write_relabel_configs:
                  - {action: drop, source_labels: [__name__], regex: "go_.*"}
                  - {action: labeldrop, regex: instance}
                queue_config: {max_shards: 4, max_samples_per_send: 500, retry_on_http_429: true}
                disk: {max_bytes: 256MiB}
              - url: https://second.example/write
            """)
        let endpoints = loaded.configuration.remoteWrite
        #expect(endpoints.count == 2)
        let first = endpoints[0]
        #expect(first.name == "mimir" && first.remoteTimeout == .seconds(10) && first.headers == ["X-Scope-OrgID": "team-a"])
        #expect(first.basicAuth == .init(username: "arbiter", password: nil, passwordFile: "/run/secrets/rw"))
        #expect(first.relabel.count == 2 && first.externalLabels == ["cluster": "eu-1"])
        #expect(first.queue.maxShards == 4 && first.queue.maxSamplesPerSend == 500 && first.queue.retryOnHTTP429 && first.queue.minShards == 1)
        #expect(first.diskMaxBytes == 256 << 20)
        #expect(endpoints[1].name.count == 6 && endpoints[1].queue == RemoteWriteEndpoint.QueueConfig())
        #expect(ConfigurationPrinter.render(loaded).contains("  - name: mimir"))
        #expect(!ConfigurationPrinter.render(loaded).contains("/run/secrets/rw"))
    }

    @Test(arguments: [
        ("remote_write:\n  - name: x\n", "arbiter.yaml:2:5: remote_write[0].url: is required"),
        ("remote_write:\n  - url: ftp://x\n", "arbiter.yaml:2:10: remote_write[0].url: expected an http:// or https:// URL"),
        ("remote_write:\n  - url: http://a\n    headers: {Content-Type: text/plain}\n", "remote_write[0].headers.Content-Type: is a reserved header"),
        ("remote_write:\n  - url: http://a\n    headers: {Authorization: Bearer x}\n", "set it with basic_auth, bearer_token or bearer_token_file"),
        ("remote_write:\n  - url: http://a\n    bearer_token: x\n    bearer_token_file: /f\n", "set at most one of basic_auth"),
        ("remote_write:\n  - url: http://a\n    queue_config: {min_shards: 5, max_shards: 2}\n", "remote_write[0].queue_config.min_shards: is larger than max_shards (2)"),
        ("remote_write:\n  - url: http://a\n    queue_config: {max_shard: 2}\n", "arbiter.yaml:3:20: remote_write[0].queue_config.max_shard: unknown key"),
        ("remote_write:\n  - url: http://a\n    write_relabel_configs: [{action: replace, regex: a}]\n", "remote_write[0].write_relabel_configs[0].action: expected keep, drop or labeldrop"),
        ("remote_write:\n  - url: http://a\n    write_relabel_configs: [{action: keep, source_labels: [a], regex: \"(\"}]\n", "remote_write[0].write_relabel_configs[0].regex:"),
        ("remote_write:\n  - url: http://a\n    disk: {max_bytes: 10KiB}\n", "remote_write[0].disk.max_bytes: expected a size of at least 1MiB"),
        ("remote_write:\n  - {url: http://a, name: x}\n  - {url: http://b, name: x}\n", "arbiter.yaml:3:5: remote_write[1].name: \"x\" is used by another endpoint"),
        ("remote_write:\n  - {url: http://a, name: x, disk: {path: /q}}\n  - {url: http://b, name: y, disk: {path: /q/}}\n",
         "arbiter.yaml:3:5: remote_write[1].disk.path: \"/q/\" is the buffer of endpoint \"x\" already"),
        ("remote_write:\n  - url: https://a\n    tls_config: {server_name: b}\n", "remote_write[0].tls_config.server_name: is not supported"),
        ("remote_write:\n  - url: https://a\n    tls_config: {cert_file: /c}\n", "remote_write[0].tls_config: cert_file and key_file go together"),
        ("remote_write: http://a\n", "arbiter.yaml:1:15: remote_write: expected a list of endpoints"),
        ("remote_wirte: []\n", "did you mean remote_write?"),
    ])
    func mistakesAreNamed(yaml: String, expected: String) {
        let message = self.loader.failure(yaml)
        #expect(message.contains(expected), "\(message)")
    }

    @Test func anEndpointCannotTakeAnotherEndpointsDefaultBufferFolder() throws {
        let directory = try TemporaryDirectory(prefix: "queues")
        defer { directory.remove() }
        var second = RemoteWriteEndpoint(url: "http://b", name: "b")
        second.diskPath = directory.path + "/a/"
        let error = #expect(throws: SharedBufferError.self) {
            try RemoteWriteService(
                endpoints: [RemoteWriteEndpoint(url: "http://a", name: "a"), second], directory: directory.path,
                metrics: try RemoteWriteMetrics(registry: MetricRegistry()), logger: Logger(label: "test"))
        }
        #expect(error?.description.contains("\"a\" and \"b\" would share the buffer \(directory.path)/a") == true)
    }
}
