import KafkaConfig
import KafkaProtocol
import KafkaRecords
import Logging
import Replication
import TransactionCoordinator

import struct KafkaClient.BrokerAddress

/// KIP-890 part 1, partition-side verification (`transaction.partition.verification.enable`, Kafka 3.6+): before
/// a leader appends the first transactional batch of a producer's transaction to a partition, it asks the
/// transaction coordinator whether the partition really is in the producer's ongoing transaction
/// (AddPartitionsToTxn v4 with `verifyOnly`). A late or stray write (a produce retried after its transaction ended,
/// a client that skipped AddPartitionsToTxn) would otherwise open a transaction no coordinator knows: a hanging
/// transaction that holds the last stable offset, and read_committed consumers, back forever.
///
/// The partition's producer state is the cache: once a batch of the transaction is in the log the transaction is
/// open there, and the next batches of the same producer id and epoch append without asking. The marker closes it,
/// so the next transaction's first batch asks again. A verification guard taken from the log before asking travels
/// with the append (Kafka's `VerificationGuard`): a marker written meanwhile voids it, so a batch verified against
/// a transaction that has just ended cannot open a new one. All partitions of one Produce request that need the check go
/// to the coordinator in one request, and concurrent produce requests' checks for the same coordinator broker share
/// one AddPartitionsToTxn v4 (`VerificationQueue`); a coordinator on this broker is asked directly. The wait is an
/// `await`, never a blocked thread.
final class TransactionVerifier: Sendable {
    private let brokerId: Int32
    private let metadata: MetadataCache
    private let replicas: ReplicaManager
    private let runtime: TransactionCoordinatorRuntime
    private let config: @Sendable () -> BrokerConfig
    private let logger: Logger
    private let queue: VerificationQueue

    init(
        brokerId: Int32, metadata: MetadataCache, replicas: ReplicaManager, runtime: TransactionCoordinatorRuntime,
        config: @escaping @Sendable () -> BrokerConfig, logger: Logger
    ) {
        self.brokerId = brokerId
        self.metadata = metadata
        self.replicas = replicas
        self.runtime = runtime
        self.config = config
        self.logger = logger
        self.queue = VerificationQueue(
            connections: MarkerConnections(clientId: "broker-\(brokerId)-txn-verifier"), logger: logger)
    }

    /// Whether `transaction.version` serves KIP-890 part 2 (implicit adds from Produce v12 and TxnOffsetCommit v5).
    var servesTransactionVersion2: Bool { config().transactionVersion >= 2 }

    /// The producer of a transactional v2 batch, read from the first batch's header (nil: not transactional).
    static func transactionalProducer(of records: [UInt8]?) -> (id: Int64, epoch: Int16)? {
        guard let records, records.count >= RecordBatchHeader.size, records[16] == 2 else { return nil }
        let header = records.withUnsafeBytes { RecordBatchHeader(parsing: $0) }
        guard header.attributes & 0x10 != 0, header.producerId >= 0 else { return nil }
        return (header.producerId, header.producerEpoch)
    }

    struct Verdict {
        /// Partitions whose batches must not be appended, with the error to answer (Kafka's `ReplicaManager`
        /// mapping: INVALID_TXN_STATE when the partition is not in the transaction, NOT_ENOUGH_REPLICAS, which
        /// producers retry, when the coordinator could not answer).
        var refused: [TxnTopicPartition: ErrorCode] = [:]
        /// The verification guard each transactional batch is appended with (0: it continues an open transaction
        /// and was not verified, so it may not open one).
        var guards: [TxnTopicPartition: UInt64] = [:]
    }

    /// Checks the transactional batches of a Produce request. Partitions that are not transactional or unknown here
    /// are left alone, those only followed here are refused NOT_LEADER_OR_FOLLOWER, and those already in the
    /// producer's open transaction here are not asked about.
    ///
    /// `addImplicitly` is KIP-890 part 2 (Produce v12 from a transaction version 2 producer, which never sends
    /// AddPartitionsToTxn): the leader asks the coordinator to add the partition rather than to check it, whatever
    /// `transaction.partition.verification.enable` says, and the answers are those Kafka 4.0 gives such producers.
    func verify(transactionalId: String, entries: [(TxnTopicPartition, [UInt8]?)], addImplicitly: Bool = false) async
        -> Verdict
    {
        var verdict = Verdict()
        guard addImplicitly || config().transactionPartitionVerificationEnable else { return verdict }
        var wanted: [ProducerKey: [TxnTopicPartition]] = [:]
        for (tp, records) in entries {
            guard let producer = Self.transactionalProducer(of: records),
                let partition = replicas.partition(tp.topic, tp.partition)
            else { continue }
            // A follower's append fails NOT_LEADER_OR_FOLLOWER anyway: answer it without asking the coordinator
            // (Kafka's ReplicaManager verifies only partitions it leads).
            guard partition.isLeader else {
                verdict.refused[tp] = .notLeaderOrFollower
                continue
            }
            if let entry = partition.log.producerStateEntry(producerId: producer.id),
                entry.currentTxnFirstOffset >= 0, entry.producerEpoch == producer.epoch
            {
                verdict.guards[tp] = 0
                continue
            }
            verdict.guards[tp] = partition.log.transactionVerificationGuard(producerId: producer.id)
            wanted[ProducerKey(id: producer.id, epoch: producer.epoch), default: []].append(tp)
        }
        for (producer, partitions) in wanted {
            let answers = await ask(
                transactionalId: transactionalId, producerId: producer.id, producerEpoch: producer.epoch,
                partitions: partitions, add: addImplicitly)
            for tp in partitions {
                let answer = answers[tp] ?? .notCoordinator
                let code = addImplicitly ? Self.implicitAddError(for: answer) : Self.produceError(for: answer)
                if code != .noError { verdict.refused[tp] = code }
            }
        }
        return verdict
    }

    /// KIP-890 part 1 for the group coordinator (Kafka 3.6+ `GroupCoordinator.handleTxnCommitOffsets`): offsets
    /// committed in a transaction go to the group's `__consumer_offsets` partition as a transactional batch, so
    /// that partition must be in the producer's ongoing transaction (AddOffsetsToTxn) before TxnOffsetCommit may
    /// open a transaction there. Otherwise a stray commit would leave a hanging transaction in `__consumer_offsets`
    /// and UNSTABLE_OFFSET_COMMIT for the group forever. Answers the TxnOffsetCommit error for every partition of
    /// the request; an offsets partition unknown here is left to the group coordinator's own answer.
    ///
    /// `addImplicitly` is KIP-890 part 2 (TxnOffsetCommit v5, no AddOffsetsToTxn before it): the group coordinator
    /// adds the offsets partition to the transaction itself.
    ///
    /// The answer carries the verification guard the offsets must be appended with (nil when not verified), so
    /// that the verdict still holds at the append.
    func verifyOffsetCommit(
        transactionalId: String, producerId: Int64, producerEpoch: Int16, offsetsPartition: TxnTopicPartition,
        addImplicitly: Bool = false
    ) async -> (error: ErrorCode, verificationGuard: UInt64?) {
        guard addImplicitly || config().transactionPartitionVerificationEnable,
            let partition = replicas.partition(offsetsPartition.topic, offsetsPartition.partition)
        else { return (.noError, nil) }
        // Kafka's GroupMetadataManager.maybeConvertOffsetCommitError: NOT_LEADER_OR_FOLLOWER -> NOT_COORDINATOR.
        guard partition.isLeader else { return (.notCoordinator, nil) }
        if let entry = partition.log.producerStateEntry(producerId: producerId),
            entry.currentTxnFirstOffset >= 0, entry.producerEpoch == producerEpoch
        {
            // Continues the open transaction: guard 0 lets the append through only while it is still open.
            return (.noError, 0)
        }
        let verificationGuard = partition.log.transactionVerificationGuard(producerId: producerId)
        let answers = await ask(
            transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch,
            partitions: [offsetsPartition], add: addImplicitly)
        let answer = answers[offsetsPartition] ?? .notCoordinator
        if addImplicitly {
            let code = Self.implicitAddError(for: answer)
            return (
                code == .invalidProducerEpoch ? .producerFenced : Self.offsetCommitError(for: code), verificationGuard
            )
        }
        return (Self.offsetCommitError(for: Self.produceError(for: answer)), verificationGuard)
    }

    /// How the coordinator's answer to an implicit add (KIP-890 part 2) is told to a transaction version 2
    /// producer. A coordinator that is moving, loading or finishing the previous transaction is retried (the add
    /// is idempotent); a fenced producer stays fenced; anything else means this transaction cannot go on, and
    /// TRANSACTION_ABORTABLE (KIP-890) lets the producer abort it, which bumps its epoch, and carry on, instead of
    /// failing fatally.
    static func implicitAddError(for code: ErrorCode) -> ErrorCode {
        switch code {
        case .noError, .transactionalIdAuthorizationFailed: return code
        case .producerFenced, .invalidProducerEpoch: return .invalidProducerEpoch
        case .notCoordinator, .coordinatorNotAvailable, .coordinatorLoadInProgress, .concurrentTransactions:
            return .notEnoughReplicas
        default: return .transactionAbortable
        }
    }

    /// Kafka's `GroupMetadataManager.maybeConvertOffsetCommitError` over the produce-side verification error: the
    /// "retry" answer of a partition leader becomes the coordinator's retriable COORDINATOR_NOT_AVAILABLE.
    static func offsetCommitError(for code: ErrorCode) -> ErrorCode {
        switch code {
        case .notEnoughReplicas, .notEnoughReplicasAfterAppend, .unknownTopicOrPartition:
            return .coordinatorNotAvailable
        case .notLeaderOrFollower: return .notCoordinator
        default: return code
        }
    }

    /// How a coordinator's verification answer is told to the producer.
    static func produceError(for code: ErrorCode) -> ErrorCode {
        switch code {
        case .noError, .invalidTxnState, .invalidProducerIdMapping, .transactionalIdAuthorizationFailed:
            return code
        // Produce up to v9 documents INVALID_PRODUCER_EPOCH for a fenced producer.
        case .producerFenced, .invalidProducerEpoch:
            return .invalidProducerEpoch
        default:
            // CONCURRENT_TRANSACTIONS, COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR and
            // an unreachable coordinator: the producer retries, as Kafka answers them.
            return .notEnoughReplicas
        }
    }

    private struct ProducerKey: Hashable {
        var id: Int64
        var epoch: Int16
    }

    private func ask(
        transactionalId: String, producerId: Int64, producerEpoch: Int16, partitions: [TxnTopicPartition],
        add: Bool = false
    ) async -> [TxnTopicPartition: ErrorCode] {
        guard let stateTopic = metadata.topic(TransactionService.topic) else { return [:] }
        let index = TransactionPlacement.partition(
            for: transactionalId, partitionCount: Int32(stateTopic.partitions.count))
        guard let leader = stateTopic.partitions.first(where: { $0.partition == index })?.leader, leader >= 0 else {
            return [:]
        }
        if leader == brokerId && add {
            let code = await runtime.addPartitions(
                transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch,
                partitions: Set(partitions), transactionVersion: 2)
            return Dictionary(partitions.map { ($0, code) }, uniquingKeysWith: { first, _ in first })
        }
        if leader == brokerId {
            let codes = await runtime.verify(
                transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch,
                partitions: partitions)
            return Dictionary(zip(partitions, codes), uniquingKeysWith: { first, _ in first })
        }
        let settings = config()
        guard let address = metadata.address(of: leader, on: settings.interBrokerListenerName) else { return [:] }
        if add {
            return await queue.add(
                node: leader, address: BrokerAddress(host: address.host, port: Int(address.port)),
                timeoutMs: settings.requestTimeoutMs, transactionalId: transactionalId, producerId: producerId,
                producerEpoch: producerEpoch, partitions: partitions)
        }
        return await queue.verify(
            node: leader, address: BrokerAddress(host: address.host, port: Int(address.port)),
            timeoutMs: settings.requestTimeoutMs, transactionalId: transactionalId, producerId: producerId,
            producerEpoch: producerEpoch, partitions: partitions)
    }
}

/// The remote half of verification (Kafka's `AddPartitionsToTxnManager`): one AddPartitionsToTxn v4 in flight per
/// coordinator broker, and every check that arrives meanwhile, from any produce request, leaves together in the
/// next one (`VerificationBatches`). The waiting produce requests `await`; no thread blocks.
actor VerificationQueue {
    typealias Answers = [TxnTopicPartition: ErrorCode]
    private var batches = VerificationBatches<CheckedContinuation<Answers, Never>>()
    private let connections: MarkerConnections
    private let logger: Logger
    /// AddPartitionsToTxn requests sent and transactions they carried, for the batching's effect in logs and tests.
    private(set) var requestsSent = 0
    private(set) var transactionsSent = 0

    init(connections: MarkerConnections, logger: Logger) {
        self.connections = connections
        self.logger = logger
    }

    func verify(
        node: Int32, address: BrokerAddress, timeoutMs: Int, transactionalId: String, producerId: Int64,
        producerEpoch: Int16, partitions: [TxnTopicPartition]
    ) async -> Answers {
        await withCheckedContinuation { continuation in
            if let batch = batches.enqueue(
                node: node, transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch,
                partitions: partitions, waiter: continuation)
            {
                Task { await self.drain(batch, node: node, address: address, timeoutMs: timeoutMs) }
            }
        }
    }

    /// An implicit add (KIP-890 part 2) goes out at once in its own AddPartitionsToTxn v5 with `verifyOnly` false:
    /// it changes the transaction, so it does not wait behind the batched checks.
    func add(
        node: Int32, address: BrokerAddress, timeoutMs: Int, transactionalId: String, producerId: Int64,
        producerEpoch: Int16, partitions: [TxnTopicPartition]
    ) async -> Answers {
        let entry = VerificationBatches<CheckedContinuation<Answers, Never>>.Entry(
            transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch,
            partitions: partitions, waiters: [])
        let answers = await send([entry], node: node, address: address, timeoutMs: timeoutMs, verifyOnly: false)
        return answers[transactionalId] ?? [:]
    }

    /// Sends `first`, then whatever queued for `node` meanwhile, until nothing waits.
    private func drain(
        _ first: [VerificationBatches<CheckedContinuation<Answers, Never>>.Entry], node: Int32, address: BrokerAddress,
        timeoutMs: Int
    ) async {
        var next: [VerificationBatches<CheckedContinuation<Answers, Never>>.Entry]? = first
        while let batch = next {
            let answers = await send(batch, node: node, address: address, timeoutMs: timeoutMs, verifyOnly: true)
            for entry in batch {
                let mine = answers[entry.transactionalId] ?? [:]
                for waiter in entry.waiters { waiter.resume(returning: mine) }
            }
            next = batches.completed(node: node)
        }
    }

    private func send(
        _ batch: [VerificationBatches<CheckedContinuation<Answers, Never>>.Entry], node: Int32, address: BrokerAddress,
        timeoutMs: Int, verifyOnly: Bool
    ) async -> [String: Answers] {
        let request = AddPartitionsToTxnRequest(
            transactions: batch.map { entry in
                var byTopic: [String: [Int32]] = [:]
                for tp in entry.partitions { byTopic[tp.topic, default: []].append(tp.partition) }
                return .init(
                    transactionalId: entry.transactionalId, producerId: entry.producerId,
                    producerEpoch: entry.producerEpoch, verifyOnly: verifyOnly,
                    topics: byTopic.keys.sorted().map { .init(name: $0, partitions: byTopic[$0]!.sorted()) })
            })
        requestsSent += 1
        transactionsSent += batch.count
        let response: AddPartitionsToTxnResponse
        do {
            response = try await connections.send(
                request, version: verifyOnly ? 4 : 5, to: node, address: address, timeoutMs: timeoutMs)
        } catch {
            logger.info("Cannot verify \(batch.count) transaction(s) with broker \(node): \(error)")
            return [:]
        }
        let topLevel = ErrorCode(rawValue: response.errorCode) ?? .unknownServerError
        var answers: [String: Answers] = [:]
        if topLevel != .noError {
            for entry in batch {
                answers[entry.transactionalId] = Dictionary(
                    entry.partitions.map { ($0, topLevel) }, uniquingKeysWith: { first, _ in first })
            }
            return answers
        }
        for txn in response.resultsByTransaction {
            var mine: Answers = [:]
            for topic in txn.topicResults {
                for p in topic.resultsByPartition {
                    mine[TxnTopicPartition(topic: topic.name, partition: p.partitionIndex)] =
                        ErrorCode(rawValue: p.partitionErrorCode) ?? .unknownServerError
                }
            }
            answers[txn.transactionalId] = mine
        }
        return answers
    }
}
