import KafkaFraming
import KafkaProtocol
import KafkaRecords
import NIOCore
import NIOPosix
import Synchronization

@testable import KafkaClient

/// In-process Kafka brokers that answer just enough of the protocol (ApiVersions, Metadata, InitProducerId,
/// Produce, Fetch, ListOffsets) for the client's cluster behaviour to be tested: leadership lives in one shared
/// `State`, and scripted hooks move it while a request is answered, as a controller would.
final class FakeCluster: Sendable {
    struct State {
        /// Broker id → port. Brokers in `down` are listed by Metadata (stale view) but not listening.
        var ports: [Int32: Int] = [:]
        var down: Set<Int32> = []
        var leaders: [TopicPartition: Int32] = [:]
        var partitionCount: [String: Int32] = [:]
        /// Records per partition, kept as (base offset, batch bytes) at every broker alike.
        var batches: [TopicPartition: [(Int64, [UInt8])]] = [:]
        var nextOffset: [TopicPartition: Int64] = [:]
        /// Every Produce batch a broker received: (broker, partition, bytes).
        var produced: [(Int32, TopicPartition, [UInt8])] = []
        /// Every Fetch a broker received: (broker, partition, fetch offset).
        var fetched: [(Int32, TopicPartition, Int64)] = []
        var metadataAnswers = 0
        /// When a broker receives Produce/Fetch for a partition: move leadership to `to` and answer this error.
        var onProduce: [Int32: (to: Int32, error: ErrorCode)] = [:]
        var onFetch: [Int32: (to: Int32, error: ErrorCode)] = [:]
        /// After this many Metadata answers, leadership of every partition moves to `to`.
        var moveAfterMetadata: (answers: Int, to: Int32)?
    }

    let state = Mutex(State())
    private let servers = Mutex<[Int32: any Channel]>([:])

    /// Starts brokers `ids` on free ports (ids in `down` get a port nobody listens on).
    static func start(brokers ids: [Int32], down: Set<Int32> = []) async throws -> FakeCluster {
        let cluster = FakeCluster()
        for id in ids {
            let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { child in
                    child.eventLoop.makeCompletedFuture {
                        try child.pipeline.syncOperations.addHandler(
                            ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: Int(Int32.max))))
                        try child.pipeline.syncOperations.addHandler(FakeBrokerHandler(id: id, cluster: cluster))
                    }
                }
                .bind(host: "127.0.0.1", port: 0).get()
            let port = channel.localAddress?.port ?? 0
            cluster.state.withLock { $0.ports[id] = port }
            if down.contains(id) {
                try await channel.close()
                cluster.state.withLock { _ = $0.down.insert(id) }
            } else {
                cluster.servers.withLock { $0[id] = channel }
            }
        }
        return cluster
    }

    func stop() async {
        let channels = servers.withLock { s in
            let all = Array(s.values)
            s = [:]
            return all
        }
        for c in channels { try? await c.close() }
    }

    func bootstrap(_ id: Int32) -> BrokerAddress {
        BrokerAddress(host: "127.0.0.1", port: state.withLock { $0.ports[id] ?? 0 })
    }

    func createTopic(_ name: String, partitions: Int32, leader: Int32) {
        state.withLock { s in
            s.partitionCount[name] = partitions
            for p in 0..<partitions { s.leaders[TopicPartition(name, p)] = leader }
        }
    }

    /// Appends records (values) to a partition's log.
    func append(_ tp: TopicPartition, values: [String]) {
        state.withLock { s in
            let base = s.nextOffset[tp, default: 0]
            var builder = RecordBatchBuilder(baseOffset: base)
            for v in values { builder.append(timestamp: 1_700_000_000_000, key: nil, value: Array(v.utf8)) }
            s.batches[tp, default: []].append((base, try! builder.build()))
            s.nextOffset[tp] = base + Int64(values.count)
        }
    }

    // MARK: Answering

    func answer(broker id: Int32, frame: [UInt8]) -> [UInt8]? {
        var peek = ProtocolReader(frame)
        guard let (key, version, correlationId) = try? RequestHeader.peek(&peek),
            let api = APIKey(rawValue: key)
        else { return nil }
        switch api {
        case .apiVersions:
            return reply(ApiVersionsRequest.self, frame, version, correlationId) { _ in
                ApiVersionsResponse(apiKeys: [
                    .init(apiKey: APIKey.apiVersions.rawValue, minVersion: 0, maxVersion: 3),
                    .init(apiKey: APIKey.metadata.rawValue, minVersion: 0, maxVersion: 12),
                    .init(apiKey: APIKey.produce.rawValue, minVersion: 3, maxVersion: 9),
                    .init(apiKey: APIKey.fetch.rawValue, minVersion: 4, maxVersion: 12),
                    .init(apiKey: APIKey.listOffsets.rawValue, minVersion: 1, maxVersion: 7),
                    .init(apiKey: APIKey.initProducerId.rawValue, minVersion: 0, maxVersion: 4),
                ])
            }
        case .metadata:
            return reply(MetadataRequest.self, frame, version, correlationId) { self.metadata($0) }
        case .initProducerId:
            return reply(InitProducerIdRequest.self, frame, version, correlationId) { _ in
                var r = InitProducerIdResponse()
                r.producerId = 7
                r.producerEpoch = 0
                return r
            }
        case .produce:
            return reply(ProduceRequest.self, frame, version, correlationId) { self.produce($0, at: id) }
        case .fetch:
            return reply(FetchRequest.self, frame, version, correlationId) { self.fetch($0, at: id) }
        default:
            return nil
        }
    }

    private func reply<R: KafkaRequest>(
        _: R.Type, _ frame: [UInt8], _ version: Int16, _ correlationId: Int32, _ body: (R) -> R.Response
    ) -> [UInt8]? {
        var r = ProtocolReader(frame)
        guard (try? RequestHeader(reading: &r, headerVersion: R.requestHeaderVersion(version))) != nil,
            let request = try? R(reading: &r, version: version)
        else { return nil }
        var w = ProtocolWriter()
        ResponseHeader(correlationId: correlationId).write(to: &w, headerVersion: R.responseHeaderVersion(version))
        body(request).write(to: &w, version: version)
        return w.bytes
    }

    private func metadata(_ request: MetadataRequest) -> MetadataResponse {
        state.withLock { s in
            s.metadataAnswers += 1
            if let move = s.moveAfterMetadata, s.metadataAnswers > move.answers {
                for tp in s.leaders.keys { s.leaders[tp] = move.to }
                s.moveAfterMetadata = nil
            }
            var response = MetadataResponse()
            response.controllerId = 1
            response.clusterId = "fake"
            response.brokers = s.ports.keys.sorted().map {
                .init(nodeId: $0, host: "127.0.0.1", port: Int32(s.ports[$0] ?? 0))
            }
            let names = request.topics?.compactMap(\.name) ?? Array(s.partitionCount.keys)
            response.topics = names.sorted().map { name in
                var t = MetadataResponse.MetadataResponseTopic()
                t.name = name
                guard let count = s.partitionCount[name] else {
                    t.errorCode = ErrorCode.unknownTopicOrPartition.rawValue
                    return t
                }
                t.partitions = (0..<count).map { p in
                    var m = MetadataResponse.MetadataResponsePartition()
                    m.partitionIndex = p
                    m.leaderId = s.leaders[TopicPartition(name, p)] ?? -1
                    m.leaderEpoch = 0
                    m.replicaNodes = s.ports.keys.sorted()
                    m.isrNodes = m.replicaNodes
                    return m
                }
                return t
            }
            return response
        }
    }

    private func produce(_ request: ProduceRequest, at id: Int32) -> ProduceResponse {
        state.withLock { s in
            var response = ProduceResponse()
            response.responses = request.topicData.map { t in
                var topic = ProduceResponse.TopicProduceResponse()
                topic.name = t.name
                topic.partitionResponses = t.partitionData.map { p in
                    let tp = TopicPartition(t.name, p.index)
                    let bytes = p.records ?? []
                    s.produced.append((id, tp, bytes))
                    var out = ProduceResponse.PartitionProduceResponse()
                    out.index = p.index
                    if let hook = s.onProduce.removeValue(forKey: id) {
                        s.leaders[tp] = hook.to
                        out.errorCode = hook.error.rawValue
                        return out
                    }
                    guard s.leaders[tp] == id else {
                        out.errorCode = ErrorCode.notLeaderOrFollower.rawValue
                        return out
                    }
                    let count = bytes.withUnsafeBytes { raw -> Int64 in
                        var it = RecordBatchIterator(raw)
                        var n: Int64 = 0
                        while let e = it.next() { n += Int64(e.header.recordsCount) }
                        return n
                    }
                    let base = s.nextOffset[tp, default: 0]
                    s.batches[tp, default: []].append((base, bytes))
                    s.nextOffset[tp] = base + count
                    out.baseOffset = base
                    return out
                }
                return topic
            }
            return response
        }
    }

    private func fetch(_ request: FetchRequest, at id: Int32) -> FetchResponse {
        state.withLock { s in
            var response = FetchResponse()
            response.responses = request.topics.map { t in
                var topic = FetchResponse.FetchableTopicResponse()
                topic.topic = t.topic
                topic.partitions = t.partitions.map { p in
                    let tp = TopicPartition(t.topic, p.partition)
                    s.fetched.append((id, tp, p.fetchOffset))
                    var out = FetchResponse.PartitionData()
                    out.partitionIndex = p.partition
                    out.highWatermark = s.nextOffset[tp, default: 0]
                    if let hook = s.onFetch.removeValue(forKey: id) {
                        s.leaders[tp] = hook.to
                        out.errorCode = hook.error.rawValue
                        return out
                    }
                    guard s.leaders[tp] == id else {
                        out.errorCode = ErrorCode.notLeaderOrFollower.rawValue
                        return out
                    }
                    var bytes: [UInt8] = []
                    for (base, batch) in s.batches[tp, default: []] where base >= p.fetchOffset { bytes += batch }
                    out.records = bytes.isEmpty ? .empty : .bytes(bytes)
                    return out
                }
                return topic
            }
            return response
        }
    }
}

final class FakeBrokerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let id: Int32
    let cluster: FakeCluster

    init(id: Int32, cluster: FakeCluster) {
        self.id = id
        self.cluster = cluster
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let frame = buffer.readBytes(length: buffer.readableBytes) ?? []
        guard let reply = cluster.answer(broker: id, frame: frame) else { return }
        var out = context.channel.allocator.buffer(capacity: reply.count + 4)
        out.writeInteger(Int32(reply.count))
        out.writeBytes(reply)
        context.writeAndFlush(wrapOutboundOut(out), promise: nil)
    }
}
