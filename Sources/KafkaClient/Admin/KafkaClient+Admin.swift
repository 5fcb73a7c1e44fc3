import KafkaProtocol

extension KafkaClient {
    // MARK: Topics

    /// Creates topics on the controller. Returns each created topic's id (zero when the broker's version does
    /// not report ids). Throws the first per-topic error, e.g. `.kafka(code: .topicAlreadyExists, …)`.
    @discardableResult
    public func createTopics(
        _ topics: [NewTopic], timeoutMs: Int32 = 30_000, validateOnly: Bool = false
    ) async throws -> [String: UUIDValue] {
        var request = CreateTopicsRequest(timeoutMs: timeoutMs, validateOnly: validateOnly)
        request.topics = topics.map { t in
            var c = CreateTopicsRequest.CreatableTopic()
            c.name = t.name
            c.numPartitions = t.replicaAssignment.isEmpty ? t.numPartitions : -1
            c.replicationFactor = t.replicaAssignment.isEmpty ? t.replicationFactor : -1
            c.assignments = t.replicaAssignment.keys.sorted().map {
                .init(partitionIndex: $0, brokerIds: t.replicaAssignment[$0] ?? [])
            }
            c.configs = t.configs.keys.sorted().map { .init(name: $0, value: t.configs[$0]) }
            return c
        }
        let response = try await retrying("CreateTopics") { [request] in
            let r = try await self.sendToController(request)
            if let e = r.topics.first(where: { $0.errorCode == ErrorCode.notController.rawValue }) {
                throw KafkaClientError.kafka(
                    code: .notController, message: e.errorMessage, context: "create topic \(e.name)")
            }
            return r
        }
        var ids: [String: UUIDValue] = [:]
        for t in response.topics {
            try KafkaClientError.check(t.errorCode, message: t.errorMessage, context: "create topic \(t.name)")
            ids[t.name] = t.topicId
        }
        return ids
    }

    /// Deletes topics by name on the controller. Throws the first per-topic error.
    public func deleteTopics(_ names: [String], timeoutMs: Int32 = 30_000) async throws {
        var request = DeleteTopicsRequest(timeoutMs: timeoutMs)
        request.topicNames = names
        request.topics = names.map { .init(name: $0) }
        let response = try await retrying("DeleteTopics") { [request] in
            let r = try await self.sendToController(request)
            if let e = r.responses.first(where: { $0.errorCode == ErrorCode.notController.rawValue }) {
                throw KafkaClientError.kafka(
                    code: .notController, message: e.errorMessage, context: "delete topic \(e.name ?? "")")
            }
            return r
        }
        for t in response.responses {
            try KafkaClientError.check(t.errorCode, message: t.errorMessage, context: "delete topic \(t.name ?? "")")
        }
    }

    /// Topic names, sorted; internal topics (`__consumer_offsets`, …) only when `includeInternal`.
    public func listTopics(includeInternal: Bool = true) async throws -> [String] {
        let md = try await retrying("Metadata") { try await self.metadata(topics: nil) }
        return md.topics.values.filter { includeInternal || !$0.isInternal }.map(\.name).sorted()
    }

    /// Partitions, leaders, replicas and ISRs of the given topics (all topics when nil), sorted by name.
    /// Throws `unknownTopic` for a named topic that does not exist.
    public func describeTopics(_ names: [String]?) async throws -> [TopicMetadata] {
        let md = try await retrying("Metadata") { try await self.metadata(topics: names) }
        var out: [TopicMetadata] = []
        for t in md.topics.values.sorted(by: { $0.name < $1.name }) {
            if t.errorCode == ErrorCode.unknownTopicOrPartition.rawValue { throw KafkaClientError.unknownTopic(t.name) }
            try KafkaClientError.check(t.errorCode, context: "describe topic \(t.name)")
            out.append(t)
        }
        return out
    }

    /// Raises a topic's partition count to `totalCount`, optionally placing the new partitions' replicas.
    public func createPartitions(
        topic: String, totalCount: Int32, assignments: [[Int32]]? = nil, timeoutMs: Int32 = 30_000
    ) async throws {
        var request = CreatePartitionsRequest(timeoutMs: timeoutMs)
        request.topics = [.init(name: topic, count: totalCount, assignments: assignments?.map { .init(brokerIds: $0) })]
        let response = try await retrying("CreatePartitions") { [request] in
            let r = try await self.sendToController(request)
            if let e = r.results.first(where: { $0.errorCode == ErrorCode.notController.rawValue }) {
                throw KafkaClientError.kafka(
                    code: .notController, message: e.errorMessage, context: "create partitions")
            }
            return r
        }
        for r in response.results {
            try KafkaClientError.check(
                r.errorCode, message: r.errorMessage, context: "alter partitions of topic \(r.name)")
        }
    }

    // MARK: Configs

    private func configTarget(_ resource: ConfigResource) -> Int32? {
        guard resource.kind != .topic, let id = Int32(resource.name) else { return nil }
        return id
    }

    /// Describes the configs of one resource; `keys` nil means all. Broker resources go to that broker.
    public func describeConfigs(
        _ resource: ConfigResource, keys: [String]? = nil, includeSynonyms: Bool = true
    ) async throws -> [ConfigEntry] {
        var request = DescribeConfigsRequest()
        request.resources = [
            .init(resourceType: resource.kind.rawValue, resourceName: resource.name, configurationKeys: keys)
        ]
        request.includeSynonyms = includeSynonyms
        let target = configTarget(resource)
        let response = try await retrying("DescribeConfigs") { [request] in
            if let target { return try await self.send(request, toBroker: target) }
            return try await self.sendToAnyBroker(request)
        }
        guard let result = response.results.first else {
            throw KafkaClientError.malformedResponse(api: .describeConfigs, reason: "no result for \(resource)")
        }
        if result.errorCode == ErrorCode.unknownTopicOrPartition.rawValue, resource.kind == .topic {
            throw KafkaClientError.unknownTopic(resource.name)
        }
        try KafkaClientError.check(
            result.errorCode, message: result.errorMessage, context: "describe configs of \(resource)")
        return result.configs.map { c in
            let source = ConfigSource(rawValue: c.configSource) ?? (c.isDefault ? .defaultConfig : .unknown)
            return ConfigEntry(
                name: c.name, value: c.value, source: source, isReadOnly: c.readOnly, isSensitive: c.isSensitive,
                isDefault: c.configSource >= 0 ? source == .defaultConfig : c.isDefault,
                synonyms: c.synonyms.map {
                    .init(name: $0.name, value: $0.value, source: ConfigSource(rawValue: $0.source) ?? .unknown)
                })
        }
    }

    /// Replaces a resource's whole dynamic config (legacy AlterConfigs: keys not given are removed).
    public func alterConfigs(_ resource: ConfigResource, _ configs: [String: String]) async throws {
        var request = AlterConfigsRequest()
        request.resources = [
            .init(
                resourceType: resource.kind.rawValue, resourceName: resource.name,
                configs: configs.keys.sorted().map { .init(name: $0, value: configs[$0]) })
        ]
        let target = configTarget(resource)
        let response = try await retrying("AlterConfigs") { [request] in
            if let target { return try await self.send(request, toBroker: target) }
            return try await self.sendToAnyBroker(request)
        }
        for r in response.responses {
            try KafkaClientError.check(r.errorCode, message: r.errorMessage, context: "alter configs of \(resource)")
        }
    }

    /// Sets, deletes, appends to or subtracts from individual configs (IncrementalAlterConfigs).
    public func incrementalAlterConfigs(_ resource: ConfigResource, _ operations: [ConfigOperation]) async throws {
        var request = IncrementalAlterConfigsRequest()
        request.resources = [
            .init(
                resourceType: resource.kind.rawValue, resourceName: resource.name,
                configs: operations.map { op in
                    switch op {
                    case .set(let k, let v): .init(name: k, configOperation: 0, value: v)
                    case .delete(let k): .init(name: k, configOperation: 1, value: nil)
                    case .append(let k, let v): .init(name: k, configOperation: 2, value: v)
                    case .subtract(let k, let v): .init(name: k, configOperation: 3, value: v)
                    }
                })
        ]
        let target = configTarget(resource)
        let response = try await retrying("IncrementalAlterConfigs") { [request] in
            if let target { return try await self.send(request, toBroker: target) }
            return try await self.sendToAnyBroker(request)
        }
        for r in response.responses {
            if r.errorCode == ErrorCode.unknownTopicOrPartition.rawValue, resource.kind == .topic {
                throw KafkaClientError.unknownTopic(resource.name)
            }
            try KafkaClientError.check(r.errorCode, message: r.errorMessage, context: "alter configs of \(resource)")
        }
    }

    // MARK: Offsets and records

    /// Groups partitions by their current leader, failing retriably when one has none. `useCache` routes from the
    /// last Metadata answers when they cover every partition (the producer's and consumer's hot path; errors
    /// invalidate the view); otherwise metadata is refreshed first.
    func partitionsByLeader(_ partitions: some Collection<TopicPartition>, useCache: Bool = false) async throws
        -> [Int32: [TopicPartition]]
    {
        if useCache, let cached = cachedRoute(partitions) { return cached }
        let topics = Array(Set(partitions.map(\.topic))).sorted()
        let md = try await metadata(topics: topics)
        switch LeaderRoute.resolve(partitions, topics: md.topics, liveBrokers: Set(md.brokers.keys)) {
        case .success(let route): return route
        case .failure(let miss): throw LeaderRoute.error(for: miss)
        }
    }

    /// Finds offsets by time on each partition's leader (earliest, latest, max timestamp, or a timestamp).
    public func listOffsets(_ specs: [TopicPartition: OffsetSpec], isolationLevel: Int8 = 0) async throws
        -> [TopicPartition: ListedOffset]
    {
        try await retrying("ListOffsets") {
            var out: [TopicPartition: ListedOffset] = [:]
            for (leader, tps) in try await self.partitionsByLeader(specs.keys) {
                var request = ListOffsetsRequest(replicaId: -1, isolationLevel: isolationLevel)
                let byTopic = Dictionary(grouping: tps, by: \.topic)
                request.topics = byTopic.keys.sorted().map { topic in
                    var t = ListOffsetsRequest.ListOffsetsTopic(name: topic)
                    t.partitions = byTopic[topic, default: []].map { tp in
                        var p = ListOffsetsRequest.ListOffsetsPartition()
                        p.partitionIndex = tp.partition
                        p.timestamp = specs[tp]?.wireTimestamp ?? -1
                        p.maxNumOffsets = 1
                        return p
                    }
                    return t
                }
                let response = try await self.send(request, toRoleHolder: leader)
                for t in response.topics {
                    for p in t.partitions {
                        let tp = TopicPartition(t.name, p.partitionIndex)
                        try KafkaClientError.check(p.errorCode, context: "list offsets of \(tp)")
                        let offset = p.oldStyleOffsets.first ?? p.offset
                        out[tp] = ListedOffset(offset: offset, timestamp: p.timestamp, leaderEpoch: p.leaderEpoch)
                    }
                }
            }
            return out
        }
    }

    /// Deletes records below the given offsets (-1 means the high watermark). Returns each partition's new low
    /// watermark; throws the first per-partition error.
    public func deleteRecords(_ before: [TopicPartition: Int64], timeoutMs: Int32 = 30_000) async throws
        -> [TopicPartition: Int64]
    {
        try await retrying("DeleteRecords") {
            var out: [TopicPartition: Int64] = [:]
            for (leader, tps) in try await self.partitionsByLeader(before.keys) {
                var request = DeleteRecordsRequest(timeoutMs: timeoutMs)
                let byTopic = Dictionary(grouping: tps, by: \.topic)
                request.topics = byTopic.keys.sorted().map { topic in
                    .init(
                        name: topic,
                        partitions: byTopic[topic, default: []].map {
                            .init(partitionIndex: $0.partition, offset: before[$0] ?? -1)
                        })
                }
                let response = try await self.send(request, toRoleHolder: leader)
                for t in response.topics {
                    for p in t.partitions {
                        let tp = TopicPartition(t.name, p.partitionIndex)
                        try KafkaClientError.check(p.errorCode, context: "delete records of \(tp)")
                        out[tp] = p.lowWatermark
                    }
                }
            }
            return out
        }
    }

    // MARK: Leadership

    /// ElectLeaders on the controller (type 0 = preferred, 1 = unclean); nil partitions means all. Retries while
    /// there is no controller, it is unreachable, or the broker asked answers NOT_CONTROLLER. Returns each
    /// partition's error code and message (ELECTION_NOT_NEEDED when the right leader is already in place).
    public func electLeaders(type: Int8, partitions: [TopicPartition]?, timeoutMs: Int32 = 30_000) async throws
        -> [TopicPartition: (code: Int16, message: String?)]
    {
        var request = ElectLeadersRequest(electionType: type, timeoutMs: timeoutMs)
        if let partitions {
            let byTopic = Dictionary(grouping: partitions, by: \.topic)
            request.topicPartitions = byTopic.keys.sorted().map { t in
                .init(topic: t, partitions: byTopic[t, default: []].map(\.partition).sorted())
            }
        }
        let response = try await retrying("ElectLeaders") { [request] in
            let r = try await self.sendToController(request)
            if r.errorCode == ErrorCode.notController.rawValue {
                throw KafkaClientError.kafka(code: .notController, message: nil, context: "leader election")
            }
            return r
        }
        try KafkaClientError.check(response.errorCode, context: "leader election")
        var out: [TopicPartition: (code: Int16, message: String?)] = [:]
        for t in response.replicaElectionResults {
            for p in t.partitionResult { out[TopicPartition(t.topic, p.partitionId)] = (p.errorCode, p.errorMessage) }
        }
        return out
    }

    // MARK: Cluster

    /// Each live broker's supported API versions, sorted by broker id.
    public func apiVersions() async throws -> [BrokerApiVersions] {
        let md = try await retrying("Metadata") { try await self.metadata(topics: []) }
        var out: [BrokerApiVersions] = []
        for node in md.brokers.values.sorted(by: { $0.id < $1.id }) {
            let conn = try await connection(to: node.address)
            out.append(BrokerApiVersions(broker: node, versions: conn.brokerVersions))
        }
        return out
    }

    /// Cluster id, controller and brokers (via Metadata, which every broker answers).
    public func describeCluster() async throws -> ClusterMetadata {
        try await retrying("Metadata") { try await self.metadata(topics: []) }
    }
}
