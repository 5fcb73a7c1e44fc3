import Foundation
import KRaft
import KafkaConfig
import LogStorage
import Logging

/// Owns this node's `RaftNode` (Kafka's `KafkaRaftClient` poll loop): fires its timers from `nextWakeup`, performs
/// its effects in order (the `quorum-state` file is written and synced before anything that depends on it), and
/// answers questions about the quorum (DescribeQuorum).
///
/// Messages to other voters go out through ``RaftPeers`` (one client per voter); requests from them arrive through
/// the quorum handlers and ``handle(_:from:)``, which waits for the node's answer (see `RaftDriver+Wire.swift`).
/// The log is `DiskRaftLog`, `__cluster_metadata-0` on `LogStorage`: the log and its epochs survive a restart.
actor RaftDriver {
    var node: RaftNode<DiskRaftLog>
    private let stateFile: String
    let logger: Logger
    let nodeId: Int32
    /// The cluster id every quorum request carries and is checked against.
    nonisolated let clusterId: String
    private var loop: Task<Void, Never>?
    /// Requests from other voters waiting for the node's answer, by arrival.
    var waiting: [Int64: WaitingRequest] = [:]
    var nextWaitingId: Int64 = 0
    /// The correlation id this node gave the latest Fetch of each replica (the core parks one per replica).
    var latestFetch: [ReplicaID: Int64] = [:]
    var peers: RaftPeers?
    /// When the metadata is snapshotted and the log cleaned (`metadata.log.max.*`, `metadata.max.retention.*`).
    nonisolated let snapshotPolicy: SnapshotPolicy

    /// The metadata partition's directory, `<metadata.log.dir>/__cluster_metadata-0`.
    static let partitionDirectoryName = "__cluster_metadata-0"

    init(kraft: KRaftConfig, clusterId: String, metadataDirectory: String, logger: Logger) throws {
        let partitionDir = metadataDirectory + "/" + Self.partitionDirectoryName
        do {
            try FileManager.default.createDirectory(atPath: partitionDir, withIntermediateDirectories: true)
        } catch {
            throw BrokerStartupError("Cannot create \(partitionDir): \(error)")
        }
        stateFile = partitionDir + "/" + QuorumStateFile.fileName
        var persisted: ElectionState?
        if let data = FileManager.default.contents(atPath: stateFile) {
            do {
                persisted = try QuorumStateFile.decode(String(decoding: data, as: UTF8.self))
            } catch {
                throw BrokerStartupError("Cannot read \(stateFile): \(error)")
            }
        }
        let log: DiskRaftLog
        do {
            log = try DiskRaftLog(directory: partitionDir, clock: { RaftDriver.now() })
        } catch {
            throw BrokerStartupError("Cannot open \(partitionDir): \(error)")
        }
        self.logger = logger
        self.clusterId = clusterId
        nodeId = kraft.nodeId
        snapshotPolicy = kraft.snapshots
        node = RaftNode(
            id: ReplicaID(kraft.nodeId), voters: kraft.voters.map(\.id), config: kraft.quorum, log: log,
            persisted: persisted, now: Self.now(), seed: UInt64.random(in: 0...UInt64.max))
        let stored = persisted.map { QuorumStateFile.encode($0) } ?? "none"
        let id = kraft.nodeId
        logger.info(
            "[RaftManager id=\(id)] Starting (quorum-state: \(stored); log start offset \(log.startOffset), end offset \(log.endOffset), last epoch \(log.lastFetchedEpoch), latest snapshot \(log.latestSnapshot.map { $0.fileName } ?? "none"))"
        )
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Starts the poll loop; `peers` carries the messages for other voters.
    func start(peers: RaftPeers? = nil) {
        self.peers = peers
        loop = Task { await self.run() }
    }

    func stop() async {
        loop?.cancel()
        loop = nil
        for (_, w) in waiting { w.continuation.resume(returning: nil) }
        waiting = [:]
        await peers?.close()
    }

    private func run() async {
        while !Task.isCancelled {
            let now = Self.now()
            perform(node.tick(now: now))
            // Wake at the node's next timer, but at least every 100 ms so a clock jump cannot stall it.
            let wait = max(1, min(100, node.nextWakeup - Self.now()))
            try? await Task.sleep(for: .milliseconds(wait))
        }
    }

    func perform(_ effects: [RaftEffect]) {
        for effect in effects {
            switch effect {
            case .persist(let state):
                let json = QuorumStateFile.encode(state)
                do {
                    try Data(json.utf8).write(to: URL(fileURLWithPath: stateFile), options: .atomic)
                } catch {
                    // Kafka's FileQuorumStateStore fails the node rather than act on an unpersisted vote.
                    logger.critical("[RaftManager id=\(nodeId)] Cannot write \(stateFile): \(error); stopping")
                    exit(1)
                }
            case .send(let to, let message):
                deliver(message, to: to)
            case .highWatermark(let hw):
                logger.debug("[RaftManager id=\(nodeId)] High watermark \(hw)")
            case .truncated(let offset):
                logger.info("[RaftManager id=\(nodeId)] Truncated the metadata log to \(offset)")
            case .snapshotInstalled(let id):
                logger.info("[RaftManager id=\(nodeId)] Installed snapshot \(id)")
            case .leaderChanged(let epoch, let leader):
                let role = leader?.rawValue == nodeId ? "Leader" : leader == nil ? "Unattached" : "Follower"
                logger.info(
                    "[RaftManager id=\(nodeId)] Completed transition to \(role)(localId=\(nodeId), epoch=\(epoch), leaderId=\(leader.map { String($0.rawValue) } ?? "none"))"
                )
            }
        }
    }

    /// What DescribeQuorum reports; nil when this node is not the leader.
    func describe() -> QuorumDescription? { node.describeQuorum(now: Self.now()) }

    var leaderId: Int32? { node.leaderId?.rawValue }
    var epoch: Int32 { node.epoch }
}

// MARK: - The metadata layer's API (the KRaft controller appends, the broker follows)

extension RaftDriver {
    /// Runs `build` and appends the records it returns as this node's leader, in one step of this actor, so the
    /// records land in the order the controller decided them and `build` sees the offset the first one will get
    /// (a broker's epoch is its registration's offset). `build` runs only while this node leads; otherwise this
    /// throws `notLeaderOrFollower` without calling it. Returns `build`'s value and the offset of the last record
    /// appended (nil when it returned none).
    func appendAsLeader<T: Sendable>(
        _ build: @Sendable (_ logEndOffset: Int64) -> (records: [[UInt8]], value: T)
    ) throws(RaftError) -> (value: T, lastOffset: Int64?) {
        guard node.isLeader else { throw .notLeaderOrFollower }
        let built = build(node.log.endOffset)
        guard !built.records.isEmpty else { return (built.value, nil) }
        perform(try node.append(built.records, now: Self.now()))
        return (built.value, node.log.endOffset - 1)
    }

    /// The high watermark: every entry below it is committed (0 before the first commit).
    var highWatermark: Int64 { node.highWatermark ?? 0 }

    /// The log end offset (committed or not).
    var logEndOffset: Int64 { node.log.endOffset }

    /// True while this node is the quorum's leader, with the epoch it leads in.
    var leadership: (isLeader: Bool, epoch: Int32) { (node.isLeader, node.epoch) }

    /// Committed entries from `offset` (below the high watermark), at most `maxCount`, in log order.
    func committedEntries(from offset: Int64, maxCount: Int = 1000) -> [LogEntry] {
        let hw = highWatermark
        guard offset < hw else { return [] }
        return node.log.entries(from: offset, maxCount: Int(min(Int64(maxCount), hw - offset)))
    }
}
