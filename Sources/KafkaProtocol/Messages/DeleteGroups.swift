/// DeleteGroups (key 42), versions 0–2, flexible from 2.
public struct DeleteGroupsRequest: KafkaRequest, Equatable {
    public typealias Response = DeleteGroupsResponse
    public static let apiKey = APIKey.deleteGroups
    public static let versions: ClosedRange<Int16> = 0...2
    public static let firstFlexibleVersion: Int16? = 2

    public var groupsNames: [String] = []

    public init(groupsNames: [String] = []) {
        self.groupsNames = groupsNames
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 2
        groupsNames = try r.readStrings(compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 2
        w.writeStrings(groupsNames, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct DeleteGroupsResponse: KafkaMessage, Equatable {
    public struct DeletableGroupResult: KafkaMessage, Equatable {
        public var groupId: String = ""
        public var errorCode: Int16 = 0

        public init(groupId: String = "", errorCode: Int16 = 0) {
            self.groupId = groupId
            self.errorCode = errorCode
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = version >= 2
            groupId = try r.readString(compact: flexible)
            errorCode = try r.readInt16()
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = version >= 2
            w.writeString(groupId, compact: flexible)
            w.writeInt16(errorCode)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var results: [DeletableGroupResult] = []

    public init(throttleTimeMs: Int32 = 0, results: [DeletableGroupResult] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = version >= 2
        throttleTimeMs = try r.readInt32()
        results = try r.readStructs(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = version >= 2
        w.writeInt32(throttleTimeMs)
        w.writeStructs(results, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

// MARK: - File-local array helpers (kept fileprivate so they cannot collide with shared primitives)

fileprivate extension ProtocolReader {
    mutating func readStructs<T: KafkaMessage>(version: Int16, compact: Bool) throws(ProtocolError) -> [T] {
        try readArray(compact: compact) { (r: inout ProtocolReader) throws(ProtocolError) in
            try T(reading: &r, version: version)
        }
    }

    mutating func readNullableStructs<T: KafkaMessage>(version: Int16, compact: Bool) throws(ProtocolError) -> [T]? {
        try readNullableArray(compact: compact) { (r: inout ProtocolReader) throws(ProtocolError) in
            try T(reading: &r, version: version)
        }
    }

    mutating func readInt32s(compact: Bool) throws(ProtocolError) -> [Int32] {
        try readArray(compact: compact) { (r: inout ProtocolReader) throws(ProtocolError) in try r.readInt32() }
    }

    mutating func readStrings(compact: Bool) throws(ProtocolError) -> [String] {
        try readArray(compact: compact) { (r: inout ProtocolReader) throws(ProtocolError) in
            try r.readString(compact: compact)
        }
    }
}

fileprivate extension ProtocolWriter {
    mutating func writeStructs<T: KafkaMessage>(_ items: [T], version: Int16, compact: Bool) {
        writeArray(items, compact: compact) { w, item in item.write(to: &w, version: version) }
    }

    mutating func writeNullableStructs<T: KafkaMessage>(_ items: [T]?, version: Int16, compact: Bool) {
        writeNullableArray(items, compact: compact) { w, item in item.write(to: &w, version: version) }
    }

    mutating func writeInt32s(_ items: [Int32], compact: Bool) {
        writeArray(items, compact: compact) { w, v in w.writeInt32(v) }
    }

    mutating func writeStrings(_ items: [String], compact: Bool) {
        writeArray(items, compact: compact) { w, s in w.writeString(s, compact: compact) }
    }
}
