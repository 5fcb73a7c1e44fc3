import KafkaProtocol
import Replication

/// Typed failures inside the broker. Replication (with the storage and record errors it translates) and ZooKeeper
/// errors are translated into these where they surface; `ErrorCode.init(_:)` maps them to Kafka error codes at the
/// response boundary, in one exhaustive switch.
enum BrokerError: Error, Sendable, Equatable {
    case unknownTopicOrPartition
    case unknownTopicId
    case notLeaderOrFollower
    case leaderNotAvailable
    case fencedLeaderEpoch
    case unknownLeaderEpoch
    case offsetOutOfRange
    case offsetNotAvailable
    case invalidTopic(String)
    case topicAlreadyExists(String)
    case invalidPartitions(String)
    case invalidReplicationFactor(String)
    case invalidReplicaAssignment(String)
    case invalidConfig(String)
    case invalidRequest(String)
    case topicDeletionDisabled
    case notEnoughReplicas
    case notEnoughReplicasAfterAppend
    case requestTimedOut
    case corruptMessage(String)
    case messageTooLarge(String)
    case recordListTooLarge(String)
    case invalidRecord(String)
    case invalidTimestamp(String)
    case unsupportedCompressionType
    case outOfOrderSequence(String)
    case invalidProducerEpoch
    case invalidTxnState
    case transactionCoordinatorFenced
    case unknownProducerId
    case duplicateSequence
    case storage(String)
    case coordinatorNotAvailable
    case notController
    /// A controller request from an older controller epoch than one already seen.
    case staleControllerEpoch
    /// A controller request addressed to an earlier registration of this broker.
    case staleBrokerEpoch
    case unsupportedVersion
    case invalidRequiredAcks
    case unknownServerError(String)

    var message: String? {
        switch self {
        case .invalidTopic(let m), .topicAlreadyExists(let m), .invalidPartitions(let m),
            .invalidReplicationFactor(let m), .invalidReplicaAssignment(let m), .invalidConfig(let m),
            .invalidRequest(let m), .corruptMessage(let m), .messageTooLarge(let m), .recordListTooLarge(let m),
            .invalidRecord(let m), .invalidTimestamp(let m), .outOfOrderSequence(let m), .storage(let m),
            .unknownServerError(let m):
            m
        case .topicDeletionDisabled: "Topic deletion is disabled."
        default: nil
        }
    }
}

extension BrokerError {
    /// The replication domain's errors, one for one. A legacy message set from a writer that must send magic 2 is
    /// INVALID_RECORD; the Produce handler words its message with the request version.
    init(_ error: ReplicationError) {
        switch error {
        case .unknownTopicOrPartition: self = .unknownTopicOrPartition
        case .notLeaderOrFollower: self = .notLeaderOrFollower
        case .fencedLeaderEpoch: self = .fencedLeaderEpoch
        case .unknownLeaderEpoch: self = .unknownLeaderEpoch
        case .offsetOutOfRange: self = .offsetOutOfRange
        case .offsetNotAvailable: self = .offsetNotAvailable
        case .invalidTopic(let m): self = .invalidTopic(m)
        case .notEnoughReplicas: self = .notEnoughReplicas
        case .notEnoughReplicasAfterAppend: self = .notEnoughReplicasAfterAppend
        case .requestTimedOut: self = .requestTimedOut
        case .corruptMessage(let m): self = .corruptMessage(m)
        case .messageTooLarge(let m): self = .messageTooLarge(m)
        case .recordListTooLarge(let m): self = .recordListTooLarge(m)
        case .invalidRecord(let m): self = .invalidRecord(m)
        case .legacyRecordFormatNotAccepted: self = .invalidRecord("record batch magic 2 required")
        case .invalidTimestamp(let m): self = .invalidTimestamp(m)
        case .unsupportedCompressionType: self = .unsupportedCompressionType
        case .outOfOrderSequence(let m): self = .outOfOrderSequence(m)
        case .invalidProducerEpoch: self = .invalidProducerEpoch
        case .invalidTxnState: self = .invalidTxnState
        case .transactionCoordinatorFenced: self = .transactionCoordinatorFenced
        case .unknownProducerId: self = .unknownProducerId
        case .duplicateSequence: self = .duplicateSequence
        case .storage(let m): self = .storage(m)
        case .staleControllerEpoch: self = .staleControllerEpoch
        case .invalidRequiredAcks: self = .invalidRequiredAcks
        case .unknownServerError(let m): self = .unknownServerError(m)
        }
    }
}

extension ErrorCode {
    /// The one place where broker errors become Kafka error codes.
    init(_ error: BrokerError) {
        switch error {
        case .unknownTopicOrPartition: self = .unknownTopicOrPartition
        case .unknownTopicId: self = .unknownTopicId
        case .notLeaderOrFollower: self = .notLeaderOrFollower
        case .leaderNotAvailable: self = .leaderNotAvailable
        case .fencedLeaderEpoch: self = .fencedLeaderEpoch
        case .unknownLeaderEpoch: self = .unknownLeaderEpoch
        case .offsetOutOfRange: self = .offsetOutOfRange
        case .offsetNotAvailable: self = .offsetNotAvailable
        case .invalidTopic: self = .invalidTopicException
        case .topicAlreadyExists: self = .topicAlreadyExists
        case .invalidPartitions: self = .invalidPartitions
        case .invalidReplicationFactor: self = .invalidReplicationFactor
        case .invalidReplicaAssignment: self = .invalidReplicaAssignment
        case .invalidConfig: self = .invalidConfig
        case .invalidRequest: self = .invalidRequest
        case .topicDeletionDisabled: self = .topicDeletionDisabled
        case .notEnoughReplicas: self = .notEnoughReplicas
        case .notEnoughReplicasAfterAppend: self = .notEnoughReplicasAfterAppend
        case .requestTimedOut: self = .requestTimedOut
        case .corruptMessage: self = .corruptMessage
        case .messageTooLarge: self = .messageTooLarge
        case .recordListTooLarge: self = .recordListTooLarge
        case .invalidRecord: self = .invalidRecord
        case .invalidTimestamp: self = .invalidTimestamp
        case .unsupportedCompressionType: self = .unsupportedCompressionType
        case .outOfOrderSequence: self = .outOfOrderSequenceNumber
        case .invalidProducerEpoch: self = .invalidProducerEpoch
        case .invalidTxnState: self = .invalidTxnState
        case .transactionCoordinatorFenced: self = .transactionCoordinatorFenced
        case .unknownProducerId: self = .unknownProducerId
        case .duplicateSequence: self = .duplicateSequenceNumber
        case .storage: self = .kafkaStorageError
        case .coordinatorNotAvailable: self = .coordinatorNotAvailable
        case .notController: self = .notController
        case .staleControllerEpoch: self = .staleControllerEpoch
        case .staleBrokerEpoch: self = .staleBrokerEpoch
        case .unsupportedVersion: self = .unsupportedVersion
        case .invalidRequiredAcks: self = .invalidRequiredAcks
        case .unknownServerError: self = .unknownServerError
        }
    }

    /// Replication errors, through their broker error.
    init(_ error: ReplicationError) { self.init(BrokerError(error)) }

    /// A fetch request's session refused (KIP-227); the response's top-level error code.
    init(_ error: FetchSessionError) {
        switch error {
        case .sessionIdNotFound: self = .fetchSessionIdNotFound
        case .invalidEpoch: self = .invalidFetchSessionEpoch
        case .topicIdMismatch: self = .fetchSessionTopicIdError
        }
    }

    /// Any error thrown inside a handler: broker and replication errors map exactly, anything else is
    /// UNKNOWN_SERVER_ERROR.
    init(_ error: any Error) {
        if let e = error as? BrokerError {
            self.init(e)
        } else if let e = error as? ReplicationError {
            self.init(BrokerError(e))
        } else {
            self = .unknownServerError
        }
    }
}

extension Error {
    /// Text for the response's error message field, when the error carries one.
    var message: String? {
        if let e = self as? ReplicationError { return BrokerError(e).message }
        return (self as? BrokerError)?.message
    }
}
