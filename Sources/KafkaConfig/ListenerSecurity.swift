/// The TLS and SASL settings of one listener, resolved as Kafka does: a `listener.name.<listener>.<key>` override
/// wins over the plain key (SASL JAAS configs are also scoped by mechanism:
/// `listener.name.<listener>.<mechanism>.sasl.jaas.config`).
public struct ListenerSecurity: Sendable, Equatable {
    public enum ClientAuth: String, Sendable {
        case none, requested, required
    }

    public var listenerName: String
    public var securityProtocol: SecurityProtocol

    // TLS
    public var keystoreType: String
    public var keystoreLocation: String?
    public var keystorePassword: String?
    public var keyPassword: String?
    public var keystoreCertificateChain: String?
    public var keystoreKey: String?
    public var truststoreType: String
    public var truststoreLocation: String?
    public var truststorePassword: String?
    public var truststoreCertificates: String?
    public var clientAuth: ClientAuth
    public var principalMappingRules: String
    /// `ssl.enabled.protocols` (Kafka 3.9's default `TLSv1.2,TLSv1.3`).
    public var enabledProtocols: [String]
    /// `ssl.cipher.suites`, IANA/JSSE names; empty means the TLS library's defaults.
    public var cipherSuites: [String]

    // SASL
    public var enabledMechanisms: [String]
    /// Inline JAAS text per mechanism (upper-case) for this listener, when configured by property.
    public var jaasConfigs: [String: String]
    public var maxReceiveSize: Int
    public var maxReauthMs: Int64
    public var failedAuthenticationDelayMs: Int

    public var usesTLS: Bool { securityProtocol == .ssl || securityProtocol == .saslSSL }
    public var usesSASL: Bool { securityProtocol == .saslPlaintext || securityProtocol == .saslSSL }
}

extension BrokerConfig {
    /// The raw text of a key, highest-priority layer first (dynamic per-broker, dynamic default, static).
    public func rawProperty(_ key: String) -> String? {
        dynamicBrokerProperties[key] ?? dynamicDefaultProperties[key] ?? staticProperties[key]
    }

    /// Listener-scoped lookup: `listener.name.<lower-case listener>.<key>`, then `<key>`.
    public func listenerProperty(_ key: String, listener: String) -> String? {
        rawProperty("listener.name.\(listener.lowercased()).\(key)") ?? rawProperty(key)
    }

    /// The resolved security settings of one listener.
    public func security(for endpoint: Endpoint) throws(ConfigError) -> ListenerSecurity {
        let l = endpoint.listenerName
        func value(_ key: String) -> String? {
            guard let v = listenerProperty(key, listener: l)?.trimmingBlanks(), !v.isEmpty else { return nil }
            return v
        }
        func int(_ key: String, _ fallback: Int) throws(ConfigError) -> Int {
            guard let text = value(key) else { return fallback }
            guard let n = Int(text), n >= 0 else {
                throw ConfigError.invalidValue(key: key, value: text, reason: "must be a non-negative integer")
            }
            return n
        }
        func list(_ text: String) -> [String] {
            text.split(separator: ",").map { String($0).trimmingBlanks() }.filter { !$0.isEmpty }
        }
        let clientAuthText = (value("ssl.client.auth") ?? "none").lowercased()
        guard let clientAuth = ListenerSecurity.ClientAuth(rawValue: clientAuthText) else {
            throw ConfigError.invalidValue(
                key: "ssl.client.auth", value: clientAuthText, reason: "must be one of none, requested, required")
        }
        let mechanisms = (value("sasl.enabled.mechanisms") ?? "GSSAPI").split(separator: ",")
            .map { String($0).trimmingBlanks().uppercased() }.filter { !$0.isEmpty }
        var jaas: [String: String] = [:]
        for mechanism in mechanisms {
            let scoped = "listener.name.\(l.lowercased()).\(mechanism.lowercased()).sasl.jaas.config"
            if let text = rawProperty(scoped) ?? rawProperty("listener.name.\(l.lowercased()).sasl.jaas.config") {
                jaas[mechanism] = text
            } else if let text = rawProperty("sasl.jaas.config") {
                jaas[mechanism] = text
            }
        }
        return ListenerSecurity(
            listenerName: l, securityProtocol: endpoint.securityProtocol,
            keystoreType: (value("ssl.keystore.type") ?? "JKS").uppercased(),
            keystoreLocation: value("ssl.keystore.location"),
            keystorePassword: value("ssl.keystore.password"),
            keyPassword: value("ssl.key.password"),
            keystoreCertificateChain: value("ssl.keystore.certificate.chain"),
            keystoreKey: value("ssl.keystore.key"),
            truststoreType: (value("ssl.truststore.type") ?? "JKS").uppercased(),
            truststoreLocation: value("ssl.truststore.location"),
            truststorePassword: value("ssl.truststore.password"),
            truststoreCertificates: value("ssl.truststore.certificates"),
            clientAuth: clientAuth,
            principalMappingRules: value("ssl.principal.mapping.rules") ?? "DEFAULT",
            enabledProtocols: list(value("ssl.enabled.protocols") ?? "TLSv1.2,TLSv1.3"),
            cipherSuites: list(value("ssl.cipher.suites") ?? ""),
            enabledMechanisms: mechanisms,
            jaasConfigs: jaas,
            maxReceiveSize: try int("sasl.server.max.receive.size", 524288),
            maxReauthMs: Int64(try int("connections.max.reauth.ms", 0)),
            failedAuthenticationDelayMs: try int("connection.failed.authentication.delay.ms", 100))
    }
}

/// The JAAS file named by `-Djava.security.auth.login.config=<path>` in `KAFKA_OPTS` (the Confluent images'
/// convention), if any.
public func jaasFilePath(kafkaOpts: String?) -> String? {
    guard let opts = kafkaOpts else { return nil }
    for word in opts.split(separator: " ") where word.hasPrefix("-Djava.security.auth.login.config=") {
        var path = String(word.dropFirst("-Djava.security.auth.login.config=".count))
        if path.hasPrefix("\""), path.hasSuffix("\""), path.count >= 2 { path = String(path.dropFirst().dropLast()) }
        return path
    }
    return nil
}
