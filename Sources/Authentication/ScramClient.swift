import Foundation

/// The client side of SCRAM (RFC 5802), for `KafkaClient` and inter-broker connections.
public struct ScramClient: Sendable {
    public enum Failure: Error, Equatable, CustomStringConvertible {
        case invalidServerFirst
        case nonceMismatch
        case iterationsTooLow(Int)
        case invalidServerSignature

        public var description: String {
            switch self {
            case .invalidServerFirst: "invalid SCRAM server-first message"
            case .nonceMismatch: "SCRAM server nonce does not extend the client nonce"
            case .iterationsTooLow(let i): "SCRAM iterations \(i) below the minimum \(ScramMechanism.minIterations)"
            case .invalidServerSignature: "SCRAM server signature does not verify"
            }
        }
    }

    public let mechanism: ScramMechanism
    private let username: String
    private let password: String
    private let clientNonce: String
    private var authMessage: [UInt8] = []
    private var saltedPassword: [UInt8] = []

    public init(mechanism: ScramMechanism, username: String, password: String, clientNonce: String? = nil) {
        self.mechanism = mechanism
        self.username = username
        self.password = password
        self.clientNonce = clientNonce ?? randomPrintable(count: 24)
    }

    private var clientFirstBare: String { "n=\(scramEscape(username)),r=\(clientNonce)" }

    public func clientFirst() -> [UInt8] { Array("n,,\(clientFirstBare)".utf8) }

    /// Answers the server-first message with the client-final message (carrying the proof).
    public mutating func clientFinal(serverFirst token: [UInt8]) throws(Failure) -> [UInt8] {
        let serverFirst = String(decoding: token, as: UTF8.self)
        var fields: [String: String] = [:]
        for part in serverFirst.split(separator: ",") where part.count >= 2 && part.dropFirst().first == "=" {
            fields[String(part.prefix(1))] = String(part.dropFirst(2))
        }
        guard let nonce = fields["r"], let saltText = fields["s"], let salt = Data(base64Encoded: saltText),
            let iterations = fields["i"].flatMap({ Int($0) })
        else { throw .invalidServerFirst }
        guard nonce.hasPrefix(clientNonce), nonce.count > clientNonce.count else { throw .nonceMismatch }
        guard iterations >= ScramMechanism.minIterations else { throw .iterationsTooLow(iterations) }
        saltedPassword = mechanism.saltedPassword(password, salt: Array(salt), iterations: iterations)
        let withoutProof = "c=\(Data("n,,".utf8).base64EncodedString()),r=\(nonce)"
        authMessage = Array("\(clientFirstBare),\(serverFirst),\(withoutProof)".utf8)
        let clientKey = mechanism.hmac(key: saltedPassword, Array("Client Key".utf8))
        let storedKey = mechanism.hash(clientKey)
        let signature = mechanism.hmac(key: storedKey, authMessage)
        let proof = zip(clientKey, signature).map { $0 ^ $1 }
        return Array("\(withoutProof),p=\(Data(proof).base64EncodedString())".utf8)
    }

    /// Checks the server's signature, which proves the server knows the credential too.
    public func verify(serverFinal token: [UInt8]) throws(Failure) {
        let text = String(decoding: token, as: UTF8.self)
        guard text.hasPrefix("v="), let signature = Data(base64Encoded: String(text.dropFirst(2))) else {
            throw .invalidServerSignature
        }
        let serverKey = mechanism.hmac(key: saltedPassword, Array("Server Key".utf8))
        guard constantTimeEquals(Array(signature), mechanism.hmac(key: serverKey, authMessage)) else {
            throw .invalidServerSignature
        }
    }
}
