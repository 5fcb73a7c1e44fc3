// Hand-written beside the generated Generated/ConsumerProtocol.swift.

// The consumer protocol ("consumer" protocol type) payloads carried as opaque bytes inside JoinGroup metadata,
// SyncGroup assignments and DescribeGroups members. The broker never needs them to run a group; they are decoded
// to display groups (consumer-groups --describe) and by a Swift consumer.
//
// Wire form: an int16 version, then the body at that version (never flexible). A version above 3 is read with
// the v3 layout and any trailing bytes are ignored, which is how newer clients stay readable by older ones.

extension ConsumerProtocolSubscription {
    /// Decodes version-prefixed bytes. Returns the version found on the wire (which may exceed 3).
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> (version: Int16, value: Self) {
        try decodeVersionPrefixed(bytes, versions: versions, what: "subscription")
    }

    /// The version-prefixed bytes at `version` (0–3).
    public func encoded(version: Int16 = 3) -> [UInt8] { encodeVersionPrefixed(self, version: version) }
}

extension ConsumerProtocolAssignment {
    /// Decodes version-prefixed bytes. Zero bytes mean "no assignment yet" (what a coordinator hands out before
    /// the leader has synced) and decode as an empty v0 assignment.
    public static func decode(_ bytes: [UInt8]) throws(ProtocolError) -> (version: Int16, value: Self) {
        if bytes.isEmpty { return (0, Self()) }
        return try decodeVersionPrefixed(bytes, versions: versions, what: "assignment")
    }

    /// The version-prefixed bytes at `version` (0–3).
    public func encoded(version: Int16 = 3) -> [UInt8] { encodeVersionPrefixed(self, version: version) }
}

private func decodeVersionPrefixed<T: KafkaMessage>(
    _ bytes: [UInt8], versions: ClosedRange<Int16>, what: String
) throws(ProtocolError) -> (version: Int16, value: T) {
    var r = ProtocolReader(bytes)
    let version = try r.readInt16()
    guard version >= 0 else { throw .invalidField("consumer protocol \(what) version \(version)") }
    return (version, try T(reading: &r, version: min(version, versions.upperBound)))
}

private func encodeVersionPrefixed<T: KafkaMessage>(_ value: T, version: Int16) -> [UInt8] {
    var w = ProtocolWriter()
    w.writeInt16(version)
    value.write(to: &w, version: version)
    return w.bytes
}
