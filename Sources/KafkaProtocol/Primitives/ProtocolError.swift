/// A request or response that cannot be decoded. The broker answers with a Kafka error code or closes the connection.
public enum ProtocolError: Error, Sendable, Equatable {
    /// The message ended before a field could be read.
    case truncated(needed: Int, remaining: Int)
    /// A length or count that is negative (but not -1 where null is allowed) or implausibly large.
    case invalidLength(Int)
    /// A string that is not valid UTF-8.
    case invalidUTF8
    /// A varint longer than its type allows.
    case malformedVarint
    /// The API key is not one this module knows.
    case unknownAPIKey(Int16)
    /// The API version is outside what the message definition covers.
    case unsupportedVersion(apiKey: Int16, version: Int16)
    /// A null where the field may not be null, or any other structural rule broken.
    case invalidField(String)
}
