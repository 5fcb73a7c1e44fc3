import Controller
import Coordination
import KafkaProtocol
import NIOPosix
import Synchronization
import Testing

@testable import Broker

private final class Received: Sendable {
    let epochs = Mutex<[Int32]>([])
}

/// Records the controller epochs of the UpdateMetadata requests it receives, in arrival order.
private struct RecordingUpdateMetadataHandler: APIHandler {
    typealias Request = UpdateMetadataRequest
    let versions: ClosedRange<Int16> = 0...7
    let received: Received

    func handle(_ request: UpdateMetadataRequest, context: RequestContext) async -> UpdateMetadataResponse? {
        received.epochs.withLock { $0.append(request.controllerEpoch) }
        return UpdateMetadataResponse()
    }
}

private final class RouterBox: Sendable {
    let router = Mutex<RequestRouter?>(nil)
}

@Suite("controller channel manager", .timeLimit(.minutes(1)))
struct ControllerChannelManagerTests {
    @Test func requestsToOneBrokerArriveInQueueOrderAndUnservedApisAreDropped() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let received = Received()
        let box = RouterBox()
        let router = RequestRouter(
            routes: [
                Route(
                    handler: ApiVersionsHandler(advertised: { box.router.withLock { $0 }?.advertisedVersions ?? [] })),
                Route(handler: RecordingUpdateMetadataHandler(received: received)),
            ],
            logger: .init(label: "test"))
        box.router.withLock { $0 = router }
        let server = try await KafkaServer.start(
            listeners: [(name: "PLAINTEXT", host: "127.0.0.1", port: 0, security: nil)], maxFrameSize: 1 << 20,
            router: router,
            logger: .init(label: "test"), group: group)
        let port = Int32(server.boundPorts[0])
        let channel = ControllerChannelManager(
            controllerId: 1, listener: "PLAINTEXT", requestTimeoutMs: 5000, group: group, logger: .init(label: "test"))
        channel.addBroker(
            ControllerBroker(
                id: 2, epoch: 5,
                endpoints: [
                    BrokerEndpoint(
                        listenerName: "PLAINTEXT", host: "127.0.0.1", port: port, securityProtocol: "PLAINTEXT")
                ]))

        let (answers, sink) = AsyncStream.makeStream(of: (Int32, Bool).self)
        for epoch: Int32 in 1...20 {
            var request = UpdateMetadataRequest()
            request.controllerEpoch = epoch
            channel.send(.updateMetadata(request), to: 2) { response in sink.yield((epoch, response != nil)) }
        }
        channel.send(.stopReplica(StopReplicaRequest()), to: 2) { response in sink.yield((-1, response != nil)) }
        channel.send(.stopReplica(StopReplicaRequest()), to: 9) { response in sink.yield((-9, response != nil)) }

        var results: [Int32: Bool] = [:]
        for await (key, answered) in answers {
            results[key] = answered
            if results.count == 22 { break }
        }
        #expect(received.epochs.withLock { $0 } == Array(1...20))
        #expect((1...20).allSatisfy { results[Int32($0)] == true })
        // The test server does not serve StopReplica; broker 9 is unknown: both complete without an answer.
        #expect(results[-1] == false && results[-9] == false)

        channel.close()
        await server.close()
        try await group.shutdownGracefully()
    }

    @Test func aRemovedBrokersQueuedRequestsCompleteWithoutAnAnswer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel = ControllerChannelManager(
            controllerId: 1, listener: "PLAINTEXT", requestTimeoutMs: 2000, group: group, logger: .init(label: "test"))
        // Nothing listens on port 1: the queue keeps retrying until the broker is removed.
        channel.addBroker(
            ControllerBroker(
                id: 3, epoch: 1,
                endpoints: [
                    BrokerEndpoint(listenerName: "PLAINTEXT", host: "127.0.0.1", port: 1, securityProtocol: "PLAINTEXT")
                ]))
        let (answers, sink) = AsyncStream.makeStream(of: Bool.self)
        for _ in 0..<3 {
            channel.send(.updateMetadata(UpdateMetadataRequest()), to: 3) { sink.yield($0 != nil) }
        }
        channel.removeBroker(3)
        var outcomes: [Bool] = []
        for await answered in answers {
            outcomes.append(answered)
            if outcomes.count == 3 { break }
        }
        #expect(outcomes == [false, false, false])
        try await group.shutdownGracefully()
    }
}
