import KafkaProtocol

/// One API served by two handlers, chosen by the listener the request came through: on a combined KRaft node the
/// controller listeners reach the controller's handler (Kafka's `ControllerApis`, where brokers forward admin
/// writes), every other listener the broker's (`KafkaApis`). Both must serve the same versions.
struct ListenerSplitHandler<Broker: APIHandler, Controller: APIHandler>: APIHandler
where Broker.Request == Controller.Request {
    typealias Request = Broker.Request
    let broker: Broker
    let controller: Controller
    let controllerListeners: Set<String>
    var versions: ClosedRange<Int16> { broker.versions }

    func handle(_ request: Request, context: RequestContext) async -> Request.Response? {
        if controllerListeners.contains(context.client.listenerName) {
            return await controller.handle(request, context: context)
        }
        return await broker.handle(request, context: context)
    }
}
