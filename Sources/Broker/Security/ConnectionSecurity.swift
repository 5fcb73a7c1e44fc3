import Authentication
import Foundation
import KafkaFraming
import NIOCore
import NIOSSL
import Synchronization

/// The TLS peer's principal, set on the event loop when the handshake completes and read by the connection's task
/// (which only sees frames decrypted after that point).
final class TLSPeerPrincipal: Sendable {
    private let value = Mutex<String??>(nil)

    /// nil: no handshake yet; .some(nil): the certificate's DN matched no mapping rule.
    var principal: String?? { value.withLock { $0 } }

    func set(_ principal: String?) { value.withLock { $0 = .some(principal) } }
}

/// One connection's authentication gate, driven by the connection's request loop: takes the TLS principal, and on
/// SASL listeners answers the handshake and tokens itself (they never reach the router), keeping every other
/// request out until the client has authenticated.
struct ConnectionSecurity: Sendable {
    enum Gate: Sendable {
        /// Hand the frame to the router (as `client`, whose principal may have been set).
        case route
        /// The frame was consumed here: send `response` if any, then close after `closeAfterMs` if set.
        case handled(response: OutboundResponse?, closeAfterMs: Int?, reason: String?)
    }

    let listener: ListenerAuthentication
    let tlsPeer: TLSPeerPrincipal?
    let frameLimit: FrameSizeLimit?
    /// `socket.request.max.bytes`, in force once authenticated.
    let maxFrameSize: Int
    private var sasl: SaslConnectionState?
    private var tlsPrincipalTaken = false

    init(listener: ListenerAuthentication, tlsPeer: TLSPeerPrincipal?, frameLimit: FrameSizeLimit?, maxFrameSize: Int) {
        self.listener = listener
        self.tlsPeer = tlsPeer
        self.frameLimit = frameLimit
        self.maxFrameSize = maxFrameSize
        sasl = listener.settings.usesSASL ? listener.makeSaslState() : nil
    }

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    mutating func admit(_ frame: ByteBuffer, client: inout ClientInfo) -> Gate {
        if !tlsPrincipalTaken, sasl == nil, let peer = tlsPeer?.principal {
            tlsPrincipalTaken = true
            guard let principal = peer else {
                return .handled(
                    response: nil, closeAfterMs: 0,
                    reason: "the client certificate's DN matches no rule of ssl.principal.mapping.rules")
            }
            client.principal = principal
        }
        guard var state = sasl else { return .route }
        defer { sasl = state }
        let apiKey = frame.getInteger(at: frame.readerIndex, as: Int16.self)
        let now = Self.nowMs()
        let decision = state.classify(apiKey: apiKey, nowMs: now)
        switch decision {
        case .route:
            return .route
        case .close(let reason):
            return .handled(response: nil, closeAfterMs: 0, reason: reason)
        case .handshake, .authenticate, .rawToken:
            let outcome = SaslExchange.handle(
                frame: frame, decision: decision, state: &state,
                failureDelayMs: listener.settings.failedAuthenticationDelayMs, nowMs: now)
            if let session = outcome.authenticated {
                client.principal = session.principal
                frameLimit?.set(maxFrameSize)
            }
            return .handled(response: outcome.response, closeAfterMs: outcome.closeAfterMs, reason: outcome.reason)
        }
    }
}
