import Testing

@testable import Observability

@Suite("Who exports a cluster-wide series")
struct SeriesOwnershipTests {
    private func replica(_ leader: Int32, fenced: Bool = false, partition: Int32 = 0) -> SeriesOwnership.ReplicaView {
        .init(topic: "orders", partition: partition, leader: leader, fenced: fenced)
    }

    @Test("a partition's offset series is exported only by its leader")
    func partitionSeriesFromLeader() {
        let brokers: [Int32] = [1, 2, 3]
        let exporting = brokers.filter { SeriesOwnership.exportsPartitionSeries(replica(2), localBroker: $0) }
        #expect(exporting == [2])
    }

    @Test("a fenced leader stops exporting its partition series")
    func fencedLeaderSilent() {
        #expect(!SeriesOwnership.exportsPartitionSeries(replica(1, fenced: true), localBroker: 1))
    }

    @Test("partition series move with leadership")
    func seriesMoveWithLeader() {
        let before = [replica(1, partition: 0), replica(1, partition: 1)]
        let after = [replica(2, partition: 0), replica(1, partition: 1)]
        #expect(SeriesOwnership.partitionsExported(before, localBroker: 1).map(\.partition) == [0, 1])
        #expect(SeriesOwnership.partitionsExported(after, localBroker: 1).map(\.partition) == [1])
        #expect(SeriesOwnership.partitionsExported(after, localBroker: 2).map(\.partition) == [0])
    }

    @Test("log series come from every replica with its own data")
    func logSeriesFromEveryReplica() {
        #expect(SeriesOwnership.exportsLogSeries(replica(2), localBroker: 1))
        #expect(SeriesOwnership.exportsLogSeries(replica(2), localBroker: 2))
    }

    @Test("cluster counts come only from the active controller, and activecontrollercount sums to 1")
    func controllerSeries() {
        let roles = [false, true, false]
        #expect(roles.filter { SeriesOwnership.exportsControllerSeries(isActiveController: $0) }.count == 1)
        #expect(roles.map { SeriesOwnership.activeControllerCount(isActiveController: $0) }.reduce(0, +) == 1)
    }

    @Test("a group's series come only from the broker with its offsets partition loaded")
    func groupSeriesFromCoordinator() {
        #expect(SeriesOwnership.exportsGroupSeries(coordinatorPartitionLoaded: true))
        #expect(!SeriesOwnership.exportsGroupSeries(coordinatorPartitionLoaded: false))
    }
}
