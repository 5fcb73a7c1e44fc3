import Coordination
import Foundation
import KafkaProtocol
import LogStorage
import Logging

/// Logs left behind by a topic deletion that happened while this broker was down.
///
/// The controller completes a deletion once the live replicas answered its StopReplica(delete); a replica on a
/// down broker is not waited for. When that broker starts again it finds the old directories; this sweep, run
/// after log recovery and before the broker registers, deletes every local log whose topic no longer exists in
/// ZooKeeper, is marked for deletion (a deletion started before this broker registered does not wait for it), or
/// exists under another topic id (deleted and created again with the same name), judged by the
/// `partition.metadata` file next to the segments. `meta.properties` has already tied the log dirs to this
/// cluster id, so a broker pointed at the wrong ZooKeeper chroot fails before it gets here.
enum StrayLogs {
    /// Deletes the stray logs and returns their names (`topic-partition`). ZooKeeper errors leave everything.
    @discardableResult
    static func remove(from logManager: LogManager, zk: KafkaZkClient, logger: Logger) async -> [String] {
        let byTopic = Dictionary(grouping: logManager.allLogs, by: { $0.topicPartition.topic })
        var removed: [String] = []
        guard !byTopic.isEmpty else { return removed }
        let beingDeleted: Set<String>
        do {
            beingDeleted = Set(try await zk.topicsMarkedForDeletion())
        } catch {
            logger.warning("Cannot read /admin/delete_topics to look for stray logs: \(error)")
            return removed
        }
        for (topic, logs) in byTopic.sorted(by: { $0.key < $1.key }) {
            let record: TopicRecord?
            do {
                record = try await zk.getTopic(topic)
            } catch {
                logger.warning("Cannot check topic \(topic) in ZooKeeper for stray logs: \(error)")
                continue
            }
            for log in logs {
                let reason: String
                if record == nil {
                    reason = "topic \(topic) no longer exists"
                } else if beingDeleted.contains(topic) {
                    reason = "topic \(topic) is being deleted"
                } else if let local = topicId(inDirectory: log.directory),
                    let current = record?.assignment.topicId.flatMap({ UUIDValue(base64URL: $0) }), local != current
                {
                    reason = "topic id \(local.base64URL) differs from the current topic's \(current.base64URL)"
                } else {
                    continue
                }
                let tp = log.topicPartition
                do {
                    try logManager.deleteLog(topic: tp.topic, partition: tp.partition)
                    removed.append(tp.directoryName)
                    logger.info("Deleted stray log \(tp.directoryName): \(reason)")
                } catch {
                    logger.warning("Cannot delete stray log \(tp.directoryName) (\(reason)): \(error)")
                }
            }
        }
        return removed
    }

    /// The topic id in `<dir>/partition.metadata` (`version: 0` / `topic_id: <base64url>`), if readable.
    static func topicId(inDirectory directory: String) -> UUIDValue? {
        guard let text = try? String(contentsOfFile: directory + "/partition.metadata", encoding: .utf8) else {
            return nil
        }
        for line in text.split(separator: "\n") where line.hasPrefix("topic_id:") {
            return UUIDValue(base64URL: line.dropFirst("topic_id:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
