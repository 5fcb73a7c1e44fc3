import Foundation
import KafkaProtocol
import Replication

/// DescribeLogDirs: every log directory with the size of each partition replica it holds (`kafka-log-dirs`).
struct DescribeLogDirsHandler: APIHandler {
    typealias Request = DescribeLogDirsRequest
    let versions: ClosedRange<Int16> = 0...4
    let core: BrokerCore

    func handle(_ request: DescribeLogDirsRequest, context: RequestContext) async -> DescribeLogDirsResponse? {
        let filter: [String: Set<Int32>]? = request.topics.map {
            Dictionary($0.map { ($0.topic, Set($0.partitions)) }, uniquingKeysWith: { $0.union($1) })
        }
        // Without Cluster Describe Kafka answers an empty list, not an error.
        guard context.authorize(.describe, .cluster) else { return DescribeLogDirsResponse() }
        let manager = core.replicas.logManager
        var byDir: [String: [String: [DescribeLogDirsResponse.DescribeLogDirsPartition]]] = [:]
        for dir in manager.logDirs { byDir[dir] = [:] }
        for p in core.replicas.allPartitions {
            if let filter, !(filter[p.topic]?.contains(p.index) ?? false) { continue }
            guard let dir = manager.logDir(topic: p.topic, partition: p.index) else { continue }
            let entry = DescribeLogDirsResponse.DescribeLogDirsPartition(
                partitionIndex: p.index, partitionSize: p.log.size, offsetLag: 0, isFutureKey: false)
            byDir[dir, default: [:]][p.topic, default: []].append(entry)
        }
        var response = DescribeLogDirsResponse()
        for dir in manager.logDirs {
            var result = DescribeLogDirsResponse.DescribeLogDirsResult(errorCode: 0, logDir: dir, topics: [])
            for (topic, partitions) in (byDir[dir] ?? [:]).sorted(by: { $0.key < $1.key }) {
                result.topics.append(
                    .init(name: topic, partitions: partitions.sorted { $0.partitionIndex < $1.partitionIndex }))
            }
            if let attributes = try? FileManager.default.attributesOfFileSystem(forPath: dir) {
                result.totalBytes = (attributes[.systemSize] as? NSNumber)?.int64Value ?? -1
                result.usableBytes = (attributes[.systemFreeSize] as? NSNumber)?.int64Value ?? -1
            }
            response.results.append(result)
        }
        return response
    }
}
