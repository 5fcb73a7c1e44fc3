import Testing

@testable import KafkaClient

@Suite("Sticky and cooperative-sticky assignors")
struct StickyAssignorTests {
    private func tps(_ topic: String, _ ps: [Int32]) -> [TopicPartition] { ps.map { TopicPartition(topic, $0) } }

    @Test func everyPartitionIsAssignedOnceAndLoadsDifferByAtMostOne() {
        for memberCount in 1...5 {
            for partitions in Int32(0)...13 {
                let members = Dictionary(
                    uniqueKeysWithValues: (0..<memberCount).map { ("m\($0)", MemberSubscription(topics: ["t"])) })
                let out = StickyAssignor().assign(members: members, partitionCounts: ["t": partitions])
                let all = out.values.flatMap { $0 }
                #expect(all.count == Int(partitions) && Set(all).count == Int(partitions))
                let counts = out.values.map(\.count)
                #expect(
                    (counts.max() ?? 0) - (counts.min() ?? 0) <= 1, "\(memberCount) members, \(partitions) partitions")
            }
        }
    }

    @Test func aJoiningMemberTakesOnlyWhatBalanceRequiresFromTheOwners() {
        let members = [
            "a": MemberSubscription(topics: ["t"], ownedPartitions: tps("t", [0, 1, 2]), generation: 4),
            "b": MemberSubscription(topics: ["t"], ownedPartitions: tps("t", [3, 4, 5]), generation: 4),
            "c": MemberSubscription(topics: ["t"]),
        ]
        let out = StickyAssignor().assign(members: members, partitionCounts: ["t": 6])
        #expect(out.values.map(\.count).sorted() == [2, 2, 2])
        #expect(Set(out["a"]!).isSubset(of: Set(tps("t", [0, 1, 2]))))
        #expect(Set(out["b"]!).isSubset(of: Set(tps("t", [3, 4, 5]))))
    }

    @Test func aLeavingMembersPartitionsAreSpreadWhileTheOthersKeepTheirs() {
        let members = [
            "a": MemberSubscription(topics: ["t"], ownedPartitions: tps("t", [0, 3]), generation: 2),
            "b": MemberSubscription(topics: ["t"], ownedPartitions: tps("t", [1, 4]), generation: 2),
        ]
        let out = StickyAssignor().assign(members: members, partitionCounts: ["t": 6])
        #expect(Set(out["a"]!).isSuperset(of: Set(tps("t", [0, 3]))))
        #expect(Set(out["b"]!).isSuperset(of: Set(tps("t", [1, 4]))))
        #expect(out.values.map(\.count) == [3, 3])
    }

    @Test func aPartitionClaimedByTwoMembersStaysWithTheHigherGeneration() {
        let members = [
            "stale": MemberSubscription(topics: ["t"], ownedPartitions: tps("t", [0]), generation: 1),
            "fresh": MemberSubscription(topics: ["t"], ownedPartitions: tps("t", [0]), generation: 3),
        ]
        let out = StickyAssignor().assign(members: members, partitionCounts: ["t": 2])
        #expect(out["fresh"] == tps("t", [0]) && out["stale"] == tps("t", [1]))
    }

    @Test func membersOnlyGetTopicsTheySubscribeTo() {
        let members = [
            "x": MemberSubscription(topics: ["a"]),
            "y": MemberSubscription(topics: ["a", "b"]),
        ]
        let out = StickyAssignor().assign(members: members, partitionCounts: ["a": 2, "b": 2])
        #expect(out["x"]!.allSatisfy { $0.topic == "a" })
        #expect(out.values.flatMap { $0 }.count == 4)
    }

    @Test func theCooperativeLeaderWithholdsPartitionsStillOwnedByAnotherMember() {
        let assignment = ["a": tps("t", [0, 1]), "b": tps("t", [2, 3]), "c": tps("t", [4, 5])]
        let owned = ["a": tps("t", [0, 1, 4]), "b": tps("t", [2, 3, 5]), "c": [TopicPartition]()]
        let out = CooperativeRebalance.withholdingTransfers(assignment, owned: owned)
        #expect(out["a"] == tps("t", [0, 1]) && out["b"] == tps("t", [2, 3]))
        #expect(out["c"] == [])
    }

    @Test func aMemberRejoinsOnlyWhenItGaveSomethingUp() {
        let r = CooperativeRebalance.reconcile(owned: Set(tps("t", [0, 1, 4])), assigned: Set(tps("t", [0, 1])))
        #expect(r.revoked == Set(tps("t", [4])) && r.added.isEmpty && r.rejoin)
        let s = CooperativeRebalance.reconcile(owned: Set(tps("t", [0])), assigned: Set(tps("t", [0, 2])))
        #expect(s.revoked.isEmpty && s.added == Set(tps("t", [2])) && !s.rejoin)
    }

    @Test func twoCooperativeRoundsMoveOnlyTheNeededPartitionsAndNeverHaveTwoOwners() {
        var owned: [String: [TopicPartition]] = ["a": tps("t", [0, 1, 2]), "b": tps("t", [3, 4, 5]), "c": []]
        let assignor = CooperativeStickyAssignor()
        var revokedTotal = 0
        for round in 1...2 {
            let members = owned.mapValues {
                MemberSubscription(topics: ["t"], ownedPartitions: $0, generation: Int32(round))
            }
            let target = assignor.assign(members: members, partitionCounts: ["t": 6])
            let given = CooperativeRebalance.withholdingTransfers(target, owned: owned)
            // Nobody is handed a partition someone else still owns.
            for (m, list) in given {
                for tp in list { #expect(owned.allSatisfy { $0.key == m || !$0.value.contains(tp) }) }
            }
            for m in owned.keys {
                let r = CooperativeRebalance.reconcile(owned: Set(owned[m]!), assigned: Set(given[m] ?? []))
                revokedTotal += r.revoked.count
                owned[m] = (given[m] ?? []).sorted()
            }
        }
        #expect(owned.values.map(\.count).sorted() == [2, 2, 2])
        #expect(revokedTotal == 2)
        #expect(Set(owned.values.flatMap { $0 }).count == 6)
    }
}
