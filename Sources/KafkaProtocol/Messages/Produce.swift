/// Produce (key 0), versions 0–11, flexible from 9.
///
/// `records` is kept as raw bytes (a v2 record batch from v3 on, legacy message sets before); KafkaRecords parses
/// them. acks=0 requests get no response at all; that is the broker's business, not this codec's.
public struct ProduceRequest: KafkaRequest, Equatable {
    public typealias Response = ProduceResponse
    public static let apiKey = APIKey.produce
    public static let versions: ClosedRange<Int16> = 0...11
    public static let firstFlexibleVersion: Int16? = 9

    public struct PartitionProduceData: KafkaMessage, Equatable {
        public var index: Int32 = 0
        public var records: [UInt8]? = nil

        public init(index: Int32 = 0, records: [UInt8]? = nil) {
            self.index = index
            self.records = records
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = ProduceRequest.isFlexible(version)
            index = try r.readInt32()
            records = try r.readNullableBytes(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = ProduceRequest.isFlexible(version)
            w.writeInt32(index)
            w.writeNullableBytes(records, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct TopicProduceData: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitionData: [PartitionProduceData] = []

        public init(name: String = "", partitionData: [PartitionProduceData] = []) {
            self.name = name
            self.partitionData = partitionData
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = ProduceRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            partitionData = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = ProduceRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            w.writeStructArray(partitionData, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v3+.
    public var transactionalId: String? = nil
    public var acks: Int16 = 0
    public var timeoutMs: Int32 = 0
    public var topicData: [TopicProduceData] = []

    public init(
        transactionalId: String? = nil, acks: Int16 = 0, timeoutMs: Int32 = 0, topicData: [TopicProduceData] = []
    ) {
        self.transactionalId = transactionalId
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topicData = topicData
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = Self.isFlexible(version)
        if version >= 3 { transactionalId = try r.readNullableString(compact: flexible) }
        acks = try r.readInt16()
        timeoutMs = try r.readInt32()
        topicData = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = Self.isFlexible(version)
        if version >= 3 { w.writeNullableString(transactionalId, compact: flexible) }
        w.writeInt16(acks)
        w.writeInt32(timeoutMs)
        w.writeStructArray(topicData, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct ProduceResponse: KafkaMessage, Equatable {
    public struct BatchIndexAndErrorMessage: KafkaMessage, Equatable {
        public var batchIndex: Int32 = 0
        public var batchIndexErrorMessage: String? = nil

        public init(batchIndex: Int32 = 0, batchIndexErrorMessage: String? = nil) {
            self.batchIndex = batchIndex
            self.batchIndexErrorMessage = batchIndexErrorMessage
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = ProduceRequest.isFlexible(version)
            batchIndex = try r.readInt32()
            batchIndexErrorMessage = try r.readNullableString(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = ProduceRequest.isFlexible(version)
            w.writeInt32(batchIndex)
            w.writeNullableString(batchIndexErrorMessage, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// Tagged struct (v10+): written only when it differs from the default (-1, -1).
    public struct LeaderIdAndEpoch: KafkaMessage, Equatable {
        public var leaderId: Int32 = -1
        public var leaderEpoch: Int32 = -1

        public init(leaderId: Int32 = -1, leaderEpoch: Int32 = -1) {
            self.leaderId = leaderId
            self.leaderEpoch = leaderEpoch
        }

        public var isDefault: Bool { leaderId == -1 && leaderEpoch == -1 }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            leaderId = try r.readInt32()
            leaderEpoch = try r.readInt32()
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(leaderId)
            w.writeInt32(leaderEpoch)
            w.writeEmptyTaggedFields()
        }
    }

    public struct PartitionProduceResponse: KafkaMessage, Equatable {
        public var index: Int32 = 0
        public var errorCode: Int16 = 0
        public var baseOffset: Int64 = 0
        /// v2+.
        public var logAppendTimeMs: Int64 = -1
        /// v5+.
        public var logStartOffset: Int64 = -1
        /// v8+.
        public var recordErrors: [BatchIndexAndErrorMessage] = []
        /// v8+.
        public var errorMessage: String? = nil
        /// v10+, tag 0.
        public var currentLeader = LeaderIdAndEpoch()

        public init(
            index: Int32 = 0, errorCode: Int16 = 0, baseOffset: Int64 = 0, logAppendTimeMs: Int64 = -1,
            logStartOffset: Int64 = -1, recordErrors: [BatchIndexAndErrorMessage] = [], errorMessage: String? = nil,
            currentLeader: LeaderIdAndEpoch = LeaderIdAndEpoch()
        ) {
            self.index = index
            self.errorCode = errorCode
            self.baseOffset = baseOffset
            self.logAppendTimeMs = logAppendTimeMs
            self.logStartOffset = logStartOffset
            self.recordErrors = recordErrors
            self.errorMessage = errorMessage
            self.currentLeader = currentLeader
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = ProduceRequest.isFlexible(version)
            index = try r.readInt32()
            errorCode = try r.readInt16()
            baseOffset = try r.readInt64()
            if version >= 2 { logAppendTimeMs = try r.readInt64() }
            if version >= 5 { logStartOffset = try r.readInt64() }
            if version >= 8 {
                recordErrors = try r.readStructArray(version: version, compact: flexible)
                errorMessage = try r.readNullableString(compact: flexible)
            }
            if flexible {
                var tags = try r.beginTaggedFields()
                while let field = try r.nextTaggedField(&tags) {
                    var sub = field.reader
                    if field.tag == 0 && version >= 10 {
                        currentLeader = try LeaderIdAndEpoch(reading: &sub, version: version)
                    }
                }
            }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = ProduceRequest.isFlexible(version)
            w.writeInt32(index)
            w.writeInt16(errorCode)
            w.writeInt64(baseOffset)
            if version >= 2 { w.writeInt64(logAppendTimeMs) }
            if version >= 5 { w.writeInt64(logStartOffset) }
            if version >= 8 {
                w.writeStructArray(recordErrors, version: version, compact: flexible)
                w.writeNullableString(errorMessage, compact: flexible)
            }
            if flexible {
                var tags = TaggedFields()
                if version >= 10 && !currentLeader.isDefault {
                    tags.add(0) { currentLeader.write(to: &$0, version: version) }
                }
                w.writeTaggedFields(tags)
            }
        }
    }

    public struct TopicProduceResponse: KafkaMessage, Equatable {
        public var name: String = ""
        public var partitionResponses: [PartitionProduceResponse] = []

        public init(name: String = "", partitionResponses: [PartitionProduceResponse] = []) {
            self.name = name
            self.partitionResponses = partitionResponses
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = ProduceRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            partitionResponses = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = ProduceRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            w.writeStructArray(partitionResponses, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct NodeEndpoint: KafkaMessage, Equatable {
        public var nodeId: Int32 = 0
        public var host: String = ""
        public var port: Int32 = 0
        public var rack: String? = nil

        public init(nodeId: Int32 = 0, host: String = "", port: Int32 = 0, rack: String? = nil) {
            self.nodeId = nodeId
            self.host = host
            self.port = port
            self.rack = rack
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            nodeId = try r.readInt32()
            host = try r.readString(compact: true)
            port = try r.readInt32()
            rack = try r.readNullableString(compact: true)
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(nodeId)
            w.writeString(host, compact: true)
            w.writeInt32(port)
            w.writeNullableString(rack, compact: true)
            w.writeEmptyTaggedFields()
        }
    }

    public var responses: [TopicProduceResponse] = []
    /// v1+. Unlike most responses, Produce puts it last.
    public var throttleTimeMs: Int32 = 0
    /// v10+, tag 0.
    public var nodeEndpoints: [NodeEndpoint] = []

    public init(responses: [TopicProduceResponse] = [], throttleTimeMs: Int32 = 0, nodeEndpoints: [NodeEndpoint] = []) {
        self.responses = responses
        self.throttleTimeMs = throttleTimeMs
        self.nodeEndpoints = nodeEndpoints
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = ProduceRequest.isFlexible(version)
        responses = try r.readStructArray(version: version, compact: flexible)
        if version >= 1 { throttleTimeMs = try r.readInt32() }
        if flexible {
            var tags = try r.beginTaggedFields()
            while let field = try r.nextTaggedField(&tags) {
                var sub = field.reader
                if field.tag == 0 && version >= 10 {
                    nodeEndpoints = try sub.readStructArray(version: version, compact: true)
                }
            }
        }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = ProduceRequest.isFlexible(version)
        w.writeStructArray(responses, version: version, compact: flexible)
        if version >= 1 { w.writeInt32(throttleTimeMs) }
        if flexible {
            var tags = TaggedFields()
            if version >= 10 && !nodeEndpoints.isEmpty {
                tags.add(0) { $0.writeStructArray(nodeEndpoints, version: version, compact: true) }
            }
            w.writeTaggedFields(tags)
        }
    }
}
