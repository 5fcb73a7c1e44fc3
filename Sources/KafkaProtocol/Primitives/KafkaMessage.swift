/// A request or response body (or a struct nested in one) that can be decoded and encoded at any version it defines.
///
/// Conventions for every generated message file in `Generated/` (see `tools/protocol-gen/README.md`):
/// - Type and field names follow Kafka's JSON message definitions in lowerCamelCase
///   (`ProduceRequest.topicData[].partitionData[].records`); nested struct types keep the JSON's type names
///   (`ProduceRequest.TopicProduceData`).
/// - Fields absent at a version hold their Kafka default and are neither read nor written at that version.
/// - Flexible versions use compact types and end every struct with a tagged-field section; unknown tags are
///   skipped; tagged fields holding their default value are never written.
public protocol KafkaMessage: Sendable {
    init(reading reader: inout ProtocolReader, version: Int16) throws(ProtocolError)
    func write(to writer: inout ProtocolWriter, version: Int16)
}

/// A request body type, tied to its API key, version range and response type.
public protocol KafkaRequest: KafkaMessage {
    associatedtype Response: KafkaMessage
    static var apiKey: APIKey { get }
    /// The lowest and highest versions this definition decodes and encodes.
    static var versions: ClosedRange<Int16> { get }
    /// The first flexible version, or nil when the API has none in `versions`.
    static var firstFlexibleVersion: Int16? { get }
}

extension KafkaRequest {
    public static func isFlexible(_ version: Int16) -> Bool {
        guard let first = firstFlexibleVersion else { return false }
        return version >= first
    }

    /// Request header version for this API at `version` (2 when flexible, else 1).
    public static func requestHeaderVersion(_ version: Int16) -> Int16 { isFlexible(version) ? 2 : 1 }

    /// Response header version: 1 when flexible, else 0; ApiVersions is always 0 (KIP-511).
    public static func responseHeaderVersion(_ version: Int16) -> Int16 {
        apiKey == .apiVersions ? 0 : (isFlexible(version) ? 1 : 0)
    }
}
