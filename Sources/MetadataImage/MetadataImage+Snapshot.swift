import KafkaProtocol

extension MetadataImage {
    /// The image as a snapshot's record list, in the order Kafka's `MetadataImage.write` uses (features first, so
    /// a reader knows `metadata.version` before anything else; topics before their partitions). Applying these
    /// records to an empty image gives this image back.
    public var snapshotRecords: [MetadataRecord] {
        var out: [MetadataRecord] = []
        for (name, level) in features.sorted(by: { $0.key < $1.key }) {
            out.append(.featureLevel(FeatureLevelRecord(name: name, featureLevel: level)))
        }
        for (_, b) in brokers.sorted(by: { $0.key < $1.key }) { out.append(.registerBroker(b.record)) }
        for (_, c) in controllers.sorted(by: { $0.key < $1.key }) { out.append(.registerController(c.record)) }
        for topic in topics.values.sorted(by: { $0.name < $1.name }) {
            out.append(.topic(MetadataTopicRecord(name: topic.name, topicId: topic.id)))
            for (pid, p) in topic.partitions.sorted(by: { $0.key < $1.key }) {
                out.append(.partition(p.record(topicId: topic.id, partitionId: pid)))
            }
        }
        for (key, values) in configs.sorted(by: { $0.key < $1.key }) {
            for (name, value) in values.sorted(by: { $0.key < $1.key }) {
                out.append(
                    .config(ConfigRecord(resourceType: key.type, resourceName: key.name, name: name, value: value)))
            }
        }
        if let owner = producerIdBlockOwner {
            out.append(
                .producerIds(
                    ProducerIdsRecord(
                        brokerId: owner.brokerId, brokerEpoch: owner.brokerEpoch, nextProducerId: nextProducerId)))
        }
        for (user, byMechanism) in scramCredentials.sorted(by: { $0.key < $1.key }) {
            for (mechanism, c) in byMechanism.sorted(by: { $0.key < $1.key }) {
                out.append(
                    .userScramCredential(
                        UserScramCredentialRecord(
                            name: user, mechanism: mechanism, salt: c.salt, storedKey: c.storedKey,
                            serverKey: c.serverKey, iterations: c.iterations)))
            }
        }
        for (id, acl) in acls.sorted(by: { $0.key.description < $1.key.description }) {
            out.append(.accessControlEntry(acl.record(id: id)))
        }
        for (entity, values) in quotas.sorted(by: { $0.key < $1.key }) {
            for (key, value) in values.sorted(by: { $0.key < $1.key }) {
                out.append(
                    .clientQuota(
                        ClientQuotaRecord(
                            entity: entity.parts.map { .init(entityType: $0.type, entityName: $0.name) }, key: key,
                            value: value, remove: false)))
            }
        }
        return out
    }

    /// The image a snapshot's records describe.
    public init(snapshot records: some Sequence<MetadataRecord>) throws(MetadataApplyError) {
        self.init()
        try apply(records)
    }
}
