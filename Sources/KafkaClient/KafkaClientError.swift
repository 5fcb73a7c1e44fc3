import KafkaProtocol

/// Everything the client can fail with. `description` is one line naming what failed, suitable for a CLI.
public enum KafkaClientError: Error, Sendable, CustomStringConvertible {
    /// TCP connect failed (refused, unresolvable, or the connect timed out).
    case brokerUnreachable(host: String, port: Int, reason: String)
    /// A broker that Metadata named as a leader, coordinator or controller cannot be reached (or is no longer
    /// live). Retriable: the role moves to another broker and the next Metadata names it.
    case brokerNotAvailable(id: Int32, reason: String)
    /// The connection closed (or failed) while requests were waiting for answers.
    case connectionClosed(host: String, port: Int)
    /// No answer within the request timeout; the connection is closed, as Kafka clients do.
    case timeout(ms: Int, what: String)
    /// The broker answered with a Kafka error code.
    case kafka(code: ErrorCode, message: String?, context: String)
    /// An error code this client does not know by name.
    case unknownErrorCode(Int16, context: String)
    /// The broker's answer could not be decoded.
    case malformedResponse(api: APIKey, reason: String)
    /// The broker supports no version of an API that this client can speak.
    case unsupportedAPI(APIKey, host: String, port: Int)
    /// The topic does not exist (after retries).
    case unknownTopic(String)
    /// A caller-side mistake (bad option value, bad JSON, …).
    case invalidArgument(String)
    /// The client or producer was closed.
    case closed

    public var description: String {
        switch self {
        case .brokerUnreachable(let host, let port, let reason):
            "broker unreachable at \(host):\(port) (\(reason))"
        case .brokerNotAvailable(let id, let reason):
            "broker \(id) not available (\(reason))"
        case .connectionClosed(let host, let port):
            "connection to \(host):\(port) closed"
        case .timeout(let ms, let what):
            "timeout after \(ms) ms waiting for \(what)"
        case .kafka(let code, let message, let context):
            if let message, !message.isEmpty {
                "\(context): \(code.name): \(message)"
            } else {
                "\(context): \(code.name)"
            }
        case .unknownErrorCode(let code, let context):
            "\(context): unknown error code \(code)"
        case .malformedResponse(let api, let reason):
            "malformed \(api) response: \(reason)"
        case .unsupportedAPI(let api, let host, let port):
            "broker \(host):\(port) supports no usable version of \(api)"
        case .unknownTopic(let topic):
            "topic '\(topic)' does not exist"
        case .invalidArgument(let reason):
            reason
        case .closed:
            "client closed"
        }
    }

    /// The Kafka error code, when the broker sent one.
    public var errorCode: ErrorCode? {
        if case .kafka(let code, _, _) = self { return code }
        return nil
    }

    /// True for failures worth retrying after a metadata refresh and a backoff.
    public var isRetriable: Bool {
        switch self {
        case .kafka(let code, _, _): code.isRetriable
        case .connectionClosed, .timeout, .brokerNotAvailable: true
        default: false
        }
    }

    /// Throws `.kafka` for a non-zero code.
    public static func check(_ raw: Int16, message: String? = nil, context: @autoclosure () -> String)
        throws(KafkaClientError)
    {
        guard raw != 0 else { return }
        guard let code = ErrorCode(rawValue: raw) else { throw .unknownErrorCode(raw, context: context()) }
        throw .kafka(code: code, message: message, context: context())
    }
}
