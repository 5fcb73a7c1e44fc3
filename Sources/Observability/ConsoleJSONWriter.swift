import JSONText

/// JSON written straight into bytes, for the console's large answers (`/api/console`, `/api/topics`,
/// `/api/groups`, the server-sent events): at 10,000 partitions and 1,000 groups `JSONEncoder` spent most of an
/// answer boxing values and sorting keys. Each console value writes its keys itself, in the order `JSONEncoder`
/// with `.sortedKeys` and `.convertToSnakeCase` gives them, leaving out nil optionals as it does, so the text
/// (and the events' "unchanged" test) stays the same shape.
public struct JSONBytes {
    public private(set) var bytes: [UInt8] = []
    /// Whether the next key or element of the open container is its first.
    private var first = true

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    public var text: String { String(decoding: bytes, as: UTF8.self) }

    public mutating func object(_ body: (inout JSONBytes) -> Void) {
        bytes.append(UInt8(ascii: "{"))
        first = true
        body(&self)
        first = false
        bytes.append(UInt8(ascii: "}"))
    }

    public mutating func array<S: Sequence>(_ items: S, _ element: (inout JSONBytes, S.Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        var firstItem = true
        for item in items {
            if !firstItem { bytes.append(UInt8(ascii: ",")) }
            firstItem = false
            element(&self, item)
        }
        first = false
        bytes.append(UInt8(ascii: "]"))
    }

    /// `"key":` (with the comma before it when it is not the object's first key).
    public mutating func key(_ name: StaticString) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(ascii: "\""))
        bytes.append(UInt8(ascii: ":"))
    }

    public mutating func string(_ s: String) { JSON.writeString(s, to: &bytes) }

    public mutating func bool(_ b: Bool) { bytes.append(contentsOf: b ? Self.trueBytes : Self.falseBytes) }

    public mutating func int<I: BinaryInteger>(_ value: I) {
        let v = Int64(value)
        if v >= 0, v < 10 {
            bytes.append(UInt8(ascii: "0") + UInt8(v))
            return
        }
        if v < 0 { bytes.append(UInt8(ascii: "-")) }
        // Digits are produced least significant first into a stack buffer, then copied in order.
        var magnitude = v.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { buffer in
            var i = 20
            while magnitude > 0 {
                i -= 1
                buffer[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[i...]))
        }
    }

    /// A finite number as Swift prints it (valid JSON); NaN and infinities, which JSON cannot hold, as null.
    public mutating func double(_ value: Double) {
        guard value.isFinite else {
            bytes.append(contentsOf: Self.nullBytes)
            return
        }
        if value == value.rounded(), abs(value) < 1e15 {
            int(Int64(value))
        } else {
            bytes.append(contentsOf: "\(value)".utf8)
        }
    }

    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let nullBytes = Array("null".utf8)
}

/// A console value that writes its own JSON.
public protocol JSONBytesWritable {
    func write(to json: inout JSONBytes)
}

extension ConsoleBroker: JSONBytesWritable {
    public func write(to json: inout JSONBytes) {
        json.object { o in
            o.key("host")
            o.string(host)
            o.key("id")
            o.int(id)
            o.key("is_controller")
            o.bool(isController)
            o.key("port")
            o.int(port)
            if let rack {
                o.key("rack")
                o.string(rack)
            }
        }
    }
}

extension ConsolePartition: JSONBytesWritable {
    public func write(to json: inout JSONBytes) {
        json.object { o in
            if let endOffset {
                o.key("end_offset")
                o.int(endOffset)
            }
            o.key("isr")
            o.array(isr) { $0.int($1) }
            o.key("leader")
            o.int(leader)
            o.key("offline")
            o.bool(offline)
            o.key("partition")
            o.int(partition)
            o.key("replicas")
            o.array(replicas) { $0.int($1) }
            if let sizeBytes {
                o.key("size_bytes")
                o.int(sizeBytes)
            }
            o.key("under_replicated")
            o.bool(underReplicated)
        }
    }
}

extension ThroughputPoint: JSONBytesWritable {
    public func write(to json: inout JSONBytes) {
        json.object { o in
            o.key("at")
            o.int(at)
            o.key("bytes_per_sec")
            o.double(bytesPerSec)
            o.key("messages_per_sec")
            o.double(messagesPerSec)
        }
    }
}

extension ConsoleTopic: JSONBytesWritable {
    public func write(to json: inout JSONBytes) {
        json.object { o in
            o.key("is_internal")
            o.bool(isInternal)
            o.key("name")
            o.string(name)
            o.key("offline")
            o.int(offline)
            o.key("partitions")
            o.array(partitions) { $1.write(to: &$0) }
            if let sizeBytes {
                o.key("size_bytes")
                o.int(sizeBytes)
            }
            o.key("throughput")
            o.array(throughput) { $1.write(to: &$0) }
            o.key("under_replicated")
            o.int(underReplicated)
        }
    }
}

extension ConsoleCluster: JSONBytesWritable {
    public func write(to json: inout JSONBytes) {
        json.object { o in
            o.key("brokers")
            o.array(brokers) { $1.write(to: &$0) }
            o.key("cluster_id")
            o.string(clusterId)
            o.key("controller")
            o.int(controller)
            o.key("offline_partitions")
            o.int(offlinePartitions)
            o.key("partition_count")
            o.int(partitionCount)
            o.key("served_by")
            o.int(servedBy)
            o.key("topic_count")
            o.int(topicCount)
            o.key("under_replicated_partitions")
            o.int(underReplicatedPartitions)
        }
    }
}

extension ConsoleGroupPartition: JSONBytesWritable {
    public func write(to json: inout JSONBytes) {
        json.object { o in
            o.key("committed_offset")
            o.int(committedOffset)
            if let lag {
                o.key("lag")
                o.int(lag)
            }
            if let lagSeconds {
                o.key("lag_seconds")
                o.double(lagSeconds)
            }
            o.key("partition")
            o.int(partition)
            o.key("topic")
            o.string(topic)
            o.key("trend")
            o.string(trend.rawValue)
        }
    }
}

extension ConsoleMember: JSONBytesWritable {
    public func write(to json: inout JSONBytes) {
        json.object { o in
            o.key("client_id")
            o.string(clientId)
            if let groupInstanceId {
                o.key("group_instance_id")
                o.string(groupInstanceId)
            }
            o.key("host")
            o.string(host)
            o.key("member_id")
            o.string(memberId)
        }
    }
}

extension ConsoleRebalance: JSONBytesWritable {
    public func write(to json: inout JSONBytes) {
        json.object { o in
            if let clientHost {
                o.key("client_host")
                o.string(clientHost)
            }
            if let clientId {
                o.key("client_id")
                o.string(clientId)
            }
            if let clientReason {
                o.key("client_reason")
                o.string(clientReason)
            }
            if let completedAt {
                o.key("completed_at")
                o.int(completedAt)
            }
            o.key("completing_ms")
            o.int(completingMs)
            o.key("generation")
            o.int(generation)
            o.key("in_progress")
            o.bool(inProgress)
            if let memberId {
                o.key("member_id")
                o.string(memberId)
            }
            o.key("members")
            o.int(members)
            o.key("partitions_moved")
            o.int(partitionsMoved)
            o.key("preparing_ms")
            o.int(preparingMs)
            o.key("started_at")
            o.int(startedAt)
            if let trigger {
                o.key("trigger")
                o.string(trigger)
            }
        }
    }
}

extension ConsoleGroup: JSONBytesWritable {
    public func write(to json: inout JSONBytes) {
        json.object { o in
            o.key("coordinator")
            o.int(coordinator)
            o.key("group")
            o.string(group)
            if let maxLagSeconds {
                o.key("max_lag_seconds")
                o.double(maxLagSeconds)
            }
            o.key("members")
            o.array(members) { $1.write(to: &$0) }
            o.key("partitions")
            o.array(partitions) { $1.write(to: &$0) }
            o.key("protocol_type")
            o.string(protocolType)
            o.key("rebalances")
            o.array(rebalances) { $1.write(to: &$0) }
            o.key("state")
            o.string(state)
            o.key("status")
            o.string(status)
            if let totalLag {
                o.key("total_lag")
                o.int(totalLag)
            }
            o.key("trend")
            o.string(trend.rawValue)
            if let verdict {
                o.key("verdict")
                o.string(verdict)
            }
        }
    }
}

extension ConsoleState: JSONBytesWritable {
    public func write(to json: inout JSONBytes) {
        json.object { o in
            o.key("cluster")
            cluster.write(to: &o)
            o.key("groups")
            o.array(groups) { $1.write(to: &$0) }
            o.key("topics")
            o.array(topics) { $1.write(to: &$0) }
        }
    }
}

extension ConsoleJSON {
    /// A console value's JSON through its own writer, without `JSONEncoder`.
    public static func write(_ value: some JSONBytesWritable) -> String {
        var json = JSONBytes(capacity: 4096)
        value.write(to: &json)
        return json.text
    }

    /// A list of console values.
    public static func write<T: JSONBytesWritable>(_ values: [T]) -> String {
        var json = JSONBytes(capacity: 4096)
        json.array(values) { $1.write(to: &$0) }
        return json.text
    }
}
