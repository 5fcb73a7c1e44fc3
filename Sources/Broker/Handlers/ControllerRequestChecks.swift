import KafkaProtocol
import Replication

/// The checks every controller-to-broker request passes first (Kafka's `KafkaApis.isBrokerEpochStale` and controller-epoch checks): a broker epoch other
/// than this broker's registration → STALE_BROKER_EPOCH; a controller epoch below the highest seen →
/// STALE_CONTROLLER_EPOCH (a newer one is remembered).
enum ControllerRequestChecks {
    static func check(brokerEpoch: Int64, controllerEpoch: Int32, core: BrokerCore) async throws(BrokerError) {
        // A controller epoch above any this broker has seen is believed only when ZooKeeper's /controller_epoch has
        // reached it (a real new controller writes it before sending anything): a forged or garbled request must
        // not make every later request of the real controller look stale.
        if controllerEpoch > core.replicas.controllerEpoch {
            guard let stored = await core.topics.controllerEpochInZooKeeper(), controllerEpoch <= stored else {
                throw .staleControllerEpoch
            }
        }
        try check(
            brokerEpoch: brokerEpoch, ownBrokerEpoch: core.brokerEpoch.value,
            controllerEpoch: controllerEpoch, replicas: core.replicas)
    }

    static func check(brokerEpoch: Int64, ownBrokerEpoch: Int64, controllerEpoch: Int32, replicas: ReplicaManager)
        throws(BrokerError)
    {
        // Kafka rejects only an older epoch and accepts -1 (controllers before 2.2). Our controller always sends
        // the registration's epoch, so anything else — none, older, or a garbled larger one — is refused once this
        // broker knows its own epoch (-1 only in the moment between registering and learning it).
        if ownBrokerEpoch >= 0 && brokerEpoch != ownBrokerEpoch { throw .staleBrokerEpoch }
        do {
            try replicas.checkControllerEpoch(controllerEpoch)
        } catch {
            throw BrokerError(error)
        }
    }
}
