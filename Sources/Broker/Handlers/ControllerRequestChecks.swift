import KafkaProtocol

/// The checks every controller-to-broker request passes first (CONTRACT item 5, facts §2.8): a broker epoch
/// (≥ 0) older than this broker's registration → STALE_BROKER_EPOCH; a controller epoch below the highest seen →
/// STALE_CONTROLLER_EPOCH (a newer one is remembered).
enum ControllerRequestChecks {
    static func check(brokerEpoch: Int64, controllerEpoch: Int32, core: BrokerCore) throws(BrokerError) {
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
