import Authentication
import Foundation
import KafkaConfig
import Logging
import NIOSSL

/// Everything one listener needs to authenticate its connections: the TLS context (SSL, SASL_SSL), the principal
/// mapping rules, and the SASL mechanisms with their user sources (SASL_PLAINTEXT, SASL_SSL).
final class ListenerAuthentication: Sendable, CredentialStore {
    let settings: ListenerSecurity
    let tls: TLSContextProvider?
    let mappingRules: PrincipalMappingRules
    private let plainUsers: [String: String]
    private let scram: ScramCredentialCache

    /// Checks the listener's settings; every mistake is one line naming the key.
    init(
        settings: ListenerSecurity, jaasFile: [String: [JaasEntry]]?, scram: ScramCredentialCache, logger: Logger
    ) throws(BrokerStartupError) {
        self.settings = settings
        self.scram = scram
        tls = settings.usesTLS ? try TLSContextProvider(settings: settings, logger: logger) : nil
        do {
            mappingRules = try PrincipalMappingRules(parsing: settings.principalMappingRules)
        } catch {
            throw BrokerStartupError("Invalid ssl.principal.mapping.rules: \(error)")
        }
        var users: [String: String] = [:]
        if settings.usesSASL {
            let supported = ["PLAIN"] + ScramMechanism.allCases.map(\.mechanismName)
            for mechanism in settings.enabledMechanisms where !supported.contains(mechanism) {
                throw BrokerStartupError(
                    "SASL mechanism \(mechanism) in sasl.enabled.mechanisms of listener \(settings.listenerName) is not supported (supported: \(supported.joined(separator: ", ")))"
                )
            }
            if settings.enabledMechanisms.contains("PLAIN") {
                let entries: [JaasEntry]
                if let text = settings.jaasConfigs["PLAIN"] {
                    do {
                        entries = try Jaas.parseEntries(text)
                    } catch {
                        throw BrokerStartupError(
                            "Invalid listener.name.\(settings.listenerName.lowercased()).plain.sasl.jaas.config: \(error)"
                        )
                    }
                } else if let file = jaasFile,
                    let section = file["\(settings.listenerName.lowercased()).KafkaServer"] ?? file["KafkaServer"]
                {
                    entries = section
                } else {
                    throw BrokerStartupError(
                        "No JAAS configuration for PLAIN on listener \(settings.listenerName): set listener.name.\(settings.listenerName.lowercased()).plain.sasl.jaas.config or a KafkaServer section in the file named by -Djava.security.auth.login.config"
                    )
                }
                for entry in entries where entry.loginModule.hasSuffix("PlainLoginModule") {
                    users.merge(entry.plainUsers) { a, _ in a }
                }
            }
        }
        plainUsers = users
    }

    func plainPassword(user: String) -> String? { plainUsers[user] }

    func scramCredential(user: String, mechanism: ScramMechanism) -> ScramCredential? {
        scram.credential(user: user, mechanism: mechanism)
    }

    /// A fresh SASL state for a new connection.
    func makeSaslState() -> SaslConnectionState {
        SaslConnectionState(
            enabledMechanisms: settings.enabledMechanisms, maxReauthMs: settings.maxReauthMs,
            makeMechanism: { [self] name -> (any SaslServerMechanism)? in
                if name == "PLAIN" { return PlainServer(store: self) }
                if let scram = ScramMechanism(mechanismName: name) { return ScramServer(mechanism: scram, store: self) }
                return nil
            })
    }

    /// Reads the JAAS file named in `KAFKA_OPTS` (nil when there is none).
    static func jaasFile(environment: [String: String]) throws(BrokerStartupError) -> [String: [JaasEntry]]? {
        guard let path = jaasFilePath(kafkaOpts: environment["KAFKA_OPTS"]) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BrokerStartupError("Cannot read the JAAS file \(path) named by java.security.auth.login.config")
        }
        do {
            return try Jaas.parseFile(String(decoding: data, as: UTF8.self))
        } catch {
            throw BrokerStartupError("Invalid JAAS file \(path): \(error)")
        }
    }
}

extension ListenerAuthentication {
    /// The authentication of every SSL / SASL listener (PLAINTEXT listeners get none), checked before the broker
    /// touches ZooKeeper so a configuration mistake fails fast with one line.
    static func forListeners(
        _ config: BrokerConfig, scram: ScramCredentialCache, environment: [String: String], logger: Logger
    ) throws(BrokerStartupError) -> [String: ListenerAuthentication] {
        let secured = config.listeners.filter { $0.securityProtocol != .plaintext }
        guard !secured.isEmpty else { return [:] }
        let jaas = try jaasFile(environment: environment)
        var out: [String: ListenerAuthentication] = [:]
        for endpoint in secured {
            let settings: ListenerSecurity
            do {
                settings = try config.security(for: endpoint)
            } catch {
                throw BrokerStartupError("\(error)")
            }
            out[endpoint.listenerName] = try ListenerAuthentication(
                settings: settings, jaasFile: jaas, scram: scram, logger: logger)
        }
        return out
    }
}
