/// InitProducerId (key 22), versions 0–5, flexible from 2. Required by the Java producer (idempotence on by default).
public struct InitProducerIdRequest: KafkaRequest, Equatable {
    public typealias Response = InitProducerIdResponse
    public static let apiKey = APIKey.initProducerId
    public static let versions: ClosedRange<Int16> = 0...5
    public static let firstFlexibleVersion: Int16? = 2

    /// Null for an idempotent (non-transactional) producer.
    public var transactionalId: String? = nil
    public var transactionTimeoutMs: Int32 = 0
    /// v3+: the current id and epoch when re-initialising, else -1.
    public var producerId: Int64 = -1
    /// v3+.
    public var producerEpoch: Int16 = -1

    public init(
        transactionalId: String? = nil, transactionTimeoutMs: Int32 = 0, producerId: Int64 = -1,
        producerEpoch: Int16 = -1
    ) {
        self.transactionalId = transactionalId
        self.transactionTimeoutMs = transactionTimeoutMs
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = Self.isFlexible(version)
        transactionalId = try r.readNullableString(compact: flexible)
        transactionTimeoutMs = try r.readInt32()
        if version >= 3 {
            producerId = try r.readInt64()
            producerEpoch = try r.readInt16()
        }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = Self.isFlexible(version)
        w.writeNullableString(transactionalId, compact: flexible)
        w.writeInt32(transactionTimeoutMs)
        if version >= 3 {
            w.writeInt64(producerId)
            w.writeInt16(producerEpoch)
        }
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct InitProducerIdResponse: KafkaMessage, Equatable {
    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0
    public var producerId: Int64 = -1
    public var producerEpoch: Int16 = 0

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, producerId: Int64 = -1, producerEpoch: Int16 = 0) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        throttleTimeMs = try r.readInt32()
        errorCode = try r.readInt16()
        producerId = try r.readInt64()
        producerEpoch = try r.readInt16()
        if InitProducerIdRequest.isFlexible(version) { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        w.writeInt32(throttleTimeMs)
        w.writeInt16(errorCode)
        w.writeInt64(producerId)
        w.writeInt16(producerEpoch)
        if InitProducerIdRequest.isFlexible(version) { w.writeEmptyTaggedFields() }
    }
}
