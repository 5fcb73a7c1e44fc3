/// A transaction's state as Kafka's `TransactionState` names and numbers it (the number is the `TransactionStatus`
/// byte of a `__transaction_state` value; the name is what DescribeTransactions and ListTransactions report).
public enum TransactionState: Int8, Sendable, CaseIterable, CustomStringConvertible {
    case empty = 0
    case ongoing = 1
    case prepareCommit = 2
    case prepareAbort = 3
    case completeCommit = 4
    case completeAbort = 5
    case dead = 6
    case prepareEpochFence = 7

    /// Kafka's state names (`TransactionState.stateName`).
    public var description: String {
        switch self {
        case .empty: "Empty"
        case .ongoing: "Ongoing"
        case .prepareCommit: "PrepareCommit"
        case .prepareAbort: "PrepareAbort"
        case .completeCommit: "CompleteCommit"
        case .completeAbort: "CompleteAbort"
        case .dead: "Dead"
        case .prepareEpochFence: "PrepareEpochFence"
        }
    }

    /// Parses a state name as ListTransactions' filters carry it.
    public init?(name: String) {
        guard let state = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = state
    }

    /// The states a transaction may move to this one from (Kafka's `TransactionState.validPreviousStates`).
    public var validPreviousStates: Set<TransactionState> {
        switch self {
        case .empty: [.empty, .completeCommit, .completeAbort]
        case .ongoing: [.ongoing, .empty, .completeCommit, .completeAbort]
        case .prepareCommit: [.ongoing]
        case .prepareAbort: [.ongoing, .prepareEpochFence]
        case .completeCommit: [.prepareCommit]
        case .completeAbort: [.prepareAbort]
        case .dead: [.empty, .completeAbort, .completeCommit]
        case .prepareEpochFence: [.ongoing]
        }
    }

    /// Whether a transaction may move from this state to `next`.
    public func canTransition(to next: TransactionState) -> Bool { next.validPreviousStates.contains(self) }

    /// A transactional id in this state may expire (`transactional.id.expiration.ms`).
    public var isExpirable: Bool { self == .empty || self == .completeCommit || self == .completeAbort }

    /// The transaction is finishing: markers are (being) written.
    public var isPreparing: Bool { self == .prepareCommit || self == .prepareAbort }
}

/// A topic partition inside a transaction.
public struct TxnTopicPartition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(topic: String, partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    public static func < (a: Self, b: Self) -> Bool { (a.topic, a.partition) < (b.topic, b.partition) }

    public var description: String { "\(topic)-\(partition)" }
}

/// Where a transactional id lives: `Utils.abs(transactionalId.hashCode) % partitions` of `__transaction_state`,
/// with Java's `String.hashCode` over UTF-16 code units (the same formula the group coordinator uses).
public enum TransactionPlacement {
    public static let topic = "__transaction_state"

    public static func partition(for transactionalId: String, partitionCount: Int32) -> Int32 {
        var hash: Int32 = 0
        for unit in transactionalId.utf16 { hash = hash &* 31 &+ Int32(unit) }
        // Kafka's Utils.abs maps Int.min to 0 rather than overflowing.
        let positive = hash == Int32.min ? 0 : abs(hash)
        return positive % max(partitionCount, 1)
    }
}
