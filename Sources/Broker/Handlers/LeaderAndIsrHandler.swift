import KafkaProtocol
import Replication

/// LeaderAndIsr (API 4), sent by the controller (v5): makes each listed local replica leader or follower
/// (`ReplicaManager.becomeLeaderOrFollower`, which also tells the group coordinator about `__consumer_offsets`
/// moves through its leadership-listener port).
struct LeaderAndIsrHandler: APIHandler {
    typealias Request = LeaderAndIsrRequest
    let versions: ClosedRange<Int16> = 0...7
    let core: BrokerCore

    func handle(_ request: LeaderAndIsrRequest, context: RequestContext) async -> LeaderAndIsrResponse? {
        let version = context.apiVersion
        do {
            try await ControllerRequestChecks.check(
                brokerEpoch: request.brokerEpoch, controllerEpoch: request.controllerEpoch, core: core)
        } catch {
            core.logger.warning(
                "[Broker id=\(core.brokerId)] ignoring LeaderAndIsr from controller \(request.controllerId) epoch \(request.controllerEpoch): \(error)"
            )
            return Self.errorResponse(request, version: version, code: ErrorCode(error))
        }
        let topics = core.topics
        let results = await core.replicas.becomeLeaderOrFollower(
            Self.partitionStates(request, version: version), liveLeaders: Self.liveLeaders(request)
        ) { name in
            try await topics.effectiveConfig(for: name)
        }
        for r in results {
            // An epoch this replica already has (a new controller re-announcing every partition) is Kafka's
            // STALE_CONTROLLER_EPOCH answer and routine; a log that cannot be opened leaves the partition offline
            // here (KAFKA_STORAGE_ERROR to the controller) and is an error; anything else is worth a warning.
            guard let error = r.error, error != .staleControllerEpoch else { continue }
            if case .storage(let cause) = error {
                core.logger.error(
                    "[Broker id=\(core.brokerId)] LeaderAndIsr for \(r.topic)-\(r.partition): cannot open the log, the partition is offline on this broker (KAFKA_STORAGE_ERROR): \(cause)"
                )
                continue
            }
            core.logger.warning(
                "[Broker id=\(core.brokerId)] LeaderAndIsr for \(r.topic)-\(r.partition) from controller \(request.controllerId) not applied: \(error)"
            )
        }
        var response = LeaderAndIsrResponse()
        if version >= 5 {
            var order: [UUIDValue] = []
            var byId: [UUIDValue: [LeaderAndIsrResponse.LeaderAndIsrPartitionError]] = [:]
            for r in results {
                if byId[r.topicId] == nil { order.append(r.topicId) }
                byId[r.topicId, default: []].append(
                    .init(partitionIndex: r.partition, errorCode: r.error.map { ErrorCode($0).rawValue } ?? 0))
            }
            response.topics = order.map { .init(topicId: $0, partitionErrors: byId[$0] ?? []) }
        } else {
            response.partitionErrors = results.map {
                .init(
                    topicName: $0.topic, partitionIndex: $0.partition,
                    errorCode: $0.error.map { ErrorCode($0).rawValue } ?? 0)
            }
        }
        return response
    }

    /// The request's partition states in domain terms (v0–1 list them ungrouped, without topic ids).
    static func partitionStates(_ request: LeaderAndIsrRequest, version: Int16) -> [LeaderAndIsrPartition] {
        var states: [(topicId: UUIDValue, state: LeaderAndIsrRequest.LeaderAndIsrPartitionState)] = []
        if version < 2 {
            states = request.ungroupedPartitionStates.map { (.zero, $0) }
        } else {
            for t in request.topicStates {
                for var s in t.partitionStates {
                    s.topicName = t.topicName
                    states.append((t.topicId, s))
                }
            }
        }
        return states.map { topicId, s in
            LeaderAndIsrPartition(
                topic: s.topicName, topicId: topicId, partition: s.partitionIndex,
                state: Partition.LeaderAndIsrState(
                    leader: s.leader, leaderEpoch: s.leaderEpoch, isr: s.isr, replicas: s.replicas,
                    partitionEpoch: s.partitionEpoch, controllerEpoch: s.controllerEpoch))
        }
    }

    /// The leaders' addresses the request carries (the first entry per broker counts; an empty host is unknown).
    static func liveLeaders(_ request: LeaderAndIsrRequest) -> [Int32: FetchSource] {
        let byId = Dictionary(request.liveLeaders.map { ($0.brokerId, $0) }, uniquingKeysWith: { a, _ in a })
        return byId.compactMapValues { live in
            live.hostName.isEmpty
                ? nil : FetchSource(brokerId: live.brokerId, host: live.hostName, port: Int(live.port))
        }
    }

    /// Kafka's `getErrorResponse`: the error at the top and on every partition.
    static func errorResponse(_ request: LeaderAndIsrRequest, version: Int16, code: ErrorCode) -> LeaderAndIsrResponse {
        var response = LeaderAndIsrResponse(errorCode: code.rawValue)
        if version >= 5 {
            response.topics = request.topicStates.map { t in
                .init(
                    topicId: t.topicId,
                    partitionErrors: t.partitionStates.map {
                        .init(partitionIndex: $0.partitionIndex, errorCode: code.rawValue)
                    })
            }
        } else {
            let states =
                version < 2
                ? request.ungroupedPartitionStates
                : request.topicStates.flatMap { t in
                    t.partitionStates.map { s -> LeaderAndIsrRequest.LeaderAndIsrPartitionState in
                        var s = s
                        s.topicName = t.topicName
                        return s
                    }
                }
            response.partitionErrors = states.map {
                .init(topicName: $0.topicName, partitionIndex: $0.partitionIndex, errorCode: code.rawValue)
            }
        }
        return response
    }
}
