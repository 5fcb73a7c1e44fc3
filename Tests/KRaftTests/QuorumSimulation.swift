import KRaft

/// A deterministic cluster of ``RaftNode``s over a fake network and a fake clock, both driven by one seeded
/// generator (Kafka's `RaftEventSimulationTest`, ported to values). Every step delivers one message or fires one
/// node's timers, then checks Kafka's invariants; a violation stops the run and keeps the trace that led there.
struct QuorumSimulation {
    struct Envelope {
        var deliverAt: Int64
        var sequence: Int64
        var from: Int
        var to: Int
        var message: RaftMessage
    }

    /// What survives a crash: the log (durable when an append returns) and the last `quorum-state` written.
    struct Disk {
        var log = InMemoryRaftLog()
        var electionState: ElectionState?
    }

    let seed: UInt64
    /// The voters first, then the observers (KIP-595: nodes outside the voter set, as broker-only nodes are).
    let ids: [ReplicaID]
    let voters: [ReplicaID]
    let config: QuorumConfig
    var random: JitterGenerator
    var now: Int64 = 0
    var nodes: [RaftNode<InMemoryRaftLog>?]
    var disks: [Disk]
    var lastTicked: [Int64]
    var inFlight: [Envelope] = []
    var sequence: Int64 = 0
    /// `blocked[a][b]`: messages from a to b are lost.
    var blocked: [[Bool]]
    var dropPercent: UInt64 = 0
    var maxDelayMs: UInt64 = 20
    var nextAppendAt: Int64 = 0
    var appendIntervalMs: UInt64 = 100
    var nextSnapshotAt: Int64 = 0
    var snapshotIntervalMs: Int64 = 0
    var payloadCounter: UInt64 = 0
    var steps = 0

    // Invariant bookkeeping.
    var maxHighWatermark: [Int64]
    var maxEpoch: [Int32]
    var leaderOfEpoch: [Int32: ReplicaID] = [:]
    /// offset → epoch of the entry committed there, as first seen below some node's high watermark.
    var committed: [Int64: Int32] = [:]
    var committedEnd: Int64 = 0
    var checkedBelow: [Int64]
    var snapshotData: [Int64: [UInt8]] = [:]
    var violation: String?
    /// Off while seeds are swept; a failing seed is replayed with it on, which is the same run (determinism).
    let trace = Trace()

    /// The last lines of a run; a reference so that noting a line does not need exclusive access to the simulation.
    final class Trace {
        var enabled = false
        var lines: [String] = []
        let limit = 400

        func append(_ line: String) {
            lines.append(line)
            if lines.count > limit { lines.removeFirst(lines.count - limit) }
        }
    }

    init(
        seed: UInt64, voters voterCount: Int, observers: Int = 0, config: QuorumConfig = QuorumSimulation.defaultConfig
    ) {
        let count = voterCount + observers
        self.seed = seed
        self.ids = (1...count).map { ReplicaID(Int32($0)) }
        self.voters = Array(ids.prefix(voterCount))
        self.config = config
        self.random = JitterGenerator(seed: seed)
        self.disks = Array(repeating: Disk(), count: count)
        self.nodes = []
        self.lastTicked = Array(repeating: -1, count: count)
        self.blocked = Array(repeating: Array(repeating: false, count: count), count: count)
        self.maxHighWatermark = Array(repeating: -1, count: count)
        self.maxEpoch = Array(repeating: 0, count: count)
        self.checkedBelow = Array(repeating: 0, count: count)
        for index in 0..<count {
            nodes.append(
                RaftNode(
                    id: ids[index], voters: voters, config: config, log: InMemoryRaftLog(), persisted: nil, now: 0,
                    seed: random.next()))
        }
    }

    /// Kafka's defaults, except that a lost message is retried after 500 ms: the simulation loses messages
    /// silently, where Kafka's network client would see the connection fail and retry at once.
    static var defaultConfig: QuorumConfig {
        var config = QuorumConfig()
        config.requestTimeoutMs = 500
        return config
    }

    var majority: Int { voters.count / 2 + 1 }

    func note(_ line: @autoclosure () -> String) {
        guard trace.enabled else { return }
        trace.append("t=\(now) \(line())")
    }

    mutating func fail(_ message: String) {
        guard violation == nil else { return }
        violation = message
        note("VIOLATION: \(message)")
    }

    var report: String {
        "seed \(seed), \(ids.count) voters, t=\(now), step \(steps): \(violation ?? "no violation")\n"
            + trace.lines.joined(separator: "\n")
    }

    // MARK: Faults

    mutating func kill(_ index: Int) {
        guard let node = nodes[index] else { return }
        disks[index].log = node.log
        nodes[index] = nil
        note("kill \(ids[index]) (was \(node.role.name) in epoch \(node.epoch))")
    }

    mutating func restart(_ index: Int) {
        guard nodes[index] == nil else { return }
        let node = RaftNode(
            id: ids[index], voters: voters, config: config, log: disks[index].log,
            persisted: disks[index].electionState, now: now, seed: random.next())
        nodes[index] = node
        lastTicked[index] = -1
        checkedBelow[index] = 0
        note("restart \(ids[index]) as \(node.role.name) in epoch \(node.epoch), log end \(node.log.endOffset)")
        checkNode(index)
    }

    mutating func isolate(_ index: Int) {
        for other in ids.indices where other != index {
            blocked[index][other] = true
            blocked[other][index] = true
        }
        note("isolate \(ids[index])")
    }

    mutating func heal() {
        for a in ids.indices { for b in ids.indices { blocked[a][b] = false } }
        note("heal")
    }

    mutating func restartAll() { for index in ids.indices { restart(index) } }

    // MARK: Queries

    var running: [Int] { ids.indices.filter { nodes[$0] != nil } }

    /// The leader of the highest epoch among running nodes, if any.
    var leader: Int? {
        running.filter { nodes[$0]!.isLeader }.max { nodes[$0]!.epoch < nodes[$1]!.epoch }
    }

    var highestHighWatermark: Int64 { running.compactMap { nodes[$0]!.highWatermark }.max() ?? -1 }

    // MARK: Running

    /// Runs until `deadline` or until `stop` holds (checked after every step). Returns whether `stop` held.
    @discardableResult
    mutating func run(until deadline: Int64, stop: (QuorumSimulation) -> Bool = { _ in false }) -> Bool {
        while violation == nil {
            if stop(self) { return true }
            var next = Int64.max
            var tickIndex: Int? = nil
            for index in ids.indices {
                guard let node = nodes[index] else { continue }
                let wake = max(node.nextWakeup, lastTicked[index] + 1)
                if wake < next {
                    next = wake
                    tickIndex = index
                }
            }
            var messageIndex: Int? = nil
            for (i, envelope) in inFlight.enumerated()
            where envelope.deliverAt < next
                || (envelope.deliverAt == next && messageIndex != nil
                    && envelope.sequence < inFlight[messageIndex!].sequence)
            {
                next = envelope.deliverAt
                messageIndex = i
            }
            let workloadAt = min(nextAppendAt, snapshotIntervalMs > 0 ? nextSnapshotAt : Int64.max)
            if workloadAt < next {
                next = workloadAt
                messageIndex = nil
                tickIndex = nil
            }
            if next > deadline {
                now = deadline
                return false
            }
            now = max(now, next)
            steps += 1
            if let messageIndex {
                let envelope = inFlight.remove(at: messageIndex)
                deliver(envelope)
            } else if let tickIndex {
                lastTicked[tickIndex] = now
                let effects = nodes[tickIndex]!.tick(now: now)
                apply(effects, from: tickIndex)
                checkNode(tickIndex)
            } else {
                runWorkload()
            }
        }
        return false
    }

    mutating func deliver(_ envelope: Envelope) {
        guard nodes[envelope.to] != nil, !blocked[envelope.from][envelope.to] else { return }
        note("\(ids[envelope.from]) → \(ids[envelope.to]) \(Self.describe(envelope.message))")
        let effects = nodes[envelope.to]!.receive(envelope.message, from: ids[envelope.from], now: now)
        apply(effects, from: envelope.to)
        checkNode(envelope.to)
    }

    mutating func runWorkload() {
        if now >= nextAppendAt {
            nextAppendAt = now + 1 + Int64(random.next() % appendIntervalMs)
            if let leader {
                let count = 1 + Int(random.next() % 3)
                var records: [[UInt8]] = []
                for _ in 0..<count {
                    payloadCounter += 1
                    records.append(withUnsafeBytes(of: payloadCounter.littleEndian) { Array($0) })
                }
                let effects = (try? nodes[leader]!.append(records, now: now)) ?? []
                apply(effects, from: leader)
                checkNode(leader)
            }
        }
        if snapshotIntervalMs > 0 && now >= nextSnapshotAt {
            nextSnapshotAt = now + snapshotIntervalMs
            let candidates = running
            guard !candidates.isEmpty else { return }
            let index = candidates[Int(random.next() % UInt64(candidates.count))]
            takeSnapshot(index)
        }
    }

    /// The simulated state machine's snapshot: a digest of every entry below the end offset, so two snapshots of
    /// the same offset must be byte-equal. Then, as retention would (`clean` nil: on a coin toss), the log start
    /// moves up to the new snapshot.
    mutating func takeSnapshot(_ index: Int, clean: Bool? = nil) {
        guard let node = nodes[index], let hw = node.highWatermark else { return }
        let from = node.log.latestSnapshot?.id.offset ?? node.log.startOffset
        guard hw > from else { return }
        var digest = node.log.latestSnapshot.map { Self.digestValue($0.data) } ?? 0xcbf2_9ce4_8422_2325
        for entry in node.log.entries(from: from, maxCount: Int(hw - from)) {
            digest = Self.mix(digest, entry)
        }
        let data = withUnsafeBytes(of: digest.littleEndian) { Array($0) }
        do {
            try nodes[index]!.createSnapshot(endOffset: hw, data: data)
            note("\(ids[index]) snapshot at \(hw)")
        } catch {
            fail("\(ids[index]) could not snapshot at its high watermark \(hw)")
        }
        if clean ?? (random.next() % 2 == 0), let id = nodes[index]!.log.latestSnapshot?.id {
            if nodes[index]!.deleteBeforeSnapshot(id) { note("\(ids[index]) log starts at \(id.offset)") }
        }
        checkNode(index)
    }

    static func digestValue(_ bytes: [UInt8]) -> UInt64 {
        bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
    }

    static func mix(_ digest: UInt64, _ entry: LogEntry) -> UInt64 {
        var d = digest
        for value in [UInt64(bitPattern: entry.offset), UInt64(UInt32(bitPattern: entry.epoch))] {
            d = (d ^ value) &* 0x100_0000_01b3
        }
        return d
    }

    mutating func apply(_ effects: [RaftEffect], from index: Int) {
        for effect in effects {
            switch effect {
            case .send(let to, let message):
                guard let target = ids.firstIndex(of: to) else { continue }
                if blocked[index][target] || (dropPercent > 0 && random.next() % 100 < dropPercent) {
                    continue
                }
                sequence += 1
                let delay = 1 + Int64(random.next() % maxDelayMs)
                inFlight.append(
                    Envelope(deliverAt: now + delay, sequence: sequence, from: index, to: target, message: message))
            case .persist(let state):
                if let old = disks[index].electionState, state.epoch < old.epoch {
                    fail("\(ids[index]) persisted epoch \(state.epoch) after \(old.epoch)")
                }
                if let old = disks[index].electionState, state.epoch == old.epoch, let before = old.votedId,
                    let after = state.votedId, before != after
                {
                    fail("\(ids[index]) voted for \(before) and then \(after) in epoch \(state.epoch)")
                }
                disks[index].electionState = state
            case .highWatermark(let hw):
                note("\(ids[index]) high watermark \(hw)")
            case .truncated(let offset):
                note("\(ids[index]) truncated to \(offset)")
                if let hw = nodes[index]?.highWatermark, offset < hw {
                    fail("\(ids[index]) truncated to \(offset) below its high watermark \(hw)")
                }
            case .snapshotInstalled(let id):
                note("\(ids[index]) installed snapshot \(id)")
                if nodes[index]?.isLeader == true { fail("\(ids[index]) loaded a snapshot as leader") }
            case .leaderChanged(let epoch, let leader):
                note("\(ids[index]) epoch \(epoch) leader \(leader.map(\.description) ?? "none")")
            }
        }
    }

    // MARK: Invariants (Kafka's RaftEventSimulationTest)

    mutating func checkNode(_ index: Int) {
        guard let node = nodes[index] else { return }
        let id = ids[index]
        // MonotonicEpoch.
        if node.epoch < maxEpoch[index] { fail("\(id) epoch went from \(maxEpoch[index]) to \(node.epoch)") }
        maxEpoch[index] = max(maxEpoch[index], node.epoch)
        // An observer never leads (nor stands: a candidate would need its own vote).
        if !voters.contains(id) {
            switch node.role {
            case .leader, .candidate, .prospective, .voted, .resigned:
                fail("observer \(id) became \(node.role.name)")
            case .unattached, .follower: break
            }
        }
        // SingleLeader.
        if node.isLeader {
            if let other = leaderOfEpoch[node.epoch], other != id {
                fail("two leaders in epoch \(node.epoch): \(other) and \(id)")
            }
            leaderOfEpoch[node.epoch] = id
        }
        // SnapshotAtLogStart.
        if node.log.startOffset > 0 && node.log.earliestSnapshotId?.offset != node.log.startOffset {
            fail("\(id) log starts at \(node.log.startOffset) without a snapshot there")
        }
        if let snapshot = node.log.latestSnapshot {
            if let known = snapshotData[snapshot.id.offset], known != snapshot.data {
                fail("\(id) holds a snapshot at \(snapshot.id.offset) that differs from another node's")
            }
            snapshotData[snapshot.id.offset] = snapshot.data
        }
        guard let hw = node.highWatermark else { return }
        // MonotonicHighWatermark (across restarts too).
        if hw < maxHighWatermark[index] {
            fail("\(id) high watermark went from \(maxHighWatermark[index]) to \(hw)")
        }
        let advanced = hw > maxHighWatermark[index]
        maxHighWatermark[index] = max(maxHighWatermark[index], hw)
        if hw > node.log.endOffset { fail("\(id) high watermark \(hw) beyond its log end \(node.log.endOffset)") }
        // Log matching below the high watermark: every entry a node holds below its high watermark is the one
        // committed at that offset.
        var offset = max(checkedBelow[index], node.log.startOffset)
        while offset < hw {
            guard let epoch = node.log.epoch(at: offset) else { break }
            if let known = committed[offset] {
                if known != epoch {
                    fail("\(id) has epoch \(epoch) at committed offset \(offset), committed was epoch \(known)")
                }
            } else {
                committed[offset] = epoch
                committedEnd = max(committedEnd, offset + 1)
            }
            offset += 1
        }
        checkedBelow[index] = max(checkedBelow[index], hw)
        // MajorityReachedHighWatermark: a majority of logs (running or not) hold the committed entry below it.
        if advanced { checkMajority(hw, reportedBy: id) }
    }

    func holdsCommitted(_ index: Int, below hw: Int64) -> Bool {
        let log = nodes[index]?.log ?? disks[index].log
        guard log.endOffset >= hw else { return false }
        if hw == 0 || log.startOffset >= hw { return true }
        guard let expected = committed[hw - 1] else { return true }
        return log.epoch(at: hw - 1) == expected
    }

    mutating func checkMajority(_ hw: Int64, reportedBy id: ReplicaID) {
        // Only voters count: an observer's copy does not make an entry durable.
        let holders = voters.indices.filter { holdsCommitted($0, below: hw) }.count
        if holders < majority {
            fail("high watermark \(hw) of \(id) is held by only \(holders) of \(voters.count) voters' logs")
        }
    }

    /// After a run: every committed entry is still on a majority, and every log agrees with what was committed.
    mutating func checkFinal() {
        if committedEnd > 0 { checkMajority(committedEnd, reportedBy: 0) }
        for index in ids.indices {
            let log = nodes[index]?.log ?? disks[index].log
            let hw = nodes[index]?.highWatermark ?? maxHighWatermark[index]
            var offset = log.startOffset
            while offset < min(hw, log.endOffset) {
                if let known = committed[offset], log.epoch(at: offset) != known {
                    fail("\(ids[index]) disagrees with the committed entry at \(offset)")
                    return
                }
                offset += 1
            }
        }
    }

    static func describe(_ message: RaftMessage) -> String {
        switch message {
        case .voteRequest(let m):
            "\(m.preVote ? "PreVote" : "Vote")(epoch \(m.candidateEpoch), last \(m.lastOffsetEpoch)@\(m.lastOffset))"
        case .voteResponse(let m):
            "\(m.preVote ? "PreVote" : "Vote")Response(epoch \(m.leaderEpoch), granted \(m.voteGranted))"
        case .beginQuorumEpochRequest(let m): "BeginQuorumEpoch(epoch \(m.leaderEpoch))"
        case .beginQuorumEpochResponse(let m): "BeginQuorumEpochResponse(epoch \(m.leaderEpoch))"
        case .endQuorumEpochRequest(let m): "EndQuorumEpoch(epoch \(m.leaderEpoch), \(m.preferredSuccessors))"
        case .endQuorumEpochResponse(let m): "EndQuorumEpochResponse(epoch \(m.leaderEpoch))"
        case .fetchRequest(let m): "Fetch(epoch \(m.replicaEpoch), offset \(m.fetchOffset), last \(m.lastFetchedEpoch))"
        case .fetchResponse(let m):
            "FetchResponse(epoch \(m.leaderEpoch), \(m.entries.count) entries, hw \(m.highWatermark ?? -1)"
                + (m.error.map { ", \($0)" } ?? "") + (m.divergingEpoch.map { ", diverging \($0)" } ?? "")
                + (m.snapshotId.map { ", snapshot \($0)" } ?? "") + ")"
        case .fetchSnapshotRequest(let m): "FetchSnapshot(\(m.snapshotId))"
        case .fetchSnapshotResponse(let m): "FetchSnapshotResponse(\(m.snapshot?.id.description ?? "\(m.error!)"))"
        }
    }
}
