import KafkaProtocol

/// A record that cannot apply to the image: the log and the image disagree, which Kafka's loader treats as a fault.
public enum MetadataApplyError: Error, Sendable, Equatable {
    case unknownTopicId(UUIDValue)
    case duplicateTopic(name: String)
    case unknownBroker(Int32)
    /// A fence/unfence/change record for a registration epoch that is no longer the broker's.
    case staleBrokerEpoch(brokerId: Int32, recordEpoch: Int64, registeredEpoch: Int64)
    case unknownPartition(topicId: UUIDValue, partitionId: Int32)
}

extension MetadataImage {
    /// Applies one record with Kafka's `MetadataDelta.replay` semantics.
    public mutating func apply(_ record: MetadataRecord) throws(MetadataApplyError) {
        switch record {
        case .featureLevel(let r):
            if r.featureLevel == 0 { features[r.name] = nil } else { features[r.name] = r.featureLevel }
        case .registerBroker(let r):
            brokers[r.brokerId] = BrokerRegistration(r)
        case .unregisterBroker(let r):
            guard brokers[r.brokerId] != nil else { throw .unknownBroker(r.brokerId) }
            brokers[r.brokerId] = nil
        case .fenceBroker(let r):
            try changeBroker(r.id, epoch: r.epoch) { $0.fenced = true }
        case .unfenceBroker(let r):
            try changeBroker(r.id, epoch: r.epoch) { $0.fenced = false }
        case .brokerRegistrationChange(let r):
            try changeBroker(r.brokerId, epoch: r.brokerEpoch) { b in
                switch r.fenced {
                case -1: b.fenced = false
                case 1: b.fenced = true
                default: break
                }
                if r.inControlledShutdown == 1 { b.inControlledShutdown = true }
                if !r.logDirs.isEmpty { b.logDirs = r.logDirs }
            }
        case .registerController(let r):
            controllers[r.controllerId] = ControllerRegistration(r)
        case .topic(let r):
            guard topicIds[r.name] == nil else { throw .duplicateTopic(name: r.name) }
            topics[r.topicId] = TopicImage(id: r.topicId, name: r.name)
            topicIds[r.name] = r.topicId
        case .partition(let r):
            guard topics[r.topicId] != nil else { throw .unknownTopicId(r.topicId) }
            topics[r.topicId]!.partitions[r.partitionId] = PartitionImage(r)
        case .partitionChange(let r):
            guard let topic = topics[r.topicId] else { throw .unknownTopicId(r.topicId) }
            guard let current = topic.partitions[r.partitionId] else {
                throw .unknownPartition(topicId: r.topicId, partitionId: r.partitionId)
            }
            topics[r.topicId]!.partitions[r.partitionId] = current.merging(r)
        case .removeTopic(let r):
            guard let topic = topics.removeValue(forKey: r.topicId) else { throw .unknownTopicId(r.topicId) }
            topicIds[topic.name] = nil
            // The topic's dynamic configs go with it (ConfigurationsDelta on RemoveTopicRecord).
            configs[.topic(topic.name)] = nil
        case .config(let r):
            let key = ConfigResourceKey(type: r.resourceType, name: r.resourceName)
            var values = configs[key] ?? [:]
            values[r.name] = r.value
            configs[key] = values.isEmpty ? nil : values
        case .producerIds(let r):
            nextProducerId = r.nextProducerId
            producerIdBlockOwner = ProducerIdBlockOwner(brokerId: r.brokerId, brokerEpoch: r.brokerEpoch)
        case .userScramCredential(let r):
            scramCredentials[r.name, default: [:]][r.mechanism] = ScramCredential(
                salt: r.salt, storedKey: r.storedKey, serverKey: r.serverKey, iterations: r.iterations)
        case .removeUserScramCredential(let r):
            scramCredentials[r.name]?[r.mechanism] = nil
            if scramCredentials[r.name]?.isEmpty == true { scramCredentials[r.name] = nil }
        case .accessControlEntry(let r):
            acls[r.id] = AclEntry(r)
        case .removeAccessControlEntry(let r):
            acls[r.id] = nil
        case .clientQuota(let r):
            let entity = QuotaEntity(r.entity.map { QuotaEntity.Part(type: $0.entityType, name: $0.entityName) })
            var values = quotas[entity] ?? [:]
            values[r.key] = r.remove ? nil : r.value
            quotas[entity] = values.isEmpty ? nil : values
        case .noOp:
            break
        }
    }

    /// Applies records in order.
    public mutating func apply(_ records: some Sequence<MetadataRecord>) throws(MetadataApplyError) {
        for r in records { try apply(r) }
    }

    private mutating func changeBroker(
        _ id: Int32, epoch: Int64, _ change: (inout BrokerRegistration) -> Void
    ) throws(MetadataApplyError) {
        guard var b = brokers[id] else { throw .unknownBroker(id) }
        guard b.epoch == epoch else {
            throw .staleBrokerEpoch(brokerId: id, recordEpoch: epoch, registeredEpoch: b.epoch)
        }
        change(&b)
        brokers[id] = b
    }
}
