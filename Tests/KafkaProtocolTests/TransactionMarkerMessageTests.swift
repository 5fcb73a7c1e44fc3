import Testing

@testable import KafkaProtocol

/// WriteTxnMarkers (the coordinator-to-leader boundary) and DescribeProducers, laid out from Kafka's message
/// definitions: one hand-built vector per shape, re-encoded byte for byte, plus a round trip at every version.
@Suite("WriteTxnMarkers and DescribeProducers wire formats")
struct TransactionMarkerMessageTests {
    static let markersRequest = WriteTxnMarkersRequest(markers: [
        .init(
            producerId: 4000, producerEpoch: 3, transactionResult: true,
            topics: [.init(name: "orders", partitionIndexes: [0, 2])], coordinatorEpoch: 7),
        .init(producerId: 4001, producerEpoch: 0, transactionResult: false, topics: [], coordinatorEpoch: 1),
    ])

    static let markersResponse = WriteTxnMarkersResponse(markers: [
        .init(
            producerId: 4000,
            topics: [
                .init(
                    name: "orders",
                    partitions: [.init(partitionIndex: 0, errorCode: 0), .init(partitionIndex: 2, errorCode: 6)])
            ])
    ])

    static let producersRequest = DescribeProducersRequest(topics: [.init(name: "orders", partitionIndexes: [1])])

    static let producersResponse = DescribeProducersResponse(
        throttleTimeMs: 3,
        topics: [
            .init(
                name: "orders",
                partitions: [
                    .init(
                        partitionIndex: 1, errorCode: 0, errorMessage: nil,
                        activeProducers: [
                            .init(
                                producerId: 9, producerEpoch: 2, lastSequence: 41, lastTimestamp: 1_700_000_000_000,
                                coordinatorEpoch: 5, currentTxnStartOffset: 120)
                        ]),
                    .init(partitionIndex: 2, errorCode: 6, errorMessage: "not leader", activeProducers: []),
                ])
        ])

    @Test("a WriteTxnMarkers v0 request is int64 pid, int16 epoch, bool result, topics, int32 coordinator epoch")
    func writeTxnMarkersV0Layout() throws {
        let bytes = hex(
            """
            00000001                 # markers: 1
            0000000000000fa0         #   producerId 4000
            0003                     #   producerEpoch 3
            01                       #   transactionResult COMMIT
            00000001                 #   topics: 1
            0006 6f7264657273        #     name "orders"
            00000002 00000000 00000002  # partitionIndexes [0, 2]
            00000007                 #   coordinatorEpoch 7
            """)
        try checkVector(WriteTxnMarkersRequest.self, version: 0, bytes) { request in
            #expect(request.markers.count == 1)
            #expect(request.markers[0].producerId == 4000)
            #expect(request.markers[0].producerEpoch == 3)
            #expect(request.markers[0].transactionResult)
            #expect(request.markers[0].topics == [.init(name: "orders", partitionIndexes: [0, 2])])
            #expect(request.markers[0].coordinatorEpoch == 7)
        }
    }

    @Test("a WriteTxnMarkers v1 request uses compact arrays and strings and ends structs with tagged fields")
    func writeTxnMarkersV1Layout() throws {
        let bytes = hex(
            """
            02                       # markers: 1 (compact)
            0000000000000fa0         #   producerId 4000
            0003                     #   producerEpoch 3
            00                       #   transactionResult ABORT
            02                       #   topics: 1
            07 6f7264657273          #     name "orders"
            02 00000001              #     partitionIndexes [1]
            00                       #     tagged fields
            00000007                 #   coordinatorEpoch 7
            00                       #   tagged fields
            00                       # tagged fields
            """)
        try checkVector(WriteTxnMarkersRequest.self, version: 1, bytes) { request in
            #expect(request.markers.first?.transactionResult == false)
            #expect(request.markers.first?.topics.first?.partitionIndexes == [1])
        }
    }

    @Test("WriteTxnMarkers round-trips at versions 0-1")
    func writeTxnMarkersRoundTrip() throws {
        try expectRoundTrips(Self.markersRequest, versions: WriteTxnMarkersRequest.versions)
        try expectRoundTrips(Self.markersResponse, versions: WriteTxnMarkersRequest.versions)
    }

    @Test("a DescribeProducers v0 producer carries an int32 epoch and -1 defaults")
    func describeProducersLayout() throws {
        let bytes = hex(
            """
            00000000                 # throttleTimeMs
            02                       # topics: 1
            07 6f7264657273          #   name "orders"
            02                       #   partitions: 1
            00000001                 #     partitionIndex 1
            0000                     #     errorCode
            00                       #     errorMessage null
            02                       #     activeProducers: 1
            0000000000000009         #       producerId 9
            00000002                 #       producerEpoch 2 (int32)
            ffffffff                 #       lastSequence -1
            ffffffffffffffff         #       lastTimestamp -1
            00000000                 #       coordinatorEpoch 0
            ffffffffffffffff         #       currentTxnStartOffset -1
            00 00 00 00              #       tagged fields (producer, partition, topic, response)
            """)
        try checkVector(DescribeProducersResponse.self, version: 0, bytes) { response in
            let producer = response.topics.first?.partitions.first?.activeProducers.first
            #expect(producer == .init(producerId: 9, producerEpoch: 2))
            #expect(response.topics.first?.partitions.first?.errorMessage == nil)
        }
    }

    @Test("DescribeProducers round-trips at version 0")
    func describeProducersRoundTrip() throws {
        try expectRoundTrips(Self.producersRequest, versions: DescribeProducersRequest.versions)
        try expectRoundTrips(Self.producersResponse, versions: DescribeProducersRequest.versions)
    }
}
