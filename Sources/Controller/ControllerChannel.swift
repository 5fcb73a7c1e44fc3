import KafkaProtocol

/// A request the controller sends to a broker (Kafka's inter-broker versions: LeaderAndIsr v5, UpdateMetadata v7,
/// StopReplica v3).
public enum ControllerRequest: Sendable, Equatable {
    case leaderAndIsr(LeaderAndIsrRequest)
    case updateMetadata(UpdateMetadataRequest)
    case stopReplica(StopReplicaRequest)

    public static let leaderAndIsrVersion: Int16 = 5
    public static let updateMetadataVersion: Int16 = 7
    public static let stopReplicaVersion: Int16 = 3

    /// The wire version the controller uses for this request.
    public var version: Int16 {
        switch self {
        case .leaderAndIsr: Self.leaderAndIsrVersion
        case .updateMetadata: Self.updateMetadataVersion
        case .stopReplica: Self.stopReplicaVersion
        }
    }
}

/// A broker's answer to a `ControllerRequest`.
public enum ControllerResponse: Sendable, Equatable {
    case leaderAndIsr(LeaderAndIsrResponse)
    case updateMetadata(UpdateMetadataResponse)
    case stopReplica(StopReplicaResponse)
}

/// Delivers controller requests to brokers (Kafka's `ControllerChannelManager`). The broker implements it with
/// one connection and one ordered queue per target broker (the controller itself included); tests use a
/// recording fake. The controller module never opens sockets.
public protocol ControllerChannel: Sendable {
    /// Starts a queue for a broker that registered (or re-registered, with a new epoch).
    func addBroker(_ broker: ControllerBroker)
    /// Drops a broker's queue when it leaves; its pending requests complete with nil.
    func removeBroker(_ id: Int32)
    /// Queues `request` for `broker`. Requests to one broker are delivered in the order they were queued,
    /// retried while the broker stays registered. `completion` gets the response, or nil when the broker left
    /// (or the channel was closed) before answering. Never blocks.
    func send(
        _ request: ControllerRequest, to broker: Int32,
        completion: (@Sendable (ControllerResponse?) -> Void)?)
    /// Drops every queue (the controller resigned).
    func close()
}
