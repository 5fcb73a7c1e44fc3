/// Fetch (key 1), versions 0–17, flexible from 12. Topic names up to v12, topic ids from v13.
///
/// The follower's id is `replicaId` up to v14 and `replicaState.replicaId` (tag 1) from v15;
/// `effectiveReplicaId` reads whichever applies.
public struct FetchRequest: KafkaRequest, Equatable {
    public typealias Response = FetchResponse
    public static let apiKey = APIKey.fetch
    public static let versions: ClosedRange<Int16> = 0...17
    public static let firstFlexibleVersion: Int16? = 12

    /// Tagged struct (v15+, tag 1).
    public struct ReplicaState: KafkaMessage, Equatable {
        public var replicaId: Int32 = -1
        public var replicaEpoch: Int64 = -1

        public init(replicaId: Int32 = -1, replicaEpoch: Int64 = -1) {
            self.replicaId = replicaId
            self.replicaEpoch = replicaEpoch
        }

        public var isDefault: Bool { replicaId == -1 && replicaEpoch == -1 }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            replicaId = try r.readInt32()
            replicaEpoch = try r.readInt64()
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(replicaId)
            w.writeInt64(replicaEpoch)
            w.writeEmptyTaggedFields()
        }
    }

    public struct FetchPartition: KafkaMessage, Equatable {
        public var partition: Int32 = 0
        /// v9+.
        public var currentLeaderEpoch: Int32 = -1
        public var fetchOffset: Int64 = 0
        /// v12+.
        public var lastFetchedEpoch: Int32 = -1
        /// v5+ (followers only).
        public var logStartOffset: Int64 = -1
        public var partitionMaxBytes: Int32 = 0
        /// v17+, tag 0.
        public var replicaDirectoryId: UUIDValue = .zero

        public init(
            partition: Int32 = 0, currentLeaderEpoch: Int32 = -1, fetchOffset: Int64 = 0, lastFetchedEpoch: Int32 = -1,
            logStartOffset: Int64 = -1, partitionMaxBytes: Int32 = 0, replicaDirectoryId: UUIDValue = .zero
        ) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.fetchOffset = fetchOffset
            self.lastFetchedEpoch = lastFetchedEpoch
            self.logStartOffset = logStartOffset
            self.partitionMaxBytes = partitionMaxBytes
            self.replicaDirectoryId = replicaDirectoryId
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            partition = try r.readInt32()
            if version >= 9 { currentLeaderEpoch = try r.readInt32() }
            fetchOffset = try r.readInt64()
            if version >= 12 { lastFetchedEpoch = try r.readInt32() }
            if version >= 5 { logStartOffset = try r.readInt64() }
            partitionMaxBytes = try r.readInt32()
            if FetchRequest.isFlexible(version) {
                var tags = try r.beginTaggedFields()
                while let field = try r.nextTaggedField(&tags) {
                    var sub = field.reader
                    if field.tag == 0 && version >= 17 { replicaDirectoryId = try sub.readUUID() }
                }
            }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(partition)
            if version >= 9 { w.writeInt32(currentLeaderEpoch) }
            w.writeInt64(fetchOffset)
            if version >= 12 { w.writeInt32(lastFetchedEpoch) }
            if version >= 5 { w.writeInt64(logStartOffset) }
            w.writeInt32(partitionMaxBytes)
            if FetchRequest.isFlexible(version) {
                var tags = TaggedFields()
                if version >= 17 && !replicaDirectoryId.isZero {
                    tags.add(0) { $0.writeUUID(replicaDirectoryId) }
                }
                w.writeTaggedFields(tags)
            }
        }
    }

    public struct FetchTopic: KafkaMessage, Equatable {
        /// v0–12.
        public var topic: String = ""
        /// v13+.
        public var topicId: UUIDValue = .zero
        public var partitions: [FetchPartition] = []

        public init(topic: String = "", topicId: UUIDValue = .zero, partitions: [FetchPartition] = []) {
            self.topic = topic
            self.topicId = topicId
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = FetchRequest.isFlexible(version)
            if version <= 12 { topic = try r.readString(compact: flexible) }
            if version >= 13 { topicId = try r.readUUID() }
            partitions = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = FetchRequest.isFlexible(version)
            if version <= 12 { w.writeString(topic, compact: flexible) }
            if version >= 13 { w.writeUUID(topicId) }
            w.writeStructArray(partitions, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct ForgottenTopic: KafkaMessage, Equatable {
        /// v7–12.
        public var topic: String = ""
        /// v13+.
        public var topicId: UUIDValue = .zero
        public var partitions: [Int32] = []

        public init(topic: String = "", topicId: UUIDValue = .zero, partitions: [Int32] = []) {
            self.topic = topic
            self.topicId = topicId
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = FetchRequest.isFlexible(version)
            if version <= 12 { topic = try r.readString(compact: flexible) }
            if version >= 13 { topicId = try r.readUUID() }
            partitions = try r.readInt32Array(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = FetchRequest.isFlexible(version)
            if version <= 12 { w.writeString(topic, compact: flexible) }
            if version >= 13 { w.writeUUID(topicId) }
            w.writeInt32Array(partitions, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    /// v12+, tag 0.
    public var clusterId: String? = nil
    /// v0–14.
    public var replicaId: Int32 = -1
    /// v15+, tag 1.
    public var replicaState = ReplicaState()
    public var maxWaitMs: Int32 = 0
    public var minBytes: Int32 = 0
    /// v3+.
    public var maxBytes: Int32 = 0x7fff_ffff
    /// v4+: 0 read_uncommitted, 1 read_committed.
    public var isolationLevel: Int8 = 0
    /// v7+.
    public var sessionId: Int32 = 0
    /// v7+.
    public var sessionEpoch: Int32 = -1
    public var topics: [FetchTopic] = []
    /// v7+.
    public var forgottenTopicsData: [ForgottenTopic] = []
    /// v11+.
    public var rackId: String = ""

    public init(
        clusterId: String? = nil, replicaId: Int32 = -1, replicaState: ReplicaState = ReplicaState(),
        maxWaitMs: Int32 = 0, minBytes: Int32 = 0, maxBytes: Int32 = 0x7fff_ffff, isolationLevel: Int8 = 0,
        sessionId: Int32 = 0, sessionEpoch: Int32 = -1, topics: [FetchTopic] = [],
        forgottenTopicsData: [ForgottenTopic] = [], rackId: String = ""
    ) {
        self.clusterId = clusterId
        self.replicaId = replicaId
        self.replicaState = replicaState
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.isolationLevel = isolationLevel
        self.sessionId = sessionId
        self.sessionEpoch = sessionEpoch
        self.topics = topics
        self.forgottenTopicsData = forgottenTopicsData
        self.rackId = rackId
    }

    /// The fetching replica's broker id (-1 for consumers), wherever the request version carries it.
    public func effectiveReplicaId(version: Int16) -> Int32 {
        version >= 15 ? replicaState.replicaId : replicaId
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = Self.isFlexible(version)
        if version <= 14 { replicaId = try r.readInt32() }
        maxWaitMs = try r.readInt32()
        minBytes = try r.readInt32()
        if version >= 3 { maxBytes = try r.readInt32() }
        if version >= 4 { isolationLevel = try r.readInt8() }
        if version >= 7 {
            sessionId = try r.readInt32()
            sessionEpoch = try r.readInt32()
        }
        topics = try r.readStructArray(version: version, compact: flexible)
        if version >= 7 { forgottenTopicsData = try r.readStructArray(version: version, compact: flexible) }
        if version >= 11 { rackId = try r.readString(compact: flexible) }
        if flexible {
            var tags = try r.beginTaggedFields()
            while let field = try r.nextTaggedField(&tags) {
                var sub = field.reader
                switch field.tag {
                case 0: clusterId = try sub.readNullableString(compact: true)
                case 1 where version >= 15: replicaState = try ReplicaState(reading: &sub, version: version)
                default: break
                }
            }
        }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = Self.isFlexible(version)
        if version <= 14 { w.writeInt32(replicaId) }
        w.writeInt32(maxWaitMs)
        w.writeInt32(minBytes)
        if version >= 3 { w.writeInt32(maxBytes) }
        if version >= 4 { w.writeInt8(isolationLevel) }
        if version >= 7 {
            w.writeInt32(sessionId)
            w.writeInt32(sessionEpoch)
        }
        w.writeStructArray(topics, version: version, compact: flexible)
        if version >= 7 { w.writeStructArray(forgottenTopicsData, version: version, compact: flexible) }
        if version >= 11 { w.writeString(rackId, compact: flexible) }
        if flexible {
            var tags = TaggedFields()
            if let clusterId { tags.add(0) { $0.writeNullableString(clusterId, compact: true) } }
            if version >= 15 && !replicaState.isDefault {
                tags.add(1) { replicaState.write(to: &$0, version: version) }
            }
            w.writeTaggedFields(tags)
        }
    }
}

public struct FetchResponse: KafkaMessage, Equatable {
    /// Tagged struct (v12+, tag 0).
    public struct EpochEndOffset: KafkaMessage, Equatable {
        public var epoch: Int32 = -1
        public var endOffset: Int64 = -1

        public init(epoch: Int32 = -1, endOffset: Int64 = -1) {
            self.epoch = epoch
            self.endOffset = endOffset
        }

        public var isDefault: Bool { epoch == -1 && endOffset == -1 }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            epoch = try r.readInt32()
            endOffset = try r.readInt64()
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt32(epoch)
            w.writeInt64(endOffset)
            w.writeEmptyTaggedFields()
        }
    }

    /// Tagged struct (v12+, tag 1).
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

    /// Tagged struct (v12+, tag 2). Note the field order: end offset first.
    public struct SnapshotId: KafkaMessage, Equatable {
        public var endOffset: Int64 = -1
        public var epoch: Int32 = -1

        public init(endOffset: Int64 = -1, epoch: Int32 = -1) {
            self.endOffset = endOffset
            self.epoch = epoch
        }

        public var isDefault: Bool { endOffset == -1 && epoch == -1 }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            endOffset = try r.readInt64()
            epoch = try r.readInt32()
            try r.readTaggedFields()
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt64(endOffset)
            w.writeInt32(epoch)
            w.writeEmptyTaggedFields()
        }
    }

    public struct AbortedTransaction: KafkaMessage, Equatable {
        public var producerId: Int64 = 0
        public var firstOffset: Int64 = 0

        public init(producerId: Int64 = 0, firstOffset: Int64 = 0) {
            self.producerId = producerId
            self.firstOffset = firstOffset
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            producerId = try r.readInt64()
            firstOffset = try r.readInt64()
            if FetchRequest.isFlexible(version) { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeInt64(producerId)
            w.writeInt64(firstOffset)
            if FetchRequest.isFlexible(version) { w.writeEmptyTaggedFields() }
        }
    }

    public struct PartitionData: KafkaMessage, Equatable {
        public var partitionIndex: Int32 = 0
        public var errorCode: Int16 = 0
        public var highWatermark: Int64 = 0
        /// v4+. Without transactions, set it to the high watermark.
        public var lastStableOffset: Int64 = -1
        /// v5+.
        public var logStartOffset: Int64 = -1
        /// v12+, tag 0.
        public var divergingEpoch = EpochEndOffset()
        /// v12+, tag 1.
        public var currentLeader = LeaderIdAndEpoch()
        /// v12+, tag 2.
        public var snapshotId = SnapshotId()
        /// v4+; null and empty both mean "none".
        public var abortedTransactions: [AbortedTransaction]? = nil
        /// v11+. Keep -1 or librdkafka redirects its fetches.
        public var preferredReadReplica: Int32 = -1
        /// Never written as null: empty records are size 0.
        public var records: RecordsField = .empty

        public init(
            partitionIndex: Int32 = 0, errorCode: Int16 = 0, highWatermark: Int64 = 0, lastStableOffset: Int64 = -1,
            logStartOffset: Int64 = -1, divergingEpoch: EpochEndOffset = EpochEndOffset(),
            currentLeader: LeaderIdAndEpoch = LeaderIdAndEpoch(), snapshotId: SnapshotId = SnapshotId(),
            abortedTransactions: [AbortedTransaction]? = nil, preferredReadReplica: Int32 = -1,
            records: RecordsField = .empty
        ) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.highWatermark = highWatermark
            self.lastStableOffset = lastStableOffset
            self.logStartOffset = logStartOffset
            self.divergingEpoch = divergingEpoch
            self.currentLeader = currentLeader
            self.snapshotId = snapshotId
            self.abortedTransactions = abortedTransactions
            self.preferredReadReplica = preferredReadReplica
            self.records = records
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = FetchRequest.isFlexible(version)
            partitionIndex = try r.readInt32()
            errorCode = try r.readInt16()
            highWatermark = try r.readInt64()
            if version >= 4 { lastStableOffset = try r.readInt64() }
            if version >= 5 { logStartOffset = try r.readInt64() }
            if version >= 4 { abortedTransactions = try r.readNullableStructArray(version: version, compact: flexible) }
            if version >= 11 { preferredReadReplica = try r.readInt32() }
            records = try r.readRecords(compact: flexible)
            if flexible {
                var tags = try r.beginTaggedFields()
                while let field = try r.nextTaggedField(&tags) {
                    var sub = field.reader
                    switch field.tag {
                    case 0: divergingEpoch = try EpochEndOffset(reading: &sub, version: version)
                    case 1: currentLeader = try LeaderIdAndEpoch(reading: &sub, version: version)
                    case 2: snapshotId = try SnapshotId(reading: &sub, version: version)
                    default: break
                    }
                }
            }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = FetchRequest.isFlexible(version)
            w.writeInt32(partitionIndex)
            w.writeInt16(errorCode)
            w.writeInt64(highWatermark)
            if version >= 4 { w.writeInt64(lastStableOffset) }
            if version >= 5 { w.writeInt64(logStartOffset) }
            if version >= 4 { w.writeNullableStructArray(abortedTransactions, version: version, compact: flexible) }
            if version >= 11 { w.writeInt32(preferredReadReplica) }
            w.writeRecords(records, compact: flexible)
            if flexible {
                if divergingEpoch.isDefault && currentLeader.isDefault && snapshotId.isDefault {
                    w.writeEmptyTaggedFields()
                } else {
                    var tags = TaggedFields()
                    if !divergingEpoch.isDefault { tags.add(0) { divergingEpoch.write(to: &$0, version: version) } }
                    if !currentLeader.isDefault { tags.add(1) { currentLeader.write(to: &$0, version: version) } }
                    if !snapshotId.isDefault { tags.add(2) { snapshotId.write(to: &$0, version: version) } }
                    w.writeTaggedFields(tags)
                }
            }
        }
    }

    public struct FetchableTopicResponse: KafkaMessage, Equatable {
        /// v0–12.
        public var topic: String = ""
        /// v13+.
        public var topicId: UUIDValue = .zero
        public var partitions: [PartitionData] = []

        public init(topic: String = "", topicId: UUIDValue = .zero, partitions: [PartitionData] = []) {
            self.topic = topic
            self.topicId = topicId
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = FetchRequest.isFlexible(version)
            if version <= 12 { topic = try r.readString(compact: flexible) }
            if version >= 13 { topicId = try r.readUUID() }
            partitions = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = FetchRequest.isFlexible(version)
            if version <= 12 { w.writeString(topic, compact: flexible) }
            if version >= 13 { w.writeUUID(topicId) }
            w.writeStructArray(partitions, version: version, compact: flexible)
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

    /// v1+.
    public var throttleTimeMs: Int32 = 0
    /// v7+.
    public var errorCode: Int16 = 0
    /// v7+. A sessionless broker always answers 0.
    public var sessionId: Int32 = 0
    public var responses: [FetchableTopicResponse] = []
    /// v16+, tag 0.
    public var nodeEndpoints: [NodeEndpoint] = []

    public init(
        throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, sessionId: Int32 = 0,
        responses: [FetchableTopicResponse] = [], nodeEndpoints: [NodeEndpoint] = []
    ) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.sessionId = sessionId
        self.responses = responses
        self.nodeEndpoints = nodeEndpoints
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = FetchRequest.isFlexible(version)
        if version >= 1 { throttleTimeMs = try r.readInt32() }
        if version >= 7 {
            errorCode = try r.readInt16()
            sessionId = try r.readInt32()
        }
        responses = try r.readStructArray(version: version, compact: flexible)
        if flexible {
            var tags = try r.beginTaggedFields()
            while let field = try r.nextTaggedField(&tags) {
                var sub = field.reader
                if field.tag == 0 && version >= 16 {
                    nodeEndpoints = try sub.readStructArray(version: version, compact: true)
                }
            }
        }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = FetchRequest.isFlexible(version)
        if version >= 1 { w.writeInt32(throttleTimeMs) }
        if version >= 7 {
            w.writeInt16(errorCode)
            w.writeInt32(sessionId)
        }
        w.writeStructArray(responses, version: version, compact: flexible)
        if flexible {
            var tags = TaggedFields()
            if version >= 16 && !nodeEndpoints.isEmpty {
                tags.add(0) { $0.writeStructArray(nodeEndpoints, version: version, compact: true) }
            }
            w.writeTaggedFields(tags)
        }
    }
}
