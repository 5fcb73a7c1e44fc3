import KafkaProtocol
import Testing

@testable import Broker

/// A handler that answers with a marker, so a test sees which side served the request.
private struct Marking: APIHandler {
    typealias Request = AllocateProducerIdsRequest
    let versions: ClosedRange<Int16> = 0...0
    let mark: Int64

    func handle(_ request: AllocateProducerIdsRequest, context: RequestContext) async -> AllocateProducerIdsResponse? {
        AllocateProducerIdsResponse(producerIdStart: mark)
    }
}

@Suite("listener split handler")
struct ListenerSplitHandlerTests {
    private func served(on listener: String) async -> Int64? {
        let split = ListenerSplitHandler(
            broker: Marking(mark: 1), controller: Marking(mark: 2), controllerListeners: ["CONTROLLER"])
        let context = RequestContext(
            header: RequestHeader(apiKey: 67, apiVersion: 0, correlationId: 1, clientId: "raft-client-2"),
            client: ClientInfo(address: "/127.0.0.1", listenerName: listener))
        return await split.handle(AllocateProducerIdsRequest(), context: context)?.producerIdStart
    }

    @Test("a request on a controller listener reaches the controller's handler, any other the broker's")
    func picksBySourceListener() async {
        #expect(await served(on: "CONTROLLER") == 2)
        #expect(await served(on: "PLAINTEXT") == 1)
        #expect(await served(on: "SASL_SSL") == 1)
    }
}
