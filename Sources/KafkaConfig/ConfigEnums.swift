/// `compression.type` of a broker or topic: a codec, or `producer` to keep the producer's choice.
public enum BrokerCompressionType: String, Sendable, CaseIterable {
    case uncompressed
    case zstd
    case lz4
    case snappy
    case gzip
    case producer
}

/// `message.timestamp.type`: keep the producer's timestamps, or stamp batches with the broker clock.
public enum MessageTimestampType: String, Sendable, CaseIterable {
    case createTime = "CreateTime"
    case logAppendTime = "LogAppendTime"
}

/// `cleanup.policy`: delete old segments, compact by key, or both.
public struct CleanupPolicy: OptionSet, Sendable, Hashable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let delete = CleanupPolicy(rawValue: 1)
    public static let compact = CleanupPolicy(rawValue: 2)

    /// From the validated list (`compact`, `delete`); Kafka compares case-insensitively here.
    public init(_ items: [String]) {
        var policy: CleanupPolicy = []
        for item in items {
            switch item.lowercased() {
            case "delete": policy.insert(.delete)
            case "compact": policy.insert(.compact)
            default: break
            }
        }
        self = policy
    }

    public var description: String {
        var names: [String] = []
        if contains(.compact) { names.append("compact") }
        if contains(.delete) { names.append("delete") }
        return names.joined(separator: ",")
    }
}
