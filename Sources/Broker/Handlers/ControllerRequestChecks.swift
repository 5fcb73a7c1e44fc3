import KafkaProtocol

/// The checks every controller-to-broker request passes first (CONTRACT item 5, facts §2.8): a broker epoch
/// (≥ 0) older than this broker's registration → STALE_BROKER_EPOCH; a controller epoch below the highest seen →
/// STALE_CONTROLLER_EPOCH (a newer one is remembered).
enum ControllerRequestChecks {
    static func check(brokerEpoch: Int64, controllerEpoch: Int32, core: BrokerCore) throws(BrokerError) {
        let own = core.brokerEpoch.withLockedValue { $0 }
        if brokerEpoch >= 0 && brokerEpoch < own { throw .staleBrokerEpoch }
        try core.replicas.checkControllerEpoch(controllerEpoch)
    }
}
