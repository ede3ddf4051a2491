import ArbiterMetrics
import Testing

@Suite struct ExpositionFormatNegotiationTests {
    @Test func prometheus242GetsOpenMetrics() {
        let accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        #expect(ExpositionFormat.negotiate(accept: accept) == .openMetrics)
    }

    @Test func prometheus242WithProtobufFirstStillGetsOpenMetrics() {
        let accept = "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited,application/openmetrics-text;version=1.0.0;q=0.8,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
        #expect(ExpositionFormat.negotiate(accept: accept) == .openMetrics)
    }

    @Test func textWhenPreferredOrAskedForNothing() {
        #expect(ExpositionFormat.negotiate(accept: nil) == .text)
        #expect(ExpositionFormat.negotiate(accept: "*/*") == .text)
        #expect(ExpositionFormat.negotiate(accept: "text/plain") == .text)
        #expect(ExpositionFormat.negotiate(accept: "application/json") == .text)
        #expect(ExpositionFormat.negotiate(accept: "text/plain;version=0.0.4;q=0.9, application/openmetrics-text;version=1.0.0;q=0.5") == .text)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;version=1.0.0;q=0, text/plain;q=0.1") == .text)
        #expect(ExpositionFormat.negotiate(accept: "application/openmetrics-text;version=2.0.0") == .text)
    }

    @Test func contentTypesAreExact() {
        #expect(ExpositionFormat.text.contentType == "text/plain; version=0.0.4; charset=utf-8")
        #expect(ExpositionFormat.openMetrics.contentType == "application/openmetrics-text; version=1.0.0; charset=utf-8")
    }

    @Test func gzipOnlyWhenAccepted() {
        #expect(ExpositionFormat.acceptsGzip("gzip"))
        #expect(ExpositionFormat.acceptsGzip("deflate, gzip;q=0.5"))
        #expect(ExpositionFormat.acceptsGzip("*"))
        #expect(!ExpositionFormat.acceptsGzip(nil))
        #expect(!ExpositionFormat.acceptsGzip("identity"))
        #expect(!ExpositionFormat.acceptsGzip("gzip;q=0"))
    }
}
