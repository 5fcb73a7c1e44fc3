import Authentication

/// The client's half of one SASL token exchange, PLAIN (RFC 4616) or SCRAM-SHA-256/512 (RFC 5802), as a value:
/// the first token, then the answer to each server token until the mechanism is done. The first login and every
/// KIP-368 re-authentication of a connection run the same exchange.
struct SaslClientExchange: Sendable {
    private enum Stage: Sendable {
        case plain(first: [UInt8])
        case awaitingPlainAnswer
        case scramFirst(ScramClient)
        case awaitingServerFirst(ScramClient)
        case awaitingServerFinal(ScramClient)
        case done
    }

    let mechanism: String
    private var stage: Stage
    /// Names the broker in errors (`SCRAM at host:port`).
    private let context: String

    init(_ login: ClientSecurity.SaslLogin, context: String) throws(KafkaClientError) {
        mechanism = login.mechanism
        self.context = context
        if login.mechanism == "PLAIN" {
            stage = .plain(first: Array("\0\(login.username)\0\(login.password)".utf8))
        } else if let scram = ScramMechanism(mechanismName: login.mechanism) {
            stage = .scramFirst(ScramClient(mechanism: scram, username: login.username, password: login.password))
        } else {
            throw .invalidArgument("unsupported sasl.mechanism \(login.mechanism)")
        }
    }

    /// The token the client sends first.
    mutating func firstToken() -> [UInt8] {
        switch stage {
        case .plain(let first):
            stage = .awaitingPlainAnswer
            return first
        case .scramFirst(let client):
            stage = .awaitingServerFirst(client)
            return client.clientFirst()
        case .awaitingPlainAnswer, .awaitingServerFirst, .awaitingServerFinal, .done:
            return []
        }
    }

    /// Answers the server's token: the next client token, or nil when the exchange is complete.
    mutating func next(serverToken: [UInt8]) throws(KafkaClientError) -> [UInt8]? {
        switch stage {
        case .awaitingPlainAnswer:
            stage = .done
            return nil
        case .awaitingServerFirst(var client):
            do {
                let final = try client.clientFinal(serverFirst: serverToken)
                stage = .awaitingServerFinal(client)
                return final
            } catch {
                stage = .done
                throw .kafka(code: .saslAuthenticationFailed, message: "\(error)", context: "SCRAM at \(context)")
            }
        case .awaitingServerFinal(let client):
            stage = .done
            do {
                try client.verify(serverFinal: serverToken)
            } catch {
                throw .kafka(code: .saslAuthenticationFailed, message: "\(error)", context: "SCRAM at \(context)")
            }
            return nil
        case .plain, .scramFirst, .done:
            throw .kafka(code: .illegalSaslState, message: "unexpected SASL token", context: "SASL at \(context)")
        }
    }
}
