import Authorization
import KafkaProtocol

/// CreateTopics: validates names, counts and configs, assigns replicas with Kafka's algorithm, writes the
/// topic to ZooKeeper, then waits up to the request's timeout for the controller to give every partition a leader
/// (REQUEST_TIMED_OUT otherwise; the topic still gets created). -1/-1 (v4+) mean the broker defaults.
struct CreateTopicsHandler: APIHandler {
    typealias Request = CreateTopicsRequest
    let versions: ClosedRange<Int16> = 0...7
    let core: BrokerCore

    func handle(_ request: CreateTopicsRequest, context: RequestContext) async -> CreateTopicsResponse? {
        let version = context.apiVersion
        var response = CreateTopicsResponse()
        var seen = [String: Int]()
        for topic in request.topics { seen[topic.name, default: 0] += 1 }
        // Cluster Create covers every topic; without it, Topic Create per name (else TOPIC_AUTHORIZATION_FAILED).
        let creatable =
            context.authorize(.create, .cluster, Resource.clusterName, logIfDenied: false)
            ? Set(request.topics.map(\.name)) : context.authorized(.create, .topic, request.topics.map(\.name))
        for topic in request.topics {
            var result = CreateTopicsResponse.CreatableTopicResult(name: topic.name, errorCode: 0)
            if seen[topic.name, default: 0] > 1 {
                result.errorCode = ErrorCode.invalidRequest.rawValue
                result.errorMessage =
                    "Create topics request from client `\(context.clientId)` contains multiple entries for the following topics: \(topic.name)"
                response.topics.append(result)
                continue
            }
            guard creatable.contains(topic.name) else {
                result.errorCode = ErrorCode.topicAuthorizationFailed.rawValue
                result.errorMessage = "Authorization failed."
                if version >= 5 { result.numPartitions = -1; result.replicationFactor = -1 }
                response.topics.append(result)
                continue
            }
            let spec = TopicSpec(
                name: topic.name,
                numPartitions: topic.numPartitions,
                replicationFactor: topic.replicationFactor,
                assignments: topic.assignments.map { ($0.partitionIndex, $0.brokerIds) },
                configs: topic.configs.map { ($0.name, $0.value) })
            do {
                let validateOnly = version >= 1 && request.validateOnly
                let created = try await core.topics.create(
                    spec, validateOnly: validateOnly, timeoutMs: validateOnly ? nil : request.timeoutMs)
                result.topicId = created.topicId
                result.numPartitions = created.numPartitions
                result.replicationFactor = created.replicationFactor
                if version >= 5 {
                    result.configs = created.configs.map {
                        .init(
                            name: $0.name, value: $0.value, readOnly: $0.readOnly, configSource: $0.source,
                            isSensitive: $0.isSensitive)
                    }
                }
            } catch {
                result.errorCode = ErrorCode(error).rawValue
                result.errorMessage = error.message
                if version >= 5 { result.numPartitions = -1; result.replicationFactor = -1 }
            }
            response.topics.append(result)
        }
        return response
    }
}
