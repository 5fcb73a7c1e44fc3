import KafkaProtocol
import Replication
import Testing

@testable import Broker

@Suite("replication error codes")
struct ReplicationErrorMappingTests {
    @Test("every replication error reaches the wire as the Kafka error code it had inside Broker")
    func codes() {
        let expected: [(ReplicationError, ErrorCode)] = [
            (.unknownTopicOrPartition, .unknownTopicOrPartition), (.notLeaderOrFollower, .notLeaderOrFollower),
            (.fencedLeaderEpoch, .fencedLeaderEpoch), (.unknownLeaderEpoch, .unknownLeaderEpoch),
            (.offsetOutOfRange, .offsetOutOfRange), (.offsetNotAvailable, .offsetNotAvailable),
            (.invalidTopic("x"), .invalidTopicException),
            (.notEnoughReplicas, .notEnoughReplicas), (.notEnoughReplicasAfterAppend, .notEnoughReplicasAfterAppend),
            (.requestTimedOut, .requestTimedOut), (.corruptMessage("x"), .corruptMessage),
            (.messageTooLarge("x"), .messageTooLarge), (.recordListTooLarge("x"), .recordListTooLarge),
            (.invalidRecord("x"), .invalidRecord), (.legacyRecordFormatNotAccepted, .invalidRecord),
            (.invalidTimestamp("x"), .invalidTimestamp), (.unsupportedCompressionType, .unsupportedCompressionType),
            (.outOfOrderSequence("x"), .outOfOrderSequenceNumber), (.invalidProducerEpoch, .invalidProducerEpoch),
            (.unknownProducerId, .unknownProducerId), (.duplicateSequence, .duplicateSequenceNumber),
            (.storage("x"), .kafkaStorageError), (.staleControllerEpoch, .staleControllerEpoch),
            (.invalidRequiredAcks, .invalidRequiredAcks), (.unknownServerError("x"), .unknownServerError),
        ]
        for (error, code) in expected {
            #expect(ErrorCode(error) == code, "\(error)")
            #expect(ErrorCode(error as any Error) == code, "\(error) as any Error")
        }
    }

    @Test("a replication error's text reaches the response's error message")
    func messages() {
        let error: any Error = ReplicationError.invalidRecord("batch holds no records")
        #expect(error.message == "batch holds no records")
        #expect((ReplicationError.requestTimedOut as any Error).message == nil)
    }
}
