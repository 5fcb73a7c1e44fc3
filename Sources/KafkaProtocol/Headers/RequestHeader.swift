/// Request header v0–v2. `client_id` is always an int16-length nullable string, even in v2.
public struct RequestHeader: Sendable, Equatable {
    public var apiKey: Int16
    public var apiVersion: Int16
    public var correlationId: Int32
    public var clientId: String?

    public init(apiKey: Int16, apiVersion: Int16, correlationId: Int32, clientId: String?) {
        self.apiKey = apiKey
        self.apiVersion = apiVersion
        self.correlationId = correlationId
        self.clientId = clientId
    }

    /// Reads key, version and correlation id only: enough to answer even when the rest is unreadable.
    public static func peek(_ reader: inout ProtocolReader) throws(ProtocolError) -> (Int16, Int16, Int32) {
        (try reader.readInt16(), try reader.readInt16(), try reader.readInt32())
    }

    /// Reads a full header of the given version (1 or 2; 0 has no client id).
    public init(reading reader: inout ProtocolReader, headerVersion: Int16) throws(ProtocolError) {
        apiKey = try reader.readInt16()
        apiVersion = try reader.readInt16()
        correlationId = try reader.readInt32()
        clientId = headerVersion >= 1 ? try reader.readNullableString() : nil
        if headerVersion >= 2 { try reader.readTaggedFields() }
    }

    public func write(to writer: inout ProtocolWriter, headerVersion: Int16) {
        writer.writeInt16(apiKey)
        writer.writeInt16(apiVersion)
        writer.writeInt32(correlationId)
        if headerVersion >= 1 { writer.writeNullableString(clientId) }
        if headerVersion >= 2 { writer.writeEmptyTaggedFields() }
    }
}

/// Response header v0 (correlation id) and v1 (plus an empty tagged-field section).
public struct ResponseHeader: Sendable, Equatable {
    public var correlationId: Int32

    public init(correlationId: Int32) { self.correlationId = correlationId }

    public init(reading reader: inout ProtocolReader, headerVersion: Int16) throws(ProtocolError) {
        correlationId = try reader.readInt32()
        if headerVersion >= 1 { try reader.readTaggedFields() }
    }

    public func write(to writer: inout ProtocolWriter, headerVersion: Int16) {
        writer.writeInt32(correlationId)
        if headerVersion >= 1 { writer.writeEmptyTaggedFields() }
    }
}
