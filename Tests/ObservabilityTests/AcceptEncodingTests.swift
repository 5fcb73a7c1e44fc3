import NIOHTTP1
import Testing

@testable import Observability

@Suite("/metrics compression follows Accept-Encoding")
struct AcceptEncodingTests {
    func accepts(_ values: String...) -> Bool {
        var headers = HTTPHeaders()
        for v in values { headers.add(name: "Accept-Encoding", value: v) }
        return MetricsHTTPHandler.acceptsGzip(headers)
    }

    @Test func prometheusesHeaderAsksForGzip() {
        #expect(accepts("gzip"))
        #expect(accepts("deflate, gzip;q=0.8"))
        #expect(accepts("identity", "GZip"))
        #expect(accepts("x-gzip"))
    }

    @Test func noHeaderOtherCodingsOrAZeroWeightGetPlainText() {
        #expect(!accepts())
        #expect(!accepts("identity"))
        #expect(!accepts("br, deflate"))
        #expect(!accepts("gzip;q=0"))
        #expect(!accepts("gzip; q=0.000"))
    }
}
