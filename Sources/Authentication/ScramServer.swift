import Foundation

/// The server side of SCRAM-SHA-256/512 (RFC 5802 / RFC 7677) as Kafka's `ScramSaslServer`: client-first →
/// server-first, client-final → server-final. The proof is compared in constant time and the client-final nonce
/// must be the combined nonce the server sent.
public struct ScramServer: SaslServerMechanism {
    private enum State: Sendable {
        case awaitingClientFirst
        case awaitingClientFinal(
            username: String, gs2Header: String, clientFirstBare: String, serverFirst: String, nonce: String,
            credential: ScramCredential)
        case finished
    }

    public let mechanism: ScramMechanism
    public var mechanismName: String { mechanism.mechanismName }
    private let store: any CredentialStore
    private let serverNonce: String
    private var state = State.awaitingClientFirst

    /// `serverNonce` is injectable for tests; by default 32 random letters and digits.
    public init(mechanism: ScramMechanism, store: any CredentialStore, serverNonce: String? = nil) {
        self.mechanism = mechanism
        self.store = store
        self.serverNonce = serverNonce ?? randomPrintable(count: 32)
    }

    public mutating func evaluate(_ token: [UInt8]) -> SaslStep {
        let message = String(decoding: token, as: UTF8.self)
        switch state {
        case .awaitingClientFirst:
            state = .finished
            return clientFirst(message)
        case .awaitingClientFinal(let username, let gs2, let bare, let serverFirst, let nonce, let credential):
            state = .finished
            return clientFinal(
                message, username: username, gs2Header: gs2, clientFirstBare: bare, serverFirst: serverFirst,
                nonce: nonce, credential: credential)
        case .finished:
            return .failed("Authentication failed: SCRAM exchange already complete")
        }
    }

    private mutating func clientFirst(_ message: String) -> SaslStep {
        guard let first = ScramClientFirst(message) else {
            return .failed("Invalid SCRAM client first message")
        }
        if let authzid = first.authzid, authzid != first.username {
            return .failed(
                "Authentication failed: Client requested an authorization id that is different from username")
        }
        if first.extensions.contains(where: { $0.hasPrefix("tokenauth=") }) {
            return .failed("Authentication failed: delegation tokens are not supported")
        }
        guard let credential = store.scramCredential(user: first.username, mechanism: mechanism),
            credential.iterations >= ScramMechanism.minIterations
        else {
            return .failed(invalidCredentials(mechanismName))
        }
        let nonce = first.nonce + serverNonce
        let serverFirst = "r=\(nonce),s=\(Data(credential.salt).base64EncodedString()),i=\(credential.iterations)"
        state = .awaitingClientFinal(
            username: first.username, gs2Header: first.gs2Header, clientFirstBare: first.bare,
            serverFirst: serverFirst, nonce: nonce, credential: credential)
        return .challenge(Array(serverFirst.utf8))
    }

    private func clientFinal(
        _ message: String, username: String, gs2Header: String, clientFirstBare: String, serverFirst: String,
        nonce: String, credential: ScramCredential
    ) -> SaslStep {
        guard let proofRange = message.range(of: ",p=") else { return .failed("Invalid SCRAM client final message") }
        let withoutProof = String(message[..<proofRange.lowerBound])
        guard let proof = Data(base64Encoded: String(message[proofRange.upperBound...])).map(Array.init) else {
            return .failed("Invalid SCRAM client final message")
        }
        var attributes: [String: String] = [:]
        for part in withoutProof.split(separator: ",", omittingEmptySubsequences: false) {
            guard part.count >= 2, part.dropFirst().first == "=" else {
                return .failed("Invalid SCRAM client final message")
            }
            attributes[String(part.prefix(1))] = String(part.dropFirst(2))
        }
        // RFC 5802 §5.1: the channel binding repeats the GS2 header (no binding is offered).
        guard attributes["c"] == Data(gs2Header.utf8).base64EncodedString() else {
            return .failed("Authentication failed: Invalid channel binding")
        }
        // Kafka's `ScramSaslServer` accepts a client-final nonce that ends with the combined nonce (librdkafka 2.0
        // prefixes its own); the proof below covers the exact text the client sent.
        guard let clientNonce = attributes["r"], clientNonce.hasSuffix(nonce) else {
            return .failed("Invalid client nonce in the final client message.")
        }
        let authMessage = Array("\(clientFirstBare),\(serverFirst),\(withoutProof)".utf8)
        let clientSignature = mechanism.hmac(key: credential.storedKey, authMessage)
        guard proof.count == clientSignature.count else { return .failed(invalidCredentials(mechanismName)) }
        let clientKey = zip(proof, clientSignature).map { $0 ^ $1 }
        guard constantTimeEquals(mechanism.hash(clientKey), credential.storedKey) else {
            return .failed(invalidCredentials(mechanismName))
        }
        let serverSignature = mechanism.hmac(key: credential.serverKey, authMessage)
        return .complete(username: username, final: Array("v=\(Data(serverSignature).base64EncodedString())".utf8))
    }
}

/// `gs2-header client-first-message-bare` (RFC 5802 §7). Only `n` (no channel binding) is accepted, as Kafka does.
struct ScramClientFirst {
    var gs2Header: String
    var authzid: String?
    var username: String
    var nonce: String
    var extensions: [String]
    var bare: String

    init?(_ message: String) {
        guard message.hasPrefix("n,") else { return nil }
        let afterFlag = message.dropFirst(2)
        guard let comma = afterFlag.firstIndex(of: ",") else { return nil }
        let authz = afterFlag[..<comma]
        if authz.isEmpty {
            authzid = nil
        } else {
            guard authz.hasPrefix("a="), let name = scramUnescape(String(authz.dropFirst(2))) else { return nil }
            authzid = name
        }
        gs2Header = String(message[..<afterFlag.index(after: comma)])
        bare = String(afterFlag[afterFlag.index(after: comma)...])
        let parts = bare.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 2, parts[0].hasPrefix("n="), parts[1].hasPrefix("r="),
            let user = scramUnescape(String(parts[0].dropFirst(2))), !user.isEmpty
        else { return nil }
        username = user
        nonce = String(parts[1].dropFirst(2))
        guard !nonce.isEmpty, nonce.allSatisfy({ $0.isASCII && $0 != "," && $0.asciiValue! >= 0x21 }) else {
            return nil
        }
        extensions = Array(parts.dropFirst(2))
    }
}

/// RFC 5802 saslname: "=2C" is ',' and "=3D" is '='; any other '=' is invalid.
func scramUnescape(_ name: String) -> String? {
    guard name.contains("=") else { return name }
    var out = ""
    var i = name.startIndex
    while i < name.endIndex {
        if name[i] == "=" {
            let code = name[name.index(after: i)...].prefix(2)
            switch code {
            case "2C": out.append(",")
            case "3D": out.append("=")
            default: return nil
            }
            i = name.index(i, offsetBy: 3)
        } else {
            out.append(name[i])
            i = name.index(after: i)
        }
    }
    return out
}

func scramEscape(_ name: String) -> String {
    name.replacingOccurrences(of: "=", with: "=3D").replacingOccurrences(of: ",", with: "=2C")
}
