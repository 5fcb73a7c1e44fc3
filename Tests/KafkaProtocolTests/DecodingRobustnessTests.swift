import TestSupport
import Testing

@testable import KafkaProtocol

@Suite("decoding is robust against unknown tags and bad input")
struct DecodingRobustnessTests {
    @Test("an unknown tagged field is skipped at the top level")
    func unknownTopLevelTagIsSkipped() throws {
        var bytes = ProduceFetchVectorTests.produceRequestV9
        bytes.removeLast()  // the empty top-level tag section
        bytes += hex("01 07 03 aabbcc")  // one field: tag 7, 3 bytes
        let withTag = try decodeAll(ProduceRequest.self, bytes, version: 9)
        let plain = try decodeAll(ProduceRequest.self, ProduceFetchVectorTests.produceRequestV9, version: 9)
        #expect(withTag == plain)
        // Unknown tags are not preserved: re-encoding writes an empty section.
        #expect(withTag.encoded(version: 9) == ProduceFetchVectorTests.produceRequestV9)
    }

    @Test("unknown tags inside nested structs are skipped alongside known ones")
    func unknownNestedTagIsSkipped() throws {
        let bytes = hex(
            """
            00000000 0000 00000000      # throttle, error, session
            02 02 74 02                 # responses: 1, topic "t", partitions: 1
            00000000 0000               #   partition 0, error 0
            0000000000000001            #   high_watermark 1
            0000000000000001            #   last_stable_offset 1
            0000000000000000            #   log_start_offset 0
            00                          #   aborted_transactions: null
            ffffffff                    #   preferred_read_replica
            01                          #   records: empty
            02                          #   tags: 2 fields
            01 09 00000004 00000006 00  #     tag 1 current_leader (4, 6)
            05 02 beef                  #     tag 5 unknown, 2 bytes
            01 09 00                    # topic tags: 1 unknown field (tag 9, 0 bytes)
            00                          # tags
            """)
        let r = try decodeAll(FetchResponse.self, bytes, version: 12)
        let p = r.responses.first?.partitions.first
        #expect(p?.currentLeader == .init(leaderId: 4, leaderEpoch: 6))
        #expect(p?.abortedTransactions == nil)
        #expect(r.responses.first?.topic == "t")
    }

    @Test("tagged fields holding their default value are not written")
    func defaultTaggedFieldsAreOmitted() {
        let partition = ProduceResponse.PartitionProduceResponse(index: 0)
        let bytes = ProduceResponse(responses: [.init(name: "t", partitionResponses: [partition])]).encoded(version: 10)
        // ... error_message null, partition tags 0, topic tags 0, throttle, top tags 0
        #expect(Array(bytes.suffix(8)) == [0x00, 0x00, 0x00, 0, 0, 0, 0, 0x00])

        let request = FetchRequest(topics: [.init(topicId: sampleTopicId, partitions: [.init()])])
        let fetchBytes = request.encoded(version: 17)
        #expect(fetchBytes.last == 0x00)  // no cluster id, default replica state: empty section
        let created = CreateTopicsResponse(topics: [.init(name: "t")]).encoded(version: 5)
        #expect(Array(created.suffix(2)) == [0x00, 0x00])
    }

    @Test("a truncated tagged field throws instead of reading past its end")
    func truncatedTaggedFieldThrows() {
        var bytes = ProduceFetchVectorTests.produceRequestV9
        bytes.removeLast()
        bytes += hex("01 07 05 aabb")  // claims 5 bytes, has 2
        #expect(throws: ProtocolError.self) { try ProduceRequest(decoding: bytes, version: 9) }
    }

    @Test("absurd array counts and string lengths throw")
    func absurdLengthsThrow() {
        #expect(throws: ProtocolError.self) { try MetadataRequest(decoding: hex("7fffffff"), version: 1) }
        #expect(throws: ProtocolError.self) { try MetadataRequest(decoding: hex("fffffffe"), version: 1) }
        #expect(throws: ProtocolError.self) { try SaslHandshakeRequest(decoding: hex("7fff 41"), version: 1) }
        #expect(throws: ProtocolError.self) { try SaslAuthenticateRequest(decoding: hex("ffffffffff0f"), version: 2) }
        #expect(throws: ProtocolError.self) { try FetchResponse(decoding: hex("00000000 7fffffff"), version: 4) }
    }

    @Test("random and mutated input never traps any decoder at any version")
    func fuzzNeverTraps() {
        var rng = SplitMix64(state: 0x6E65_6564_6C65)
        let decoders: [(String, ClosedRange<Int16>, ([UInt8], Int16) throws -> Void)] = [
            ("ProduceRequest", ProduceRequest.versions, { _ = try ProduceRequest(decoding: $0, version: $1) }),
            ("ProduceResponse", ProduceRequest.versions, { _ = try ProduceResponse(decoding: $0, version: $1) }),
            ("FetchRequest", FetchRequest.versions, { _ = try FetchRequest(decoding: $0, version: $1) }),
            ("FetchResponse", FetchRequest.versions, { _ = try FetchResponse(decoding: $0, version: $1) }),
            (
                "ListOffsetsRequest", ListOffsetsRequest.versions,
                { _ = try ListOffsetsRequest(decoding: $0, version: $1) }
            ),
            ("MetadataRequest", MetadataRequest.versions, { _ = try MetadataRequest(decoding: $0, version: $1) }),
            ("MetadataResponse", MetadataRequest.versions, { _ = try MetadataResponse(decoding: $0, version: $1) }),
            (
                "CreateTopicsRequest", CreateTopicsRequest.versions,
                { _ = try CreateTopicsRequest(decoding: $0, version: $1) }
            ),
            (
                "DescribeConfigsResponse", DescribeConfigsRequest.versions,
                { _ = try DescribeConfigsResponse(decoding: $0, version: $1) }
            ),
        ]
        let seeds: [[UInt8]] = [
            Samples.produceRequest.encoded(version: 9), Samples.fetchRequest.encoded(version: 12),
            Samples.fetchResponse.encoded(version: 16), Samples.metadataResponse.encoded(version: 9),
            Samples.createTopicsRequest.encoded(version: 5),
        ]
        var decodedCount = 0
        for (_, versions, decode) in decoders {
            for version in versions {
                for round in 0..<40 {
                    var input: [UInt8]
                    if round % 2 == 0 {
                        input = (0..<Int.random(in: 0...64, using: &rng)).map { _ in
                            UInt8.random(in: 0...255, using: &rng)
                        }
                    } else {
                        input = seeds[round / 2 % seeds.count]
                        for _ in 0..<3 {
                            input[Int.random(in: 0..<input.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                        }
                    }
                    if (try? decode(input, version)) != nil { decodedCount += 1 }
                }
            }
        }
        // Reaching here means nothing trapped; some mutated inputs still decode, which is fine.
        #expect(decodedCount >= 0)
    }
}

@Suite("Kafka error codes")
struct ErrorCodeTests {
    @Test("error codes carry Kafka's numbers and names")
    func numbersAndNames() {
        #expect(ErrorCode.allCases.count == 128)
        #expect(ErrorCode(rawValue: -1) == .unknownServerError)
        #expect(ErrorCode.noError.rawValue == 0)
        #expect(ErrorCode.noError.name == "NONE")
        #expect(ErrorCode.unknownTopicOrPartition.rawValue == 3)
        #expect(ErrorCode.notLeaderOrFollower.name == "NOT_LEADER_OR_FOLLOWER")
        #expect(ErrorCode.unsupportedVersion.rawValue == 35)
        #expect(ErrorCode.memberIdRequired.rawValue == 79)
        #expect(ErrorCode.producerFenced.rawValue == 90)
        #expect(ErrorCode.unknownTopicId.rawValue == 100)
        #expect(ErrorCode.voterNotFound.rawValue == 127)
        #expect(ErrorCode(rawValue: 99) == nil)
        #expect(Set(ErrorCode.allCases.map(\.name)).count == ErrorCode.allCases.count)
    }

    @Test("retriable errors are the ones clients retry after a metadata refresh")
    func retriable() {
        for code in [
            ErrorCode.unknownTopicOrPartition, .leaderNotAvailable, .notLeaderOrFollower, .requestTimedOut,
            .notEnoughReplicas, .coordinatorLoadInProgress, .notCoordinator, .notController, .fencedLeaderEpoch,
        ] {
            #expect(code.isRetriable, "\(code)")
        }
        for code in [
            ErrorCode.noError, .unknownServerError, .offsetOutOfRange, .messageTooLarge, .topicAlreadyExists,
            .invalidReplicationFactor, .rebalanceInProgress, .unknownMemberId, .saslAuthenticationFailed,
        ] {
            #expect(!code.isRetriable, "\(code)")
        }
    }
}
