import KafkaProtocol
import NIOCore

/// A chunk of a response that lives in a file (a segment slice sent with sendfile).
protocol FileChunkSource: Sendable {
    /// Opens handles for sending, in order; the caller closes each once its write completes.
    func makeFileRegions() throws -> [FileRegion]
}

/// An encoded response: header + body bytes, with file chunks spliced in at the writer's external positions.
struct OutboundResponse: Sendable {
    var writer: ProtocolWriter
    var files: [any FileChunkSource]
    /// A quota throttle (KIP-219): the connection reads no further request for this long after sending.
    var muteFor: Duration? = nil
}

/// What the router decided for one request frame.
enum RouterOutcome: Sendable {
    case respond(OutboundResponse)
    /// acks=0 produce: nothing goes back.
    case noResponse
    /// Unparsable or unsupported request: Kafka closes the connection.
    case close(reason: String)
}
