/// ControlledShutdown (key 7), versions 0–3, flexible from 3. A broker asks the controller to move leadership away
/// before it stops. v0 requests use request header v0 (no client id); see `requestHeaderVersion(_:)`.
public struct ControlledShutdownRequest: KafkaRequest, Equatable {
    public typealias Response = ControlledShutdownResponse
    public static let apiKey = APIKey.controlledShutdown
    public static let versions: ClosedRange<Int16> = 0...3
    public static let firstFlexibleVersion: Int16? = 3

    /// Request header version: 0 for v0 (the one API whose oldest version has no client id), else as usual.
    /// Note: this shadows the generic extension only when called on this concrete type.
    public static func requestHeaderVersion(_ version: Int16) -> Int16 {
        version == 0 ? 0 : (isFlexible(version) ? 2 : 1)
    }

    public var brokerId: Int32 = 0
    /// v2+.
    public var brokerEpoch: Int64 = -1

    public init(brokerId: Int32 = 0, brokerEpoch: Int64 = -1) {
        self.brokerId = brokerId
        self.brokerEpoch = brokerEpoch
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        brokerId = try r.readInt32()
        if version >= 2 { brokerEpoch = try r.readInt64() }
        if version >= 3 { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        w.writeInt32(brokerId)
        if version >= 2 { w.writeInt64(brokerEpoch) }
        if version >= 3 { w.writeEmptyTaggedFields() }
    }
}

public struct ControlledShutdownResponse: KafkaMessage, Equatable {
    /// A partition the broker still leads.
    public struct RemainingPartition: KafkaMessage, Equatable {
        public var topicName: String = ""
        public var partitionIndex: Int32 = 0

        public init(topicName: String = "", partitionIndex: Int32 = 0) {
            self.topicName = topicName
            self.partitionIndex = partitionIndex
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 3
            topicName = try r.readString(compact: flexible)
            partitionIndex = try r.readInt32()
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 3
            w.writeString(topicName, compact: flexible)
            w.writeInt32(partitionIndex)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var errorCode: Int16 = 0
    public var remainingPartitions: [RemainingPartition] = []

    public init(errorCode: Int16 = 0, remainingPartitions: [RemainingPartition] = []) {
        self.errorCode = errorCode
        self.remainingPartitions = remainingPartitions
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 3
        errorCode = try r.readInt16()
        remainingPartitions = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 3
        w.writeInt16(errorCode)
        w.writeStructArray(remainingPartitions, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
