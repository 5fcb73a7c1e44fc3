import KafkaProtocol

/// The checks every controller-to-broker request passes first (CONTRACT item 5, facts §2.8): a broker epoch
/// (≥ 0) older than this broker's registration → STALE_BROKER_EPOCH; a controller epoch below the highest seen →
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
            brokerEpoch: brokerEpoch, ownBrokerEpoch: core.brokerEpoch.withLockedValue { $0 },
            controllerEpoch: controllerEpoch, replicas: core.replicas)
    }

    static func check(brokerEpoch: Int64, ownBrokerEpoch: Int64, controllerEpoch: Int32, replicas: ReplicaManager)
        throws(BrokerError)
    {
        if brokerEpoch >= 0 && brokerEpoch < ownBrokerEpoch { throw .staleBrokerEpoch }
        try replicas.checkControllerEpoch(controllerEpoch)
    }
}
