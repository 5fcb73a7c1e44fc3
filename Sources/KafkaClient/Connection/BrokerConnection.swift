import Foundation
import KafkaFraming
import KafkaProtocol
import NIOCore
import NIOPosix
import NIOSSL

/// A host and port of a broker, as written in `--bootstrap-server` lists.
public struct BrokerAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port` (IPv6 as `[::1]:9092`).
    public init(parsing text: String) throws(KafkaClientError) {
        let s = text.trimmingCharacters(in: .whitespaces)
        guard let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]), (1...65535).contains(port)
        else { throw .invalidArgument("invalid broker address '\(text)': expected HOST:PORT") }
        var host = String(s[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw .invalidArgument("invalid broker address '\(text)': empty host") }
        self.host = host
        self.port = port
    }

    /// Parses a comma-separated list.
    public static func list(_ text: String) throws(KafkaClientError) -> [BrokerAddress] {
        var out: [BrokerAddress] = []
        for part in text.split(separator: ",") where !part.trimmingCharacters(in: .whitespaces).isEmpty {
            out.append(try BrokerAddress(parsing: String(part)))
        }
        guard !out.isEmpty else { throw .invalidArgument("no bootstrap servers given") }
        return out
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// One TCP connection to one broker, with the API versions negotiated when it opened.
///
/// Requests may be sent concurrently from any task: they are pipelined on the socket and matched to answers in
/// order. The socket lives on a SwiftNIO event loop; callers only await.
public final class BrokerConnection: Sendable {
    public let address: BrokerAddress
    /// The broker's supported range per API key, from its ApiVersions answer.
    public let brokerVersions: [Int16: ClosedRange<Int16>]
    private let channel: Channel
    private let clientId: String
    private let requestTimeout: TimeAmount

    private init(
        address: BrokerAddress, channel: Channel, clientId: String, requestTimeout: TimeAmount,
        brokerVersions: [Int16: ClosedRange<Int16>]
    ) {
        self.address = address
        self.channel = channel
        self.clientId = clientId
        self.requestTimeout = requestTimeout
        self.brokerVersions = brokerVersions
    }

    /// Opens a connection and negotiates versions (ApiVersions v3, falling back to v0 for old brokers).
    public static func connect(
        to address: BrokerAddress, clientId: String, connectTimeoutMs: Int, requestTimeoutMs: Int,
        security: ClientSecurity? = nil, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws(KafkaClientError) -> BrokerConnection {
        let host = address.host
        let port = address.port
        let tlsContext: NIOSSLContext?
        if let security, security.usesTLS {
            do {
                var tls = security.tls ?? TLSConfiguration.makeClientConfiguration()
                if !security.verifyHostname, case .fullVerification = tls.certificateVerification {
                    tls.certificateVerification = .noHostnameVerification
                }
                tlsContext = try NIOSSLContext(configuration: tls)
            } catch {
                throw .invalidArgument("invalid TLS settings: \(error)")
            }
        } else {
            tlsContext = nil
        }
        let bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.milliseconds(Int64(connectTimeoutMs)))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tlsContext {
                        // SNI only for names; an IP literal is matched against the certificate's IP SANs.
                        let isName = host.contains(where: { $0.isLetter }) && !host.contains(":")
                        try channel.pipeline.syncOperations.addHandler(
                            NIOSSLClientHandler(context: tlsContext, serverHostname: isName ? host : nil))
                    }
                    try channel.pipeline.syncOperations.addHandler(
                        ByteToMessageHandler(KafkaFrameDecoder(maxFrameSize: 512 << 20)))
                    try channel.pipeline.syncOperations.addHandler(RequestPipelineHandler(host: host, port: port))
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.connect(host: host, port: port).get()
        } catch {
            throw .brokerUnreachable(host: host, port: port, reason: Self.describe(error))
        }
        let timeout = TimeAmount.milliseconds(Int64(requestTimeoutMs))
        do {
            let versions = try await negotiate(channel: channel, clientId: clientId, timeout: timeout, address: address)
            if let login = security?.sasl, security?.usesSASL == true {
                let lifetimeMs = try await authenticate(
                    login, channel: channel, clientId: clientId, timeout: timeout, address: address)
                // KIP-368: the broker ends the session after this long; the connection re-authenticates in place.
                if lifetimeMs > 0 {
                    try await addReauthentication(
                        login, channel: channel, clientId: clientId, timeout: timeout, address: address,
                        sessionLifetimeMs: lifetimeMs)
                }
            }
            return BrokerConnection(
                address: address, channel: channel, clientId: clientId, requestTimeout: timeout,
                brokerVersions: versions)
        } catch {
            channel.close(promise: nil)
            throw error
        }
    }

    private static func addReauthentication(
        _ login: ClientSecurity.SaslLogin, channel: Channel, clientId: String, timeout: TimeAmount,
        address: BrokerAddress, sessionLifetimeMs: Int64
    ) async throws(KafkaClientError) {
        do {
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(
                    SaslReauthenticationHandler(
                        login: login, address: address, clientId: clientId, timeout: timeout,
                        sessionLifetimeMs: sessionLifetimeMs))
            }.get()
        } catch {
            throw map(error, channel: channel)
        }
    }

    private static func describe(_ error: any Error) -> String {
        if case ChannelError.connectTimeout = error { return "connect timed out" }
        if let e = error as? NIOConnectionError {
            if let first = e.connectionErrors.first { return "\(first.error)" }
            if let dns = e.dnsAAAAError ?? e.dnsAError { return "cannot resolve host: \(dns)" }
        }
        return "\(error)"
    }

    private static func negotiate(
        channel: Channel, clientId: String, timeout: TimeAmount, address: BrokerAddress
    ) async throws(KafkaClientError) -> [Int16: ClosedRange<Int16>] {
        var response: ApiVersionsResponse
        var request = ApiVersionsRequest(clientSoftwareName: "needletail-swift", clientSoftwareVersion: "0.1.0")
        response = try await raw(
            channel: channel, request, version: 3, clientId: clientId, timeout: timeout, acks: true)!
        if response.errorCode == ErrorCode.unsupportedVersion.rawValue {
            request = ApiVersionsRequest()
            response = try await raw(
                channel: channel, request, version: 0, clientId: clientId, timeout: timeout, acks: true)!
        }
        try KafkaClientError.check(response.errorCode, context: "ApiVersions at \(address)")
        var map: [Int16: ClosedRange<Int16>] = [:]
        for k in response.apiKeys where k.minVersion <= k.maxVersion { map[k.apiKey] = k.minVersion...k.maxVersion }
        return map
    }

    /// Encodes and writes one request; with `acks`, also the future of its response frame (failed if the write
    /// fails).
    private static func write<R: KafkaRequest>(
        channel: Channel, _ request: R, version: Int16, clientId: String, timeout: TimeAmount, capacity: Int = 256,
        acks: Bool
    ) -> (written: EventLoopFuture<Void>, response: EventLoopFuture<ResponseFrame>?) {
        var writer = ProtocolWriter(capacity: capacity)
        request.write(to: &writer, version: version)
        let promise: EventLoopPromise<ResponseFrame>? = acks ? channel.eventLoop.makePromise() : nil
        let outbound = OutboundRequest(
            apiKey: R.apiKey.rawValue, apiVersion: version, requestHeaderVersion: R.requestHeaderVersion(version),
            responseHeaderVersion: R.responseHeaderVersion(version), clientId: clientId, body: writer.bytes,
            response: promise, timeout: timeout)
        let written = channel.eventLoop.makePromise(of: Void.self)
        channel.writeAndFlush(outbound, promise: written)
        if let promise { written.futureResult.whenFailure { promise.fail($0) } }
        return (written.futureResult, promise?.futureResult)
    }

    static func raw<R: KafkaRequest>(
        channel: Channel, _ request: R, version: Int16, clientId: String, timeout: TimeAmount, acks: Bool
    ) async throws(KafkaClientError) -> R.Response? {
        let (written, response) = write(
            channel: channel, request, version: version, clientId: clientId, timeout: timeout, acks: acks)
        guard let response else {
            do { try await written.get() } catch { throw Self.map(error, channel: channel) }
            return nil
        }
        return try await PendingResponse<R>(frame: response, channel: channel, version: version).response()
    }

    fileprivate static func map(_ error: any Error, channel: Channel) -> KafkaClientError {
        if let e = error as? KafkaClientError { return e }
        let address = channel.remoteAddress
        return .connectionClosed(host: address?.ipAddress ?? "?", port: address?.port ?? 0)
    }

    /// The version this client uses for `R` with this broker: the highest both sides support.
    public func version<R: KafkaRequest>(for _: R.Type) throws(KafkaClientError) -> Int16 {
        guard let broker = brokerVersions[R.apiKey.rawValue] else {
            throw .unsupportedAPI(R.apiKey, host: address.host, port: address.port)
        }
        let high = min(broker.upperBound, R.versions.upperBound)
        let low = max(broker.lowerBound, R.versions.lowerBound)
        guard low <= high else { throw .unsupportedAPI(R.apiKey, host: address.host, port: address.port) }
        return high
    }

    /// Sends a request at the negotiated version (or `version` when given) and awaits its response.
    public func send<R: KafkaRequest>(_ request: R, version: Int16? = nil) async throws(KafkaClientError) -> R.Response
    {
        let v: Int16
        if let version { v = version } else { v = try self.version(for: R.self) }
        return try await Self.raw(
            channel: channel, request, version: v, clientId: clientId, timeout: requestTimeout, acks: true)!
    }

    /// Sends a request the broker will not answer (Produce with acks=0); returns once it is written.
    public func sendWithoutResponse<R: KafkaRequest>(_ request: R) async throws(KafkaClientError) {
        let v = try version(for: R.self)
        _ = try await Self.raw(
            channel: channel, request, version: v, clientId: clientId, timeout: requestTimeout, acks: false)
    }

    /// Writes `request` at the negotiated version now and returns a handle to its answer. Requests started from
    /// one task reach the socket in the order they were started (the producer relies on it to keep a partition's
    /// batches in sequence order with several requests in flight).
    /// `capacity` is the expected encoded size (a Produce request's record bytes, say), to encode without regrowing.
    public func start<R: KafkaRequest>(
        _ request: R, capacity: Int = 256
    ) throws(KafkaClientError) -> PendingResponse<R> {
        let v = try version(for: R.self)
        let (_, response) = Self.write(
            channel: channel, request, version: v, clientId: clientId, timeout: requestTimeout, capacity: capacity,
            acks: true)
        // `acks: true` always gives a response future.
        return PendingResponse(frame: response!, channel: channel, version: v)
    }

    /// The answer to a request written by `start`.
    public struct PendingResponse<R: KafkaRequest>: Sendable {
        fileprivate let frame: EventLoopFuture<ResponseFrame>
        fileprivate let channel: Channel
        fileprivate let version: Int16

        /// Waits for the answer and decodes it.
        public func response() async throws(KafkaClientError) -> R.Response {
            let frame: ResponseFrame
            do {
                frame = try await self.frame.get()
            } catch {
                throw BrokerConnection.map(error, channel: channel)
            }
            var reader = ProtocolReader(frame.bytes, position: frame.bodyStart)
            do {
                return try R.Response(reading: &reader, version: version)
            } catch {
                throw .malformedResponse(api: R.apiKey, reason: "\(error)")
            }
        }
    }

    /// True until the socket closes.
    public var isActive: Bool { channel.isActive }

    public func close() async {
        try? await channel.close()
    }
}
