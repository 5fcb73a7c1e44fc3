import CZooKeeper

/// A ZooKeeper failure. Every libzookeeper return code becomes one of these in exactly one place,
/// `ZooKeeperError.init?(code:)`.
public enum ZooKeeperError: Error, Sendable, Equatable, Hashable {
    // Server answers about the data.
    case noNode
    case nodeExists
    case badVersion
    case notEmpty
    case noChildrenForEphemerals
    case noAuth
    case invalidACL
    case authFailed
    case ephemeralOnLocalSession
    case noWatcher
    case notReadOnly
    case reconfigDisabled
    case sessionClosedRequiresSASLAuth
    case throttled
    // Session and connection state.
    /// The connection dropped while the request was in flight; its outcome is unknown. The session may survive.
    case connectionLoss
    /// The server expired the session: its ephemeral nodes and watches are gone; `reconnect()` to go on.
    case sessionExpired
    case sessionMoved
    case operationTimeout
    /// The handle is expired, failed authentication, or was closed.
    case invalidState
    /// The session is being closed.
    case closing
    // Client-side and internal failures.
    case badArguments
    case marshallingError
    case unimplemented
    case runtimeInconsistency
    case dataInconsistency
    case systemError
    case newConfigNoQuorum
    case reconfigInProgress
    case sslConnectionError
    case apiError
    case invalidCallback
    /// The first connection was not established within the configured timeout.
    case connectTimeout
    /// `zookeeper_init` refused the connect string (or could not allocate); `errno` as reported.
    case initFailed(errno: Int32)
    /// A multi failed: `index` is the first operation the server rejected and `cause` why. No operation was applied.
    indirect case multiFailed(index: Int, cause: ZooKeeperError)
    /// A code this client does not know.
    case unknown(Int32)

    /// Maps a libzookeeper return code; nil for `ZOK`.
    public init?(code: Int32) {
        switch code {
        case ZOK.rawValue: return nil
        case ZNONODE.rawValue: self = .noNode
        case ZNODEEXISTS.rawValue: self = .nodeExists
        case ZBADVERSION.rawValue: self = .badVersion
        case ZNOTEMPTY.rawValue: self = .notEmpty
        case ZNOCHILDRENFOREPHEMERALS.rawValue: self = .noChildrenForEphemerals
        case ZNOAUTH.rawValue: self = .noAuth
        case ZINVALIDACL.rawValue: self = .invalidACL
        case ZAUTHFAILED.rawValue: self = .authFailed
        case ZEPHEMERALONLOCALSESSION.rawValue: self = .ephemeralOnLocalSession
        case ZNOWATCHER.rawValue: self = .noWatcher
        case ZNOTREADONLY.rawValue: self = .notReadOnly
        case ZRECONFIGDISABLED.rawValue: self = .reconfigDisabled
        case ZSESSIONCLOSEDREQUIRESASLAUTH.rawValue: self = .sessionClosedRequiresSASLAuth
        case ZTHROTTLEDOP.rawValue: self = .throttled
        case ZCONNECTIONLOSS.rawValue: self = .connectionLoss
        case ZSESSIONEXPIRED.rawValue: self = .sessionExpired
        case ZSESSIONMOVED.rawValue: self = .sessionMoved
        case ZOPERATIONTIMEOUT.rawValue: self = .operationTimeout
        case ZINVALIDSTATE.rawValue: self = .invalidState
        case ZCLOSING.rawValue: self = .closing
        case ZBADARGUMENTS.rawValue: self = .badArguments
        case ZMARSHALLINGERROR.rawValue: self = .marshallingError
        case ZUNIMPLEMENTED.rawValue: self = .unimplemented
        case ZRUNTIMEINCONSISTENCY.rawValue: self = .runtimeInconsistency
        case ZDATAINCONSISTENCY.rawValue: self = .dataInconsistency
        case ZSYSTEMERROR.rawValue: self = .systemError
        case ZNEWCONFIGNOQUORUM.rawValue: self = .newConfigNoQuorum
        case ZRECONFIGINPROGRESS.rawValue: self = .reconfigInProgress
        case ZSSLCONNECTIONERROR.rawValue: self = .sslConnectionError
        case ZAPIERROR.rawValue: self = .apiError
        case ZINVALIDCALLBACK.rawValue: self = .invalidCallback
        default: self = .unknown(code)
        }
    }

    /// Throws the error for a non-OK code.
    static func check(_ code: Int32) throws(ZooKeeperError) {
        if let error = ZooKeeperError(code: code) { throw error }
    }

    /// True for failures after which the same request may succeed on a healthy session (connection blips).
    public var isRetriable: Bool {
        switch self {
        case .connectionLoss, .operationTimeout, .throttled: return true
        default: return false
        }
    }
}
