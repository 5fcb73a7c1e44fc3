import KafkaProtocol
import KafkaRecords
import Synchronization
import Testing

@testable import TransactionCoordinator

@Suite("__transaction_state records, placement and the coordinator runtime")
struct TransactionLogAndRuntimeTests {
    @Test(
        "a transactional id is placed like Kafka: abs(String.hashCode) % partitions",
        arguments: [
            ("my-group", Int32(12)), ("test-group", 12), ("group1", 40), ("a", 47), ("", 0), ("polygenelubricants", 0),
        ])
    func placement(id: String, partition: Int32) {
        #expect(TransactionPlacement.partition(for: id, partitionCount: 50) == partition)
    }

    @Test("key v0 is a version then the transactional id")
    func key() throws {
        let bytes = TransactionLogKey.encoded(transactionalId: "tx")
        #expect(bytes == [0, 0, 0, 2, 0x74, 0x78])
        #expect(try TransactionLogKey.decode(bytes) == "tx")
    }

    @Test("value v0 round-trips, with partitions grouped by topic and Empty written with a null list")
    func value() throws {
        let v = TransactionLogValue(
            producerId: 42, producerEpoch: 3, transactionTimeoutMs: 60_000, state: .ongoing,
            partitions: [
                .init(topic: "b", partition: 1), .init(topic: "a", partition: 2), .init(topic: "a", partition: 0),
            ],
            lastUpdateTimestampMs: 9, startTimestampMs: 8)
        let decoded = try TransactionLogValue(decoding: v.encoded())
        #expect(decoded.producerId == 42 && decoded.producerEpoch == 3 && decoded.state == .ongoing)
        #expect(
            decoded.partitions == [
                .init(topic: "a", partition: 0), .init(topic: "a", partition: 2), .init(topic: "b", partition: 1),
            ])
        var empty = v
        empty.state = .empty
        empty.partitions = []
        let bytes = empty.encoded()
        // version 0, pid, epoch, timeout, status 0, then a null array (-1).
        #expect(Array(bytes[0..<2]) == [0, 0])
        #expect(bytes[16] == 0)
        #expect(Array(bytes[17..<21]) == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try TransactionLogValue(decoding: bytes).partitions.isEmpty)
    }

    @Test("value v1 (flexible, tagged fields) is read")
    func valueV1() throws {
        var w = ProtocolWriter()
        w.writeInt16(1)
        w.writeInt64(7)
        w.writeInt16(2)
        w.writeInt32(1000)
        w.writeInt8(TransactionState.prepareCommit.rawValue)
        w.writeArray([("t", [Int32(0)])], compact: true) { w, e in
            w.writeString(e.0, compact: true)
            w.writeArray(e.1, compact: true) { w, p in w.writeInt32(p) }
            w.writeEmptyTaggedFields()
        }
        w.writeInt64(5)
        w.writeInt64(4)
        var previous = ProtocolWriter()
        previous.writeInt64(6)
        w.writeTaggedFields([(tag: 0, payload: previous.bytes)])
        let v = try TransactionLogValue(decoding: w.bytes)
        #expect(v.state == .prepareCommit && v.partitions == [.init(topic: "t", partition: 0)])
        #expect(v.previousProducerId == 6 && v.startTimestampMs == 4)
    }

    @Test("a transaction runs init, add, commit, markers and complete, and a reload resumes a Prepare state")
    func runtimeFlow() async throws {
        let log = Mutex<[[UInt8]]>([])
        let markers = RecordingMarkers()
        let runtime = TransactionCoordinatorRuntime(
            config: .init(), partitionCount: 1, clock: { 1000 }, log: { _ in },
            appender: { _, batch in
                log.withLock { $0.append(batch) }
                return .noError
            }, allocateProducerId: { 5000 }, markers: markers)
        #expect(
            await runtime.initProducerId(transactionalId: "t", timeoutMs: 1000, expected: nil).error == .notCoordinator)
        let ticket = try #require(await runtime.beginLoading(partition: 0, leaderEpoch: 3))
        #expect(
            await runtime.initProducerId(transactionalId: "t", timeoutMs: 1000, expected: nil).error
                == .coordinatorLoadInProgress)
        await runtime.finishLoading(partition: 0, ticket: ticket)
        let ids = await runtime.initProducerId(transactionalId: "t", timeoutMs: 1000, expected: nil)
        #expect(ids == .init(error: .noError, producerId: 5000, producerEpoch: 0))
        let tp = TxnTopicPartition(topic: "orders", partition: 0)
        #expect(
            await runtime.addPartitions(transactionalId: "t", producerId: 5000, producerEpoch: 0, partitions: [tp])
                == .noError)
        #expect(
            await runtime.endTransaction(transactionalId: "t", producerId: 5000, producerEpoch: 0, commit: true)
                == .noError)
        for _ in 0..<1000 {
            if await runtime.metadata(of: "t")?.state == .completeCommit { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(await runtime.metadata(of: "t")?.state == .completeCommit)
        let sent = markers.sent.withLock { $0 }
        #expect(
            sent == [
                .init(
                    transactionalId: "t", producerId: 5000, producerEpoch: 0, commit: true, coordinatorEpoch: 3,
                    partitions: [tp])
            ])

        // A new coordinator that reads only up to PrepareCommit writes the markers again and completes.
        let records = log.withLock { $0 }
        #expect(records.count == 4)
        let other = RecordingMarkers()
        let next = TransactionCoordinatorRuntime(
            config: .init(), partitionCount: 1, clock: { 2000 }, log: { _ in }, appender: { _, _ in .noError },
            allocateProducerId: { nil }, markers: other)
        let t2 = try #require(await next.beginLoading(partition: 0, leaderEpoch: 4))
        for (i, batch) in records.prefix(3).enumerated() {
            var b = batch
            // Give each batch its own base offset so the loader advances.
            b.replaceSubrange(0..<8, with: withUnsafeBytes(of: Int64(i).bigEndian, Array.init))
            #expect(await next.replay(partition: 0, batches: b, ticket: t2) == Int64(i) + 1)
        }
        await next.finishLoading(partition: 0, ticket: t2)
        for _ in 0..<1000 {
            if await next.metadata(of: "t")?.state == .completeCommit { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(await next.metadata(of: "t")?.state == .completeCommit)
        #expect(other.sent.withLock { $0.first?.coordinatorEpoch } == 4)
    }

    @Test(
        "a re-election of the same coordinator at a higher epoch while markers are in flight writes them again at the new epoch"
    )
    func reElectionDuringMarkers() async throws {
        let log = Mutex<[[UInt8]]>([])
        let markers = GatedMarkers()
        let runtime = TransactionCoordinatorRuntime(
            config: .init(), partitionCount: 1, clock: { 1000 }, log: { _ in },
            appender: { _, batch in
                log.withLock { $0.append(batch) }
                return .noError
            }, allocateProducerId: { 5000 }, markers: markers)
        let first = try #require(await runtime.beginLoading(partition: 0, leaderEpoch: 0))
        await runtime.finishLoading(partition: 0, ticket: first)
        _ = await runtime.initProducerId(transactionalId: "t", timeoutMs: 60000, expected: nil)
        let tp = TxnTopicPartition(topic: "__consumer_offsets", partition: 3)
        _ = await runtime.addPartitions(transactionalId: "t", producerId: 5000, producerEpoch: 0, partitions: [tp])
        #expect(
            await runtime.endTransaction(transactionalId: "t", producerId: 5000, producerEpoch: 0, commit: true)
                == .noError)
        var calls = markers.calls.makeAsyncIterator()
        // The writer at epoch 0 is stuck retrying (its leader just died) ...
        #expect(await calls.next() == 0)

        // ... when a follower leaves the ISR: the controller bumps the `__transaction_state` leader epoch and this
        // broker, still the leader, reloads the partition and finds the transaction in PrepareCommit.
        let reload = try #require(await runtime.beginLoading(partition: 0, leaderEpoch: 1))
        let records = log.withLock { $0 }
        #expect(records.count == 3)
        for (i, batch) in records.enumerated() {
            var b = batch
            b.replaceSubrange(0..<8, with: withUnsafeBytes(of: Int64(i).bigEndian, Array.init))
            #expect(await runtime.replay(partition: 0, batches: b, ticket: reload) == Int64(i) + 1)
        }
        await runtime.finishLoading(partition: 0, ticket: reload)
        #expect(await runtime.metadata(of: "t")?.state == .prepareCommit)

        // The epoch-0 writer then gives up; the reload must have started its own writer at epoch 1 meanwhile.
        markers.release()
        for _ in 0..<1000 {
            if await runtime.metadata(of: "t")?.state == .completeCommit { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(await runtime.metadata(of: "t")?.state == .completeCommit)
        #expect(markers.epochs.withLock { $0 } == [0, 1])
    }
}

final class RecordingMarkers: TransactionMarkerWriter {
    let sent = Mutex<[TransactionMarkerRequest]>([])

    func writeMarkers(_ request: TransactionMarkerRequest, stillCoordinator: @escaping @Sendable () async -> Bool)
        async -> Bool
    {
        sent.withLock { $0.append(request) }
        return await stillCoordinator()
    }
}

/// Records the coordinator epoch of every marker request; requests at epoch 0 wait until `release()`, like a writer
/// retrying towards a dead leader.
final class GatedMarkers: TransactionMarkerWriter {
    let calls: AsyncStream<Int32>
    let epochs = Mutex<[Int32]>([])
    private let callsContinuation: AsyncStream<Int32>.Continuation
    private let gate: AsyncStream<Void>
    private let gateContinuation: AsyncStream<Void>.Continuation

    init() {
        (calls, callsContinuation) = AsyncStream.makeStream(of: Int32.self)
        (gate, gateContinuation) = AsyncStream.makeStream(of: Void.self)
    }

    func release() { gateContinuation.finish() }

    func writeMarkers(_ request: TransactionMarkerRequest, stillCoordinator: @escaping @Sendable () async -> Bool)
        async -> Bool
    {
        epochs.withLock { $0.append(request.coordinatorEpoch) }
        callsContinuation.yield(request.coordinatorEpoch)
        if request.coordinatorEpoch == 0 {
            for await _ in gate {}
        }
        return await stillCoordinator()
    }
}
