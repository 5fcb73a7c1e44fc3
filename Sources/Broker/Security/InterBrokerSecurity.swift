import Authentication
import KafkaClient
import KafkaConfig
import NIOSSL

/// How this broker connects to the others (controller requests, replica fetches, controlled shutdown): the
/// inter-broker listener's security protocol, its trust store and key store, and for SASL the mechanism named by
/// `sasl.mechanism.inter.broker.protocol` with the `username`/`password` options of that mechanism's JAAS entry,
/// as Kafka's `ChannelBuilders.clientChannelBuilder` does.
enum InterBrokerSecurity {
    /// Set once at startup, read by every inter-broker connection (nil: PLAINTEXT).
    static let current = Shared<ClientSecurity?>(nil)

    static func clientSecurity(
        config: BrokerConfig, listeners: [String: ListenerAuthentication], jaasFile: [String: [JaasEntry]]?
    ) throws(BrokerStartupError) -> ClientSecurity? {
        guard let endpoint = config.listeners.first(where: { $0.listenerName == config.interBrokerListenerName }),
            endpoint.securityProtocol != .plaintext, let listener = listeners[endpoint.listenerName]
        else { return nil }
        let settings = listener.settings
        var tls: TLSConfiguration? = nil
        if settings.usesTLS {
            var configuration = TLSConfiguration.makeClientConfiguration()
            do {
                // The listener's ssl.enabled.protocols and ssl.cipher.suites bound the outgoing side too, as
                // Kafka's inter-broker channel builder uses the listener's SslFactory for both directions.
                try TLSProtocols.apply(settings, to: &configuration)
                if let roots = try TLSContextProvider.trustedCertificates(settings) {
                    configuration.trustRoots = .certificates(roots)
                }
                if settings.keystoreLocation != nil || settings.keystoreCertificateChain != nil {
                    let (chain, key) = try TLSContextProvider.keyMaterial(settings)
                    configuration.certificateChain = chain.map { .certificate($0) }
                    configuration.privateKey = .privateKey(key)
                }
            } catch {
                throw BrokerStartupError(
                    "Invalid TLS settings for the inter-broker listener \(endpoint.listenerName): \(error)")
            }
            tls = configuration
        }
        var login: ClientSecurity.SaslLogin? = nil
        if settings.usesSASL {
            let mechanism = (config.rawProperty("sasl.mechanism.inter.broker.protocol") ?? "GSSAPI").uppercased()
            guard settings.enabledMechanisms.contains(mechanism) else {
                throw BrokerStartupError(
                    "sasl.mechanism.inter.broker.protocol \(mechanism) is not in sasl.enabled.mechanisms of listener \(endpoint.listenerName)"
                )
            }
            var entries: [JaasEntry] = []
            if let text = settings.jaasConfigs[mechanism] {
                entries = (try? Jaas.parseEntries(text)) ?? []
            } else if let file = jaasFile {
                entries = file["\(endpoint.listenerName.lowercased()).KafkaServer"] ?? file["KafkaServer"] ?? []
            }
            let module = mechanism == "PLAIN" ? "PlainLoginModule" : "ScramLoginModule"
            guard let entry = entries.first(where: { $0.loginModule.hasSuffix(module) }) ?? entries.first,
                let user = entry.options["username"], let password = entry.options["password"]
            else {
                throw BrokerStartupError(
                    "No inter-broker credentials: the \(mechanism) JAAS entry of listener \(endpoint.listenerName) needs username and password options"
                )
            }
            login = ClientSecurity.SaslLogin(mechanism: mechanism, username: user, password: password)
        }
        let algorithm = config.listenerProperty(
            "ssl.endpoint.identification.algorithm", listener: endpoint.listenerName)
        let protocolName: ClientSecurity.SecurityProtocol =
            switch endpoint.securityProtocol {
            case .plaintext: .plaintext
            case .ssl: .ssl
            case .saslPlaintext: .saslPlaintext
            case .saslSSL: .saslSSL
            }
        return ClientSecurity(
            securityProtocol: protocolName, tls: tls, sasl: login, verifyHostname: (algorithm ?? "https") != "")
    }
}
