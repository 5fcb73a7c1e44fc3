import KRaft
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Kafka's `RaftEventSimulationTest` scenarios, each over many seeds, with its invariants checked after every step:
/// monotonic high watermark and epoch per node, a majority holding every committed entry, one leader per epoch,
/// logs agreeing below the high watermark, a snapshot at every log start. A failing seed is replayed with tracing
/// and reported with the trace; rerun one with `KRAFT_SIM_SEED=<seed>`.
@Suite("KRaft quorum simulation")
struct QuorumSimulationTests {
    /// Seeds per scenario and cluster size (`KRAFT_SIM_SEEDS` overrides).
    static var seedCount: UInt64 {
        if let text = getenv("KRAFT_SIM_SEEDS"), let n = UInt64(String(cString: text)) { return n }
        return 300
    }

    static var seeds: [UInt64] {
        if let text = getenv("KRAFT_SIM_SEED"), let seed = UInt64(String(cString: text)) { return [seed] }
        return Array(1...seedCount)
    }

    typealias Scenario = (inout QuorumSimulation) -> String?

    /// Runs a scenario on every seed; the first failing one is replayed with tracing and recorded.
    func sweep(
        voters: Int, observers: Int = 0, configure: (inout QuorumSimulation) -> Void = { _ in }, _ scenario: Scenario
    ) {
        for seed in Self.seeds {
            var sim = QuorumSimulation(seed: seed, voters: voters, observers: observers)
            configure(&sim)
            let problem =
                scenario(&sim)
                ?? {
                    sim.checkFinal(); return sim.violation
                }()
            guard let problem else { continue }
            var replay = QuorumSimulation(seed: seed, voters: voters, observers: observers)
            replay.trace.enabled = true
            configure(&replay)
            _ = scenario(&replay)
            Issue.record("seed \(seed): \(problem)\n\(replay.report)")
            return
        }
    }

    /// Waits for a leader and `count` more committed entries than now.
    static func progress(_ sim: inout QuorumSimulation, by count: Int64, within ms: Int64) -> Bool {
        let target = sim.highestHighWatermark + count
        return sim.run(until: sim.now + ms) { $0.leader != nil && $0.highestHighWatermark >= target }
    }

    @Test("a quorum elects a leader and commits", arguments: [3, 5])
    func canElectInitialLeader(voters: Int) {
        sweep(voters: voters) { sim in
            guard Self.progress(&sim, by: 10, within: 20_000) else { return "no leader with progress" }
            sim.run(until: sim.now + 2_000)
            return sim.violation
        }
    }

    @Test("a new leader is elected after the old leader fails", arguments: [3, 5])
    func canElectNewLeaderAfterOldLeaderFailure(voters: Int) {
        sweep(voters: voters) { sim in
            guard Self.progress(&sim, by: 10, within: 20_000), let old = sim.leader else { return "no first leader" }
            let oldEpoch = sim.nodes[old]!.epoch
            sim.kill(old)
            // Issue #16: a new leader within controller.quorum.fetch.timeout.ms + election.timeout.ms (simulated
            // time, so this is deterministic, not a wall-clock assertion).
            let bound = sim.config.fetchTimeoutMs + sim.config.electionTimeoutMs
            guard
                sim.run(until: sim.now + bound, stop: { s in s.leader.map { s.nodes[$0]!.epoch > oldEpoch } ?? false })
            else { return sim.violation ?? "no new leader within \(bound) ms of killing \(sim.ids[old])" }
            guard Self.progress(&sim, by: 10, within: 20_000) else { return sim.violation ?? "no progress" }
            sim.restart(old)
            sim.run(until: sim.now + 5_000)
            return sim.violation
        }
    }

    @Test("the quorum recovers after every node is killed and restarted", arguments: [3, 5])
    func canRecoverAfterAllNodesKilled(voters: Int) {
        sweep(voters: voters) { sim in
            guard Self.progress(&sim, by: 10, within: 20_000) else { return "no first leader" }
            // Kill at a random moment, with messages in flight.
            sim.run(until: sim.now + Int64(sim.random.next() % 500))
            for index in sim.ids.indices { sim.kill(index) }
            sim.run(until: sim.now + 3_000)
            sim.restartAll()
            guard Self.progress(&sim, by: 10, within: 30_000) else {
                return sim.violation ?? "no progress after restart"
            }
            return sim.violation
        }
    }

    @Test("a partitioned leader is replaced and rejoins", arguments: [3, 5])
    func canElectNewLeaderAfterOldLeaderPartitionedAway(voters: Int) {
        sweep(voters: voters) { sim in
            guard Self.progress(&sim, by: 10, within: 20_000), let old = sim.leader else { return "no first leader" }
            let oldEpoch = sim.nodes[old]!.epoch
            sim.isolate(old)
            guard
                sim.run(
                    until: sim.now + 30_000,
                    stop: { s in s.leader.map { $0 != old && s.nodes[$0]!.epoch > oldEpoch } ?? false })
            else { return sim.violation ?? "no new leader after isolating \(sim.ids[old])" }
            guard Self.progress(&sim, by: 10, within: 20_000) else { return sim.violation ?? "no progress" }
            sim.heal()
            // The old leader resigned by check quorum and follows the new epoch once it hears of it.
            let newEpoch = sim.nodes[sim.leader!]!.epoch
            guard
                sim.run(
                    until: sim.now + 30_000, stop: { s in s.nodes[old]!.epoch >= newEpoch && !s.nodes[old]!.isLeader })
            else { return sim.violation ?? "old leader did not rejoin" }
            guard Self.progress(&sim, by: 10, within: 20_000) else { return sim.violation ?? "no progress after heal" }
            return sim.violation
        }
    }

    @Test("a majority makes progress while a minority is down", arguments: [3, 5])
    func canMakeProgressIfMajorityIsReachable(voters: Int) {
        sweep(voters: voters) { sim in
            guard Self.progress(&sim, by: 5, within: 20_000) else { return "no first leader" }
            // Kill a random minority (possibly the leader).
            var order = Array(sim.ids.indices)
            for i in order.indices.reversed() { order.swapAt(i, Int(sim.random.next() % UInt64(i + 1))) }
            let minority = order.prefix(voters - sim.majority)
            for index in minority { sim.kill(index) }
            guard Self.progress(&sim, by: 20, within: 30_000) else { return sim.violation ?? "majority stalled" }
            for index in minority { sim.restart(index) }
            guard Self.progress(&sim, by: 10, within: 20_000) else {
                return sim.violation ?? "no progress after restart"
            }
            // Everyone catches up to the committed prefix.
            let target = sim.highestHighWatermark
            guard
                sim.run(
                    until: sim.now + 20_000,
                    stop: { s in s.running.allSatisfy { (s.nodes[$0]!.highWatermark ?? -1) >= target } })
            else { return sim.violation ?? "restarted minority did not catch up" }
            return sim.violation
        }
    }

    @Test("the quorum survives back-to-back leader failures", arguments: [3, 5])
    func canMakeProgressAfterBackToBackLeaderFailures(voters: Int) {
        sweep(voters: voters) { sim in
            guard Self.progress(&sim, by: 10, within: 20_000), let first = sim.leader else { return "no first leader" }
            let firstEpoch = sim.nodes[first]!.epoch
            sim.kill(first)
            guard
                sim.run(
                    until: sim.now + 20_000, stop: { s in s.leader.map { s.nodes[$0]!.epoch > firstEpoch } ?? false }),
                let second = sim.leader
            else { return sim.violation ?? "no second leader" }
            // The second leader dies right after winning, before it has committed much; the first comes back.
            sim.run(until: sim.now + Int64(sim.random.next() % 300))
            if let current = sim.leader { sim.kill(current) } else { sim.kill(second) }
            sim.restart(first)
            guard Self.progress(&sim, by: 10, within: 30_000) else { return sim.violation ?? "no progress" }
            return sim.violation
        }
    }

    @Test("random crashes, partitions and lost messages never break an invariant", arguments: [3, 5])
    func randomFaultsKeepInvariants(voters: Int) {
        sweep(
            voters: voters,
            configure: { sim in
                sim.dropPercent = 5
                sim.maxDelayMs = 50
                sim.snapshotIntervalMs = 700
            }
        ) { sim in
            for _ in 0..<12 {
                sim.run(until: sim.now + 200 + Int64(sim.random.next() % 2_000))
                let index = Int(sim.random.next() % UInt64(voters))
                switch sim.random.next() % 4 {
                case 0: sim.kill(index)
                case 1: sim.restart(index)
                case 2: sim.isolate(index)
                default: sim.heal()
                }
            }
            sim.heal()
            sim.restartAll()
            sim.dropPercent = 0
            guard Self.progress(&sim, by: 10, within: 40_000) else {
                return sim.violation ?? "no progress after faults"
            }
            return sim.violation
        }
    }

    @Test("followers that fall behind the leader's snapshot catch up through FetchSnapshot", arguments: [3, 5])
    func laggingFollowerFetchesSnapshot(voters: Int) {
        sweep(voters: voters, configure: { $0.snapshotIntervalMs = 300 }) { sim in
            guard Self.progress(&sim, by: 5, within: 20_000), let leader = sim.leader else { return "no first leader" }
            let lagging = (leader + 1) % voters
            sim.kill(lagging)
            guard Self.progress(&sim, by: 60, within: 30_000) else { return sim.violation ?? "no progress" }
            // Make sure the leader's log no longer starts where the lagging node stopped.
            sim.takeSnapshot(sim.leader!, clean: true)
            sim.restart(lagging)
            let target = sim.highestHighWatermark
            guard sim.run(until: sim.now + 20_000, stop: { s in (s.nodes[lagging]!.highWatermark ?? -1) >= target })
            else { return sim.violation ?? "lagging follower did not catch up" }
            return sim.violation
        }
    }

    @Test("observers follow the log across a leader failure and never vote or lead", arguments: [3, 5])
    func observersFollowAcrossLeaderFailure(voters: Int) {
        sweep(voters: voters, observers: 2) { sim in
            guard Self.progress(&sim, by: 10, within: 20_000), let old = sim.leader else { return "no first leader" }
            sim.kill(old)
            guard Self.progress(&sim, by: 10, within: 20_000) else { return sim.violation ?? "no progress" }
            let observers = Array(voters..<sim.ids.count)
            let target = sim.highestHighWatermark
            guard
                sim.run(
                    until: sim.now + 10_000,
                    stop: { s in observers.allSatisfy { (s.nodes[$0]?.highWatermark ?? -1) >= target } })
            else { return sim.violation ?? "the observers did not catch up with the new leader" }
            return sim.violation
        }
    }
}
