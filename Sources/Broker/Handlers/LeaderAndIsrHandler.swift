import KafkaProtocol

/// LeaderAndIsr (API 4), sent by the controller (v5): makes each listed local replica leader or follower
/// (`ReplicaManager.becomeLeaderOrFollower`), then tells the group coordinator about `__consumer_offsets` moves.
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
        let replicas = core.replicas
        let groups = core.groups
        let outcome = await replicas.stateChangeLock.withLock { () async -> ReplicaManager.LeaderAndIsrOutcome in
            let outcome = await replicas.becomeLeaderOrFollower(request, version: version) { name in
                try await topics.effectiveConfig(for: name)
            }
            for change in outcome.offsetsPartitionChanges {
                await groups.partitionLeadershipChanged(
                    partition: change.partition, isLeader: change.isLeader, leaderEpoch: change.leaderEpoch)
            }
            return outcome
        }
        for r in outcome.results {
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
            for r in outcome.results {
                if byId[r.topicId] == nil { order.append(r.topicId) }
                byId[r.topicId, default: []].append(
                    .init(partitionIndex: r.partition, errorCode: r.error.map { ErrorCode($0).rawValue } ?? 0))
            }
            response.topics = order.map { .init(topicId: $0, partitionErrors: byId[$0] ?? []) }
        } else {
            response.partitionErrors = outcome.results.map {
                .init(topicName: $0.topic, partitionIndex: $0.partition, errorCode: $0.error.map { ErrorCode($0).rawValue } ?? 0)
            }
        }
        return response
    }

    /// Kafka's `getErrorResponse`: the error at the top and on every partition.
    static func errorResponse(_ request: LeaderAndIsrRequest, version: Int16, code: ErrorCode) -> LeaderAndIsrResponse {
        var response = LeaderAndIsrResponse(errorCode: code.rawValue)
        if version >= 5 {
            response.topics = request.topicStates.map { t in
                .init(
                    topicId: t.topicId,
                    partitionErrors: t.partitionStates.map { .init(partitionIndex: $0.partitionIndex, errorCode: code.rawValue) })
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
