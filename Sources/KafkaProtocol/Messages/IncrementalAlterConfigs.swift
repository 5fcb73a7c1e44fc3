/// IncrementalAlterConfigs (key 44), versions 0–1, flexible from 1.
/// `configOperation`: 0 set, 1 delete, 2 append, 3 subtract.
public struct IncrementalAlterConfigsRequest: KafkaRequest, Equatable {
    public typealias Response = IncrementalAlterConfigsResponse
    public static let apiKey = APIKey.incrementalAlterConfigs
    public static let versions: ClosedRange<Int16> = 0...1
    public static let firstFlexibleVersion: Int16? = 1

    public struct AlterableConfig: KafkaMessage, Equatable {
        public var name: String = ""
        public var configOperation: Int8 = 0
        public var value: String? = nil

        public init(name: String = "", configOperation: Int8 = 0, value: String? = nil) {
            self.name = name
            self.configOperation = configOperation
            self.value = value
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = IncrementalAlterConfigsRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            configOperation = try r.readInt8()
            value = try r.readNullableString(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = IncrementalAlterConfigsRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            w.writeInt8(configOperation)
            w.writeNullableString(value, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct AlterConfigsResource: KafkaMessage, Equatable {
        public var resourceType: Int8 = 0
        public var resourceName: String = ""
        public var configs: [AlterableConfig] = []

        public init(resourceType: Int8 = 0, resourceName: String = "", configs: [AlterableConfig] = []) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = IncrementalAlterConfigsRequest.isFlexible(version)
            resourceType = try r.readInt8()
            resourceName = try r.readString(compact: flexible)
            configs = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = IncrementalAlterConfigsRequest.isFlexible(version)
            w.writeInt8(resourceType)
            w.writeString(resourceName, compact: flexible)
            w.writeStructArray(configs, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var resources: [AlterConfigsResource] = []
    public var validateOnly: Bool = false

    public init(resources: [AlterConfigsResource] = [], validateOnly: Bool = false) {
        self.resources = resources
        self.validateOnly = validateOnly
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = Self.isFlexible(version)
        resources = try r.readStructArray(version: version, compact: flexible)
        validateOnly = try r.readBool()
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = Self.isFlexible(version)
        w.writeStructArray(resources, version: version, compact: flexible)
        w.writeBool(validateOnly)
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct IncrementalAlterConfigsResponse: KafkaMessage, Equatable {
    public struct AlterConfigsResourceResponse: KafkaMessage, Equatable {
        public var errorCode: Int16 = 0
        public var errorMessage: String? = nil
        public var resourceType: Int8 = 0
        public var resourceName: String = ""

        public init(errorCode: Int16 = 0, errorMessage: String? = nil, resourceType: Int8 = 0, resourceName: String = "") {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.resourceType = resourceType
            self.resourceName = resourceName
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = IncrementalAlterConfigsRequest.isFlexible(version)
            errorCode = try r.readInt16()
            errorMessage = try r.readNullableString(compact: flexible)
            resourceType = try r.readInt8()
            resourceName = try r.readString(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = IncrementalAlterConfigsRequest.isFlexible(version)
            w.writeInt16(errorCode)
            w.writeNullableString(errorMessage, compact: flexible)
            w.writeInt8(resourceType)
            w.writeString(resourceName, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var responses: [AlterConfigsResourceResponse] = []

    public init(throttleTimeMs: Int32 = 0, responses: [AlterConfigsResourceResponse] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = IncrementalAlterConfigsRequest.isFlexible(version)
        throttleTimeMs = try r.readInt32()
        responses = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = IncrementalAlterConfigsRequest.isFlexible(version)
        w.writeInt32(throttleTimeMs)
        w.writeStructArray(responses, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
