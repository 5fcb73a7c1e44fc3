/// DescribeConfigs (key 32), versions 0–4, flexible from 4. Resource types: 2 topic, 4 broker, 8 broker logger.
public struct DescribeConfigsRequest: KafkaRequest, Equatable {
    public typealias Response = DescribeConfigsResponse
    public static let apiKey = APIKey.describeConfigs
    public static let versions: ClosedRange<Int16> = 0...4
    public static let firstFlexibleVersion: Int16? = 4

    public struct DescribeConfigsResource: KafkaMessage, Equatable {
        public var resourceType: Int8 = 0
        public var resourceName: String = ""
        /// Null means all configuration keys.
        public var configurationKeys: [String]? = nil

        public init(resourceType: Int8 = 0, resourceName: String = "", configurationKeys: [String]? = nil) {
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configurationKeys = configurationKeys
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = DescribeConfigsRequest.isFlexible(version)
            resourceType = try r.readInt8()
            resourceName = try r.readString(compact: flexible)
            configurationKeys = try r.readNullableStringArray(compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = DescribeConfigsRequest.isFlexible(version)
            w.writeInt8(resourceType)
            w.writeString(resourceName, compact: flexible)
            w.writeNullableStringArray(configurationKeys, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var resources: [DescribeConfigsResource] = []
    /// v1+.
    public var includeSynonyms: Bool = false
    /// v3+.
    public var includeDocumentation: Bool = false

    public init(
        resources: [DescribeConfigsResource] = [], includeSynonyms: Bool = false, includeDocumentation: Bool = false
    ) {
        self.resources = resources
        self.includeSynonyms = includeSynonyms
        self.includeDocumentation = includeDocumentation
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = Self.isFlexible(version)
        resources = try r.readStructArray(version: version, compact: flexible)
        if version >= 1 { includeSynonyms = try r.readBool() }
        if version >= 3 { includeDocumentation = try r.readBool() }
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = Self.isFlexible(version)
        w.writeStructArray(resources, version: version, compact: flexible)
        if version >= 1 { w.writeBool(includeSynonyms) }
        if version >= 3 { w.writeBool(includeDocumentation) }
        if flexible { w.writeEmptyTaggedFields() }
    }
}

public struct DescribeConfigsResponse: KafkaMessage, Equatable {
    /// v1+.
    public struct DescribeConfigsSynonym: KafkaMessage, Equatable {
        public var name: String = ""
        public var value: String? = nil
        public var source: Int8 = 0

        public init(name: String = "", value: String? = nil, source: Int8 = 0) {
            self.name = name
            self.value = value
            self.source = source
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = DescribeConfigsRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            value = try r.readNullableString(compact: flexible)
            source = try r.readInt8()
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = DescribeConfigsRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            w.writeNullableString(value, compact: flexible)
            w.writeInt8(source)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct DescribeConfigsResourceResult: KafkaMessage, Equatable {
        public var name: String = ""
        public var value: String? = nil
        public var readOnly: Bool = false
        /// v0 only.
        public var isDefault: Bool = false
        /// v1+.
        public var configSource: Int8 = -1
        public var isSensitive: Bool = false
        /// v1+.
        public var synonyms: [DescribeConfigsSynonym] = []
        /// v3+.
        public var configType: Int8 = 0
        /// v3+.
        public var documentation: String? = nil

        public init(
            name: String = "", value: String? = nil, readOnly: Bool = false, isDefault: Bool = false,
            configSource: Int8 = -1, isSensitive: Bool = false, synonyms: [DescribeConfigsSynonym] = [],
            configType: Int8 = 0, documentation: String? = nil
        ) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.isDefault = isDefault
            self.configSource = configSource
            self.isSensitive = isSensitive
            self.synonyms = synonyms
            self.configType = configType
            self.documentation = documentation
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = DescribeConfigsRequest.isFlexible(version)
            name = try r.readString(compact: flexible)
            value = try r.readNullableString(compact: flexible)
            readOnly = try r.readBool()
            if version == 0 { isDefault = try r.readBool() }
            if version >= 1 { configSource = try r.readInt8() }
            isSensitive = try r.readBool()
            if version >= 1 { synonyms = try r.readStructArray(version: version, compact: flexible) }
            if version >= 3 {
                configType = try r.readInt8()
                documentation = try r.readNullableString(compact: flexible)
            }
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = DescribeConfigsRequest.isFlexible(version)
            w.writeString(name, compact: flexible)
            w.writeNullableString(value, compact: flexible)
            w.writeBool(readOnly)
            if version == 0 { w.writeBool(isDefault) }
            if version >= 1 { w.writeInt8(configSource) }
            w.writeBool(isSensitive)
            if version >= 1 { w.writeStructArray(synonyms, version: version, compact: flexible) }
            if version >= 3 {
                w.writeInt8(configType)
                w.writeNullableString(documentation, compact: flexible)
            }
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public struct DescribeConfigsResult: KafkaMessage, Equatable {
        public var errorCode: Int16 = 0
        public var errorMessage: String? = nil
        public var resourceType: Int8 = 0
        public var resourceName: String = ""
        public var configs: [DescribeConfigsResourceResult] = []

        public init(
            errorCode: Int16 = 0, errorMessage: String? = nil, resourceType: Int8 = 0, resourceName: String = "",
            configs: [DescribeConfigsResourceResult] = []
        ) {
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.resourceType = resourceType
            self.resourceName = resourceName
            self.configs = configs
        }

        public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
            let flexible = DescribeConfigsRequest.isFlexible(version)
            errorCode = try r.readInt16()
            errorMessage = try r.readNullableString(compact: flexible)
            resourceType = try r.readInt8()
            resourceName = try r.readString(compact: flexible)
            configs = try r.readStructArray(version: version, compact: flexible)
            if flexible { try r.readTaggedFields() }
        }

        public func write(to w: inout ProtocolWriter, version: Int16) {
            let flexible = DescribeConfigsRequest.isFlexible(version)
            w.writeInt16(errorCode)
            w.writeNullableString(errorMessage, compact: flexible)
            w.writeInt8(resourceType)
            w.writeString(resourceName, compact: flexible)
            w.writeStructArray(configs, version: version, compact: flexible)
            if flexible { w.writeEmptyTaggedFields() }
        }
    }

    public var throttleTimeMs: Int32 = 0
    public var results: [DescribeConfigsResult] = []

    public init(throttleTimeMs: Int32 = 0, results: [DescribeConfigsResult] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(reading r: inout ProtocolReader, version: Int16) throws(ProtocolError) {
        let flexible = DescribeConfigsRequest.isFlexible(version)
        throttleTimeMs = try r.readInt32()
        results = try r.readStructArray(version: version, compact: flexible)
        if flexible { try r.readTaggedFields() }
    }

    public func write(to w: inout ProtocolWriter, version: Int16) {
        let flexible = DescribeConfigsRequest.isFlexible(version)
        w.writeInt32(throttleTimeMs)
        w.writeStructArray(results, version: version, compact: flexible)
        if flexible { w.writeEmptyTaggedFields() }
    }
}
