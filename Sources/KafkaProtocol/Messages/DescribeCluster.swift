/// DescribeCluster (key 60), versions 0–1, flexible in every version. `endpointType` (v1+): 1 brokers, 2 controllers.
public struct DescribeClusterRequest: KafkaRequest, Equatable {
    public typealias Response = DescribeClusterResponse
    public static let apiKey = APIKey.describeCluster
    public static let versions: ClosedRange<Int16> = 0...1
    public static let firstFlexibleVersion: Int16? = 0

    public var includeClusterAuthorizedOperations: Bool = false
    /// v1+.
    public var endpointType: Int8 = 1

    public init(includeClusterAuthorizedOperations: Bool = false, endpointType: Int8 = 1) {
        self.includeClusterAuthorizedOperations = includeClusterAuthorizedOperations
        self.endpointType = endpointType
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        includeClusterAuthorizedOperations = try r.readBool()
        if version >= 1 { endpointType = try r.readInt8() }
        try r.readTaggedFields()
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        w.writeBool(includeClusterAuthorizedOperations)
        if version >= 1 { w.writeInt8(endpointType) }
        w.writeEmptyTaggedFields()
    }
}

public struct DescribeClusterResponse: KafkaMessage, Equatable {
    public struct DescribeClusterBroker: KafkaMessage, Equatable {
        public var brokerId: Int32 = 0
        public var host: String = ""
        public var port: Int32 = 0
        public var rack: String? = nil

        public init(brokerId: Int32 = 0, host: String = "", port: Int32 = 0, rack: String? = nil) {
            self.brokerId = brokerId
            self.host = host
            self.port = port
            self.rack = rack
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            brokerId = try r.readInt32()
            host = try r.readString(compact: true)
            port = try r.readInt32()
            rack = try r.readNullableString(compact: true)
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(brokerId)
            w.writeString(host, compact: true)
            w.writeInt32(port)
            w.writeNullableString(rack, compact: true)
            w.writeEmptyTaggedFields()
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var errorCode: Int16 = 0
    public var errorMessage: String? = nil
    /// v1+.
    public var endpointType: Int8 = 1
    public var clusterId: String = ""
    public var controllerId: Int32 = -1
    public var brokers: [DescribeClusterBroker] = []
    public var clusterAuthorizedOperations: Int32 = Int32.min

    public init(
        throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, errorMessage: String? = nil, endpointType: Int8 = 1,
        clusterId: String = "", controllerId: Int32 = -1, brokers: [DescribeClusterBroker] = [],
        clusterAuthorizedOperations: Int32 = Int32.min
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.endpointType = endpointType
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.brokers = brokers
        self.clusterAuthorizedOperations = clusterAuthorizedOperations
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        throttleTimeMs = try r.readInt32()
        errorCode = try r.readInt16()
        errorMessage = try r.readNullableString(compact: true)
        if version >= 1 { endpointType = try r.readInt8() }
        clusterId = try r.readString(compact: true)
        controllerId = try r.readInt32()
        brokers = try r.readStructArray(version: version, compact: true)
        clusterAuthorizedOperations = try r.readInt32()
        try r.readTaggedFields()
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        w.writeInt32(throttleTimeMs)
        w.writeInt16(errorCode)
        w.writeNullableString(errorMessage, compact: true)
        if version >= 1 { w.writeInt8(endpointType) }
        w.writeString(clusterId, compact: true)
        w.writeInt32(controllerId)
        w.writeStructArray(brokers, version: version, compact: true)
        w.writeInt32(clusterAuthorizedOperations)
        w.writeEmptyTaggedFields()
    }
}
