/// The consumer protocol ("consumer" protocol type) payloads carried as opaque bytes inside JoinGroup metadata,
/// SyncGroup assignments and DescribeGroups members. The broker never needs them to run a group; they are decoded
/// to display groups (consumer-groups --describe) and by a Swift consumer.
///
/// Wire form: an int16 version, then the body at that version (never flexible). A version above 3 is read with
/// the v3 layout and any trailing bytes are ignored, which is how newer clients stay readable by older ones.

/// A member's subscription (JoinGroup protocol metadata), versions 0–3.
public struct ConsumerProtocolSubscription: KafkaMessage, Equatable {
    public static let versions: ClosedRange<Int16> = 0...3

    public struct TopicPartition: KafkaMessage, Equatable {
        public var topic: String = ""
        public var partitions: [Int32] = []

        public init(topic: String = "", partitions: [Int32] = []) {
            self.topic = topic
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            topic = try r.readString()
            partitions = try r.readInt32Array(compact: false)
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(topic)
            w.writeInt32Array(partitions, compact: false)
        }
    }

    public var topics: [String] = []
    public var userData: [UInt8]? = nil
    /// v1+.
    public var ownedPartitions: [TopicPartition] = []
    /// v2+.
    public var generationId: Int32 = -1
    /// v3+.
    public var rackId: String? = nil

    public init(
        topics: [String] = [], userData: [UInt8]? = nil, ownedPartitions: [TopicPartition] = [],
        generationId: Int32 = -1, rackId: String? = nil
    ) {
        self.topics = topics
        self.userData = userData
        self.ownedPartitions = ownedPartitions
        self.generationId = generationId
        self.rackId = rackId
    }

    /// Reads the body (without the version prefix) at `version`.
    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        topics = try r.readStringArray(compact: false)
        userData = try r.readNullableBytes()
        if version >= 1 { ownedPartitions = try r.readStructArray(version: version, compact: false) }
        if version >= 2 { generationId = try r.readInt32() }
        if version >= 3 { rackId = try r.readNullableString() }
    }

    /// Writes the body (without the version prefix) at `version`.
    public func write(to w: inout ProtocolWriter, version: Int16) {
        w.writeStringArray(topics, compact: false)
        w.writeNullableBytes(userData)
        if version >= 1 { w.writeStructArray(ownedPartitions, version: version, compact: false) }
        if version >= 2 { w.writeInt32(generationId) }
        if version >= 3 { w.writeNullableString(rackId) }
    }

    /// Decodes version-prefixed bytes. Returns the version found on the wire (which may exceed 3).
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> (version: Int16, value: Self) {
        var r = ProtocolReader(bytes)
        let version = try r.readInt16()
        guard version >= 0 else { throw .invalidField("consumer protocol subscription version \(version)") }
        return (version, try Self(reading: &r, version: min(version, versions.upperBound)))
    }

    /// The version-prefixed bytes at `version` (0–3).
    public func encoded(version: Int16 = 3) -> [UInt8] {
        var w = ProtocolWriter()
        w.writeInt16(version)
        write(to: &w, version: version)
        return w.bytes
    }
}

/// A member's assignment (SyncGroup assignment bytes), versions 0–3 (all share one layout).
public struct ConsumerProtocolAssignment: KafkaMessage, Equatable {
    public static let versions: ClosedRange<Int16> = 0...3

    public struct TopicPartition: KafkaMessage, Equatable {
        public var topic: String = ""
        public var partitions: [Int32] = []

        public init(topic: String = "", partitions: [Int32] = []) {
            self.topic = topic
            self.partitions = partitions
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            topic = try r.readString()
            partitions = try r.readInt32Array(compact: false)
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            w.writeString(topic)
            w.writeInt32Array(partitions, compact: false)
        }
    }

    public var assignedPartitions: [TopicPartition] = []
    public var userData: [UInt8]? = nil

    public init(assignedPartitions: [TopicPartition] = [], userData: [UInt8]? = nil) {
        self.assignedPartitions = assignedPartitions
        self.userData = userData
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        assignedPartitions = try r.readStructArray(version: version, compact: false)
        userData = try r.readNullableBytes()
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        w.writeStructArray(assignedPartitions, version: version, compact: false)
        w.writeNullableBytes(userData)
    }

    /// Decodes version-prefixed bytes. Zero bytes mean "no assignment yet" (what a coordinator hands out before
    /// the leader has synced) and decode as an empty v0 assignment.
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> (version: Int16, value: Self) {
        if bytes.isEmpty { return (0, Self()) }
        var r = ProtocolReader(bytes)
        let version = try r.readInt16()
        guard version >= 0 else { throw .invalidField("consumer protocol assignment version \(version)") }
        return (version, try Self(reading: &r, version: min(version, versions.upperBound)))
    }

    /// The version-prefixed bytes at `version` (0–3).
    public func encoded(version: Int16 = 3) -> [UInt8] {
        var w = ProtocolWriter()
        w.writeInt16(version)
        write(to: &w, version: version)
        return w.bytes
    }
}
