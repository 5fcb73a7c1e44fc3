import CZooKeeper

/// A znode's metadata (ZooKeeper's `Stat`).
public struct ZooKeeperStat: Sendable, Equatable, Hashable {
    /// zxid of the transaction that created the node (Kafka's broker epoch for `/brokers/ids/<id>`).
    public var czxid: Int64
    public var mzxid: Int64
    public var ctime: Int64
    public var mtime: Int64
    /// Data version: the value to pass for conditional `set`/`delete`/`check` (Kafka's "zkVersion").
    public var version: Int32
    public var cversion: Int32
    public var aversion: Int32
    /// Session id owning an ephemeral node; 0 for persistent nodes.
    public var ephemeralOwner: Int64
    public var dataLength: Int32
    public var numChildren: Int32
    public var pzxid: Int64

    public init(
        czxid: Int64 = 0, mzxid: Int64 = 0, ctime: Int64 = 0, mtime: Int64 = 0, version: Int32 = 0,
        cversion: Int32 = 0, aversion: Int32 = 0, ephemeralOwner: Int64 = 0, dataLength: Int32 = 0,
        numChildren: Int32 = 0, pzxid: Int64 = 0
    ) {
        self.czxid = czxid
        self.mzxid = mzxid
        self.ctime = ctime
        self.mtime = mtime
        self.version = version
        self.cversion = cversion
        self.aversion = aversion
        self.ephemeralOwner = ephemeralOwner
        self.dataLength = dataLength
        self.numChildren = numChildren
        self.pzxid = pzxid
    }

    init(_ s: Stat) {
        self.init(
            czxid: s.czxid, mzxid: s.mzxid, ctime: s.ctime, mtime: s.mtime, version: s.version, cversion: s.cversion,
            aversion: s.aversion, ephemeralOwner: s.ephemeralOwner, dataLength: s.dataLength,
            numChildren: s.numChildren, pzxid: s.pzxid)
    }

    init(_ p: UnsafePointer<Stat>?) {
        if let p { self.init(p.pointee) } else { self.init() }
    }
}

/// How `create` makes a node.
public enum CreateMode: Sendable, Equatable {
    case persistent
    case ephemeral
    case persistentSequential
    case ephemeralSequential

    var flags: Int32 {
        switch self {
        case .persistent: return ZOO_PERSISTENT
        case .ephemeral: return ZOO_EPHEMERAL
        case .persistentSequential: return ZOO_PERSISTENT_SEQUENTIAL
        case .ephemeralSequential: return ZOO_EPHEMERAL_SEQUENTIAL
        }
    }
}

/// The value meaning "any version" for conditional operations.
public let anyZkVersion: Int32 = -1

/// One operation of an atomic `multi`.
public enum ZooKeeperOp: Sendable, Equatable {
    /// `data` nil stores a null znode (what Kafka writes for container paths).
    case create(path: String, data: [UInt8]?, mode: CreateMode)
    case delete(path: String, version: Int32)
    case set(path: String, data: [UInt8], version: Int32)
    /// Fails the whole multi unless the node's data version equals `version`.
    case check(path: String, version: Int32)

    public var path: String {
        switch self {
        case .create(let p, _, _), .delete(let p, _), .set(let p, _, _), .check(let p, _): return p
        }
    }
}

/// What one operation of a successful `multi` produced.
public enum ZooKeeperOpResult: Sendable, Equatable {
    /// The created path (with the sequence suffix for sequential modes).
    case created(path: String)
    case deleted
    case set(ZooKeeperStat)
    case checked
}

/// Session state changes, in the order libzookeeper reports them.
public enum SessionEvent: Sendable, Equatable {
    /// Connected (first time or after a reconnect of the same session) with the session id.
    case connected(sessionId: Int64)
    /// Connected to a read-only server.
    case connectedReadOnly(sessionId: Int64)
    /// The connection dropped; the C client is reconnecting. Ephemeral nodes survive if it succeeds in time.
    case disconnected
    /// The server expired the session: ephemeral nodes and watches are gone. Call `reconnect()`.
    case expired
    case authFailed
    /// `close()` finished.
    case closed
}

/// What woke a one-shot watch.
public struct WatchEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case created
        case deleted
        case dataChanged
        case childrenChanged
        /// The server stopped watching (e.g. the watch was removed).
        case notWatching
        /// The session expired before the watch fired; it never will.
        case sessionExpired
        /// The session was closed (or replaced by `reconnect()`) before the watch fired.
        case sessionClosed
    }

    public var kind: Kind
    /// The watched path (relative to the chroot).
    public var path: String

    public init(kind: Kind, path: String) {
        self.kind = kind
        self.path = path
    }
}
