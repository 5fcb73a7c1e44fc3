/// AlterConfigs (key 33), versions 0–2, flexible from 2. Replaces a resource's whole dynamic config set.
public struct AlterConfigsRequest: KafkaRequest, Equatable {
    public typealias Response = AlterConfigsResponse
    public static let apiKey = APIKey.alterConfigs
    public static let versions: ClosedRange<Int16> = 0...2
    public static let firstFlexibleVersion: Int16? = 2

    public struct AlterableConfig: KafkaMessage, Equatable {
        public var name: String = ""
        public var value: String? = nil

        public init(name: String = "", value: String? = nil) {
            self.name = name
            self.value = value
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = AlterConfigsRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            value = try r.readNullableString(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = AlterConfigsRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
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
            let flexible = AlterConfigsRequest.isFlexible(version)
            resourceType = try r.readInt8()
            resourceName = try r.readString(compact: flexible)
            configs = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = AlterConfigsRequest.isFlexible(version)
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

public struct AlterConfigsResponse: KafkaMessage, Equatable {
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
            let flexible = AlterConfigsRequest.isFlexible(version)
            errorCode = try r.readInt16()
            errorMessage = try r.readNullableString(compact: flexible)
            resourceType = try r.readInt8()
            resourceName = try r.readString(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = AlterConfigsRequest.isFlexible(version)
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
        let flexible = AlterConfigsRequest.isFlexible(version)
        throttleTimeMs = try r.readInt32()
        responses = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = AlterConfigsRequest.isFlexible(version)
        w.writeInt32(throttleTimeMs)
        w.writeStructArray(responses, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
