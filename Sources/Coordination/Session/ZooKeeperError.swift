/// A libzookeeper result code as a Swift error. `init(code:)` is the one place C return codes are translated.
public enum ZooKeeperError: Error, Sendable, Equatable, CustomStringConvertible {
    case noNode
    case nodeExists
    case badVersion
    case notEmpty
    case noChildrenForEphemerals
    case connectionLoss
    case sessionExpired
    case operationTimeout
    case closing
    case invalidState
    case notConnected(String)
    case other(Int32)

    init(code: Int32) {
        switch code {
        case -101: self = .noNode
        case -110: self = .nodeExists
        case -103: self = .badVersion
        case -111: self = .notEmpty
        case -108: self = .noChildrenForEphemerals
        case -4: self = .connectionLoss
        case -112: self = .sessionExpired
        case -7: self = .operationTimeout
        case -116: self = .closing
        case -9: self = .invalidState
        default: self = .other(code)
        }
    }

    public var description: String {
        switch self {
        case .noNode: "NoNode"
        case .nodeExists: "NodeExists"
        case .badVersion: "BadVersion"
        case .notEmpty: "NotEmpty"
        case .noChildrenForEphemerals: "NoChildrenForEphemerals"
        case .connectionLoss: "ConnectionLoss"
        case .sessionExpired: "SessionExpired"
        case .operationTimeout: "OperationTimeout"
        case .closing: "Closing"
        case .invalidState: "InvalidState"
        case .notConnected(let s): "not connected to ZooKeeper at \(s)"
        case .other(let c): "ZooKeeper error \(c)"
        }
    }
}
