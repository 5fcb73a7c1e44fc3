import Authorization
import KafkaProtocol

/// Metadata: brokers, controller, cluster id, topics with partition leadership.
/// v0: an empty topic list means all topics; v1+: null means all, empty means none (brokers only).
struct MetadataHandler: APIHandler {
    typealias Request = MetadataRequest
    let versions: ClosedRange<Int16> = 0...12
    let core: BrokerCore

    func handle(_ request: MetadataRequest, context: RequestContext) async -> MetadataResponse? {
        let version = context.apiVersion
        var wanted: [String]?
        if let topics = request.topics, !(version == 0 && topics.isEmpty) {
            let byId = core.metadata.snapshot.topicsById
            wanted = topics.compactMap { t in
                if let name = t.name { return name }
                return byId[t.topicId]
            }
        }
        // Auto-creation: v0–v3 always ask; v4+ carry the client's wish. An internal topic is created the way its
        // coordinator would (partitions, replication factor, compaction), never as an ordinary topic.
        let allowAutoCreate = version < 4 || request.allowAutoTopicCreation
        var autoCreated = Set<String>()
        var internalStates: [String: InternalTopicState] = [:]
        // Kafka's checks: topics named explicitly need Topic Describe (else TOPIC_AUTHORIZATION_FAILED); a listing
        // of all topics silently leaves out those the principal cannot describe; auto-creation needs Cluster Create,
        // else Topic Create per topic (else TOPIC_AUTHORIZATION_FAILED).
        let describable = wanted.map { context.authorized(.describe, .topic, $0) }
        var createRefused = Set<String>()
        if let wanted, allowAutoCreate, core.settings.autoCreateTopicsEnable {
            let snapshot = core.metadata.snapshot
            var missing = wanted.filter {
                snapshot.topics[$0] == nil && TopicNaming.isValid($0) && describable?.contains($0) != false
            }
            if !missing.isEmpty && !context.authorize(.create, .cluster, Resource.clusterName, logIfDenied: false) {
                let creatable = context.authorized(.create, .topic, missing)
                createRefused = Set(missing).subtracting(creatable)
                missing = missing.filter { creatable.contains($0) }
            }
            var ordinary: [String] = []
            for name in missing {
                if let topic = InternalTopic(name: name) {
                    internalStates[name] = await core.topics.ensureInternal(topic)
                } else {
                    ordinary.append(name)
                }
            }
            if !ordinary.isEmpty {
                await core.topics.autoCreate(ordinary)
                autoCreated = Set(ordinary)
            }
        }

        let snapshot = core.metadata.snapshot
        var response = MetadataResponse()
        let listener = context.client.listenerName
        response.brokers = snapshot.brokers.values.sorted { $0.id < $1.id }.compactMap { b in
            b.address(on: listener).map {
                MetadataResponse.MetadataResponseBroker(nodeId: b.id, host: $0.host, port: $0.port, rack: b.rack)
            }
        }
        response.clusterId = snapshot.clusterId
        response.controllerId = snapshot.controllerId
        let allTopics = snapshot.topics.keys.sorted()
        let names =
            wanted
            ?? (context.authority == nil
                ? allTopics : allTopics.filter { context.authorize(.describe, .topic, $0, logIfDenied: false) })
        var seen = Set<String>()
        for name in names where seen.insert(name).inserted {
            if describable?.contains(name) == false || createRefused.contains(name) {
                response.topics.append(
                    .init(
                        errorCode: ErrorCode.topicAuthorizationFailed.rawValue, name: name, topicId: .zero,
                        isInternal: InternalTopic(name: name) != nil, partitions: []))
                continue
            }
            guard let topic = snapshot.topics[name] else {
                // A topic just asked for is not in the controller's metadata yet: clients retry (Kafka's answer).
                // An internal topic short of live brokers is INVALID_REPLICATION_FACTOR, as Kafka answers.
                let code: ErrorCode
                switch internalStates[name] {
                case .notEnoughBrokers: code = .invalidReplicationFactor
                case .ready, .pending, .failed: code = .leaderNotAvailable
                case nil:
                    code =
                        autoCreated.contains(name)
                        ? .leaderNotAvailable
                        : (TopicNaming.isValid(name) ? .unknownTopicOrPartition : .invalidTopicException)
                }
                response.topics.append(
                    .init(
                        errorCode: code.rawValue, name: name, topicId: .zero,
                        isInternal: InternalTopic(name: name) != nil,
                        partitions: []))
                continue
            }
            let partitions = topic.partitions.map { p -> MetadataResponse.MetadataResponsePartition in
                let live = p.replicas.filter { snapshot.brokers[$0] != nil && !p.offlineReplicas.contains($0) }
                let offline = p.replicas.filter { snapshot.brokers[$0] == nil || p.offlineReplicas.contains($0) }
                let leaderAlive = p.leader >= 0 && snapshot.brokers[p.leader] != nil
                return .init(
                    errorCode: leaderAlive ? 0 : ErrorCode.leaderNotAvailable.rawValue,
                    partitionIndex: p.partition,
                    leaderId: leaderAlive ? p.leader : -1,
                    leaderEpoch: p.leaderEpoch,
                    replicaNodes: p.replicas,
                    // As Kafka's cache answers: the ISR as the controller sent it (v0 lists only live brokers).
                    isrNodes: version == 0 ? p.isr.filter { live.contains($0) } : p.isr,
                    offlineReplicas: offline)
            }
            var described = MetadataResponse.MetadataResponseTopic(
                errorCode: 0, name: name, topicId: topic.topicId, isInternal: topic.isInternal,
                partitions: partitions)
            if version >= 8 && request.includeTopicAuthorizedOperations {
                described.topicAuthorizedOperations = context.authorizedOperations(.topic, name)
            }
            response.topics.append(described)
        }
        if (8...10).contains(version) && request.includeClusterAuthorizedOperations {
            response.clusterAuthorizedOperations = context.authorizedOperations(.cluster, Resource.clusterName)
        }
        return response
    }
}
