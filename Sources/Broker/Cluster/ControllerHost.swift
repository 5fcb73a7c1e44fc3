import Controller
import Coordination
import KafkaConfig
import Logging
import NIOCore

/// Owns this broker's controller runtime while it holds the election: ClusterMembership starts one per won
/// election and stops it when the election or the session is lost. Handlers that only the controller answers
/// (ElectLeaders, ControlledShutdown) reach the running controller through `runtime`.
final class ControllerHost: Sendable {
    private let current = Shared<ControllerRuntime?>(nil)
    /// The channel of every runtime started here, closed for good at shutdown.
    private let channels = Shared<[ObjectIdentifier: ControllerChannelManager]>([:])
    private let zk: KafkaZkClient
    private let brokerId: Int32
    private let brokerConfig: @Sendable () -> BrokerConfig
    private let group: any EventLoopGroup
    private let logger: Logger
    /// Kafka's `ControllerStats` of this broker, shared by every controller term it holds.
    let stats = ControllerStats()

    init(
        zk: KafkaZkClient, brokerId: Int32, brokerConfig: @escaping @Sendable () -> BrokerConfig,
        group: any EventLoopGroup, logger: Logger
    ) {
        self.zk = zk
        self.brokerId = brokerId
        self.brokerConfig = brokerConfig
        self.group = group
        self.logger = logger
    }

    /// The running controller, or nil when this broker is not the controller.
    var runtime: ControllerRuntime? { current.value }

    /// Starts a controller for `election` (a no-op when one already runs for that epoch; a runtime clears itself
    /// from here when it resigns). `onResign` is told when
    /// the runtime stops on its own (fenced, failover failure, session loss).
    func start(_ election: ControllerElection, onResign: @escaping @Sendable (ControllerResignation) -> Void) async {
        if let running = runtime, running.epoch == election.epoch { return }
        let config = brokerConfig()
        let settings = ControllerSettings(
            brokerId: brokerId, interBrokerListenerName: config.interBrokerListenerName,
            uncleanLeaderElectionEnable: config.uncleanLeaderElectionEnable,
            deleteTopicEnable: config.deleteTopicEnable,
            autoLeaderRebalanceEnable: config.autoLeaderRebalanceEnable,
            leaderImbalanceCheckIntervalSeconds: config.leaderImbalanceCheckIntervalSeconds,
            leaderImbalancePerBrokerPercentage: config.leaderImbalancePerBrokerPercentage)
        let channel = ControllerChannelManager(
            controllerId: brokerId, listener: config.interBrokerListenerName,
            requestTimeoutMs: config.controllerSocketTimeoutMs, group: group, logger: logger)
        let identity = Shared<ObjectIdentifier?>(nil)
        let runtime = ControllerRuntime(
            zk: zk, channel: channel, settings: settings, election: election, logger: logger, stats: stats,
            onResign: { [current, channels] reason in
                let mine = identity.value
                current.withLock { c in
                    if let running = c, ObjectIdentifier(running) == mine { c = nil }
                }
                // The runtime closed its channel when it stopped.
                if let mine { _ = channels.withLock { $0.removeValue(forKey: mine) } }
                onResign(reason)
            })
        identity.withLock { $0 = ObjectIdentifier(runtime) }
        channels.withLock { $0[ObjectIdentifier(runtime)] = channel }
        // Concurrent callers (election watch, resignation retry, session watch) race here: exactly one installs
        // a runtime per epoch; a runtime of an older epoch is replaced and stopped.
        let (installed, previous): (Bool, ControllerRuntime?) = current.withLock { c in
            if let c, c.epoch == election.epoch { return (false, nil) }
            let previous = c
            c = runtime
            return (true, previous)
        }
        if let previous { await stop(previous) }
        if installed {
            await runtime.start()
        } else {
            channels.withLock { $0[ObjectIdentifier(runtime)] = nil }
        }
    }

    /// Stops the running controller, if any, and waits until its connections are closed.
    func stop() async {
        let running = current.withLock { c in
            let r = c
            c = nil
            return r
        }
        if let running { await stop(running) }
    }

    private func stop(_ runtime: ControllerRuntime) async {
        await runtime.stop()
        let channel = channels.withLock { $0.removeValue(forKey: ObjectIdentifier(runtime)) }
        await channel?.shutdown()
    }
}
