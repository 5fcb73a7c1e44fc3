import Testing

@testable import KafkaProtocol

/// One frame (size prefix stripped) recorded by `tools/capture-proxy` between a real client and a needletail broker.
/// `label` names the client run, `apiKey`/`version` are the request's (a response carries its request's).
struct GoldenFrame: Sendable, CustomTestStringConvertible {
    enum Direction: String, Sendable { case request, response }

    let label: String
    let direction: Direction
    let apiKey: Int16
    let version: Int16
    let bytes: [UInt8]

    init(_ label: String, _ direction: Direction, apiKey: Int16, version: Int16, _ hexText: String) {
        self.label = label
        self.direction = direction
        self.apiKey = apiKey
        self.version = version
        self.bytes = hex(hexText)
    }

    var apiName: String { APIKey(rawValue: apiKey).map { "\($0)" } ?? "key \(apiKey)" }
    var testDescription: String { "\(label): \(apiName) v\(version) \(direction.rawValue)" }

    /// The client software behind a label ("kcat-P-lz4" → "kcat").
    var client: String { String(label.split(separator: "-").first ?? "") }

    /// librdkafka 2.16's all-topics Metadata v12 request (AdminClient `list_topics`) ends with three bytes,
    /// `01 00 00`, beyond the v12 schema (topics, allow_auto_topic_creation, include_topic_authorized_operations,
    /// tags). Kafka's generated parser, like ours, stops at the end of the schema and ignores them, so the broker
    /// answers; they cannot be reproduced by re-encoding, so the comparison leaves them out.
    static let librdkafkaAllTopicsMetadataV12 = hex("0003000c 00000004 0007 72646b61666b61 00 00 00 00 00 010000")

    static func knownTrailingBytes(_ frame: GoldenFrame) -> Int {
        guard frame.apiKey == APIKey.metadata.rawValue, frame.version == 12, frame.bytes.count > 8 else { return 0 }
        // Compare everything but the correlation id.
        let a = librdkafkaAllTopicsMetadataV12, b = frame.bytes
        return a.count == b.count && a[0..<4] == b[0..<4] && a[8...] == b[8...] ? 3 : 0
    }

    /// Frames of one client run (exact label), API and direction.
    static func find(label: String, _ apiKey: APIKey, _ direction: Direction) -> [GoldenFrame] {
        captured.filter { $0.label == label && $0.apiKey == apiKey.rawValue && $0.direction == direction }
    }

    /// Frames of one client, API and direction, optionally at one version.
    static func find(
        _ client: String, _ apiKey: APIKey, _ direction: Direction, version: Int16? = nil
    ) -> [GoldenFrame] {
        captured.filter {
            $0.client == client && $0.apiKey == apiKey.rawValue && $0.direction == direction
                && (version == nil || $0.version == version)
        }
    }
}

/// A decoded golden frame: the request header (requests only), the response correlation id, and the body.
struct DecodedGolden<T> {
    var requestHeader: RequestHeader?
    var correlationId: Int32
    var body: T
}

/// Decodes a golden frame's header and body with `T` (request direction) or `T.Response` (response direction) at
/// the captured version, requires the whole frame to be consumed and re-encoding to reproduce it byte for byte.
func decodeGolden<T: KafkaRequest & Equatable>(
    _: T.Type, _ frame: GoldenFrame, sourceLocation: SourceLocation = #_sourceLocation
) throws -> DecodedGolden<T> {
    #expect(frame.direction == .request, sourceLocation: sourceLocation)
    let trailing = GoldenFrame.knownTrailingBytes(frame)
    let expected = Array(frame.bytes.dropLast(trailing))
    var reader = ProtocolReader(frame.bytes, end: frame.bytes.count - trailing)
    let headerVersion = T.requestHeaderVersion(frame.version)
    let header = try RequestHeader(reading: &reader, headerVersion: headerVersion)
    #expect(header.apiKey == T.apiKey.rawValue, sourceLocation: sourceLocation)
    #expect(header.apiVersion == frame.version, sourceLocation: sourceLocation)
    let body = try T(reading: &reader, version: frame.version)
    #expect(reader.isAtEnd, "\(frame) left \(reader.remaining) bytes unread", sourceLocation: sourceLocation)
    var writer = ProtocolWriter()
    header.write(to: &writer, headerVersion: headerVersion)
    body.write(to: &writer, version: frame.version)
    #expect(writer.bytes == expected, "re-encoding \(frame)", sourceLocation: sourceLocation)
    return DecodedGolden(requestHeader: header, correlationId: header.correlationId, body: body)
}

/// The version a response frame is encoded at: its request's, except for a refused ApiVersions request.
func responseVersion<T: KafkaRequest>(_: T.Type, _ frame: GoldenFrame) -> Int16 {
    let refusedApiVersions =
        T.apiKey == .apiVersions && frame.bytes.count >= 6 && frame.bytes[4] == 0
        && frame.bytes[5] == 35
    return refusedApiVersions ? 0 : frame.version
}

func decodeGoldenResponse<T: KafkaRequest>(
    _: T.Type, _ frame: GoldenFrame, sourceLocation: SourceLocation = #_sourceLocation
) throws -> DecodedGolden<T.Response> where T.Response: Equatable {
    #expect(frame.direction == .response, sourceLocation: sourceLocation)
    // A broker that does not support the requested ApiVersions version answers in v0 with UNSUPPORTED_VERSION
    // (KIP-511); clients recognise it by the error code right after the correlation id.
    let version = responseVersion(T.self, frame)
    var reader = ProtocolReader(frame.bytes)
    let headerVersion = T.responseHeaderVersion(version)
    let header = try ResponseHeader(reading: &reader, headerVersion: headerVersion)
    let body = try T.Response(reading: &reader, version: version)
    #expect(reader.isAtEnd, "\(frame) left \(reader.remaining) bytes unread", sourceLocation: sourceLocation)
    var writer = ProtocolWriter()
    header.write(to: &writer, headerVersion: headerVersion)
    body.write(to: &writer, version: version)
    #expect(writer.bytes == frame.bytes, "re-encoding \(frame)", sourceLocation: sourceLocation)
    return DecodedGolden(requestHeader: nil, correlationId: header.correlationId, body: body)
}

enum GoldenCheck { case roundTrip, everyPrefixThrows }

/// Runs a check on any captured frame with the type its API key names; false when the key has no type here.
/// `.roundTrip` decodes and re-encodes the whole frame; `.everyPrefixThrows` requires every strict prefix of the
/// body (header stripped) to throw.
func checkGolden(_ frame: GoldenFrame, _ check: GoldenCheck = .roundTrip) throws -> Bool {
    func run<T: KafkaRequest & Equatable>(_ type: T.Type) throws -> Bool where T.Response: Equatable {
        switch (check, frame.direction) {
        case (.roundTrip, .request): _ = try decodeGolden(type, frame)
        case (.roundTrip, .response): _ = try decodeGoldenResponse(type, frame)
        case (.everyPrefixThrows, .request):
            var reader = ProtocolReader(frame.bytes)
            _ = try RequestHeader(reading: &reader, headerVersion: T.requestHeaderVersion(frame.version))
            let body = Array(frame.bytes[reader.position..<(frame.bytes.count - GoldenFrame.knownTrailingBytes(frame))])
            expectEveryPrefixThrows(T.self, body, version: frame.version)
        case (.everyPrefixThrows, .response):
            let version = responseVersion(T.self, frame)
            var reader = ProtocolReader(frame.bytes)
            _ = try ResponseHeader(reading: &reader, headerVersion: T.responseHeaderVersion(version))
            expectEveryPrefixThrows(T.Response.self, Array(frame.bytes[reader.position...]), version: version)
        }
        return true
    }
    guard let key = APIKey(rawValue: frame.apiKey) else { return false }
    switch key {
    case .produce: return try run(ProduceRequest.self)
    case .fetch: return try run(FetchRequest.self)
    case .listOffsets: return try run(ListOffsetsRequest.self)
    case .metadata: return try run(MetadataRequest.self)
    case .offsetCommit: return try run(OffsetCommitRequest.self)
    case .offsetFetch: return try run(OffsetFetchRequest.self)
    case .findCoordinator: return try run(FindCoordinatorRequest.self)
    case .joinGroup: return try run(JoinGroupRequest.self)
    case .heartbeat: return try run(HeartbeatRequest.self)
    case .leaveGroup: return try run(LeaveGroupRequest.self)
    case .syncGroup: return try run(SyncGroupRequest.self)
    case .describeGroups: return try run(DescribeGroupsRequest.self)
    case .listGroups: return try run(ListGroupsRequest.self)
    case .apiVersions: return try run(ApiVersionsRequest.self)
    case .createTopics: return try run(CreateTopicsRequest.self)
    case .deleteTopics: return try run(DeleteTopicsRequest.self)
    case .initProducerId: return try run(InitProducerIdRequest.self)
    case .offsetForLeaderEpoch: return try run(OffsetForLeaderEpochRequest.self)
    case .describeConfigs: return try run(DescribeConfigsRequest.self)
    case .alterConfigs: return try run(AlterConfigsRequest.self)
    case .createPartitions: return try run(CreatePartitionsRequest.self)
    case .deleteGroups: return try run(DeleteGroupsRequest.self)
    case .incrementalAlterConfigs: return try run(IncrementalAlterConfigsRequest.self)
    case .describeCluster: return try run(DescribeClusterRequest.self)
    default: return false
    }
}
