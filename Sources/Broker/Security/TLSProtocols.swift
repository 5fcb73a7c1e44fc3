import KafkaConfig
import NIOSSL

/// `ssl.enabled.protocols` and `ssl.cipher.suites` applied to a swift-nio-ssl configuration.
///
/// Kafka hands both lists to the JDK's `SSLEngine`, which takes JSSE names: `TLSv1.2`, `TLSv1.3`, and cipher
/// suites by their IANA names (`TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384`). BoringSSL knows the suites by their IANA
/// code points, which swift-nio-ssl turns into OpenSSL's names. As with the JDK, a name the library does not
/// support stops the broker. BoringSSL always enables all three TLS 1.3 suites, so TLS 1.3 names are accepted but
/// only matter when they are the only ones listed: then TLS 1.2 is switched off, since it would have no suite.
enum TLSProtocols {
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    static let versions: [String: TLSVersion] = [
        "TLSv1": .tlsv1, "TLSv1.1": .tlsv11, "TLSv1.2": .tlsv12, "TLSv1.3": .tlsv13,
    ]

    static let tls13Suites: Set<String> = [
        "TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256",
    ]

    /// The TLS 1.2 suites BoringSSL implements, by IANA name.
    static let tls12Suites: [String: NIOTLSCipher] = [
        "TLS_RSA_WITH_AES_128_CBC_SHA": .TLS_RSA_WITH_AES_128_CBC_SHA,
        "TLS_RSA_WITH_AES_256_CBC_SHA": .TLS_RSA_WITH_AES_256_CBC_SHA,
        "TLS_RSA_WITH_AES_128_GCM_SHA256": .TLS_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_RSA_WITH_AES_256_GCM_SHA384": .TLS_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
        "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
        "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA": .TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
        "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256": .TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384": .TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256": .TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": .TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    ]

    /// Sets the version range and the TLS 1.2 cipher list; versions between the lowest and highest enabled one are
    /// all on (BoringSSL takes a range, and nobody enables TLS 1.1 and 1.3 but not 1.2).
    static func apply(_ s: ListenerSecurity, to configuration: inout TLSConfiguration) throws(Invalid) {
        var enabled: [TLSVersion] = []
        for name in s.enabledProtocols {
            guard let version = versions[name] else {
                throw Invalid(
                    description: "ssl.enabled.protocols: unsupported protocol \(name) (use TLSv1.2 and/or TLSv1.3)")
            }
            enabled.append(version)
        }
        guard !enabled.isEmpty else { throw Invalid(description: "ssl.enabled.protocols is empty") }
        let order: [TLSVersion] = [.tlsv1, .tlsv11, .tlsv12, .tlsv13]
        var minimum = order.first { enabled.contains($0) }!
        let maximum = order.last { enabled.contains($0) }!

        if !s.cipherSuites.isEmpty {
            var suites: [NIOTLSCipher] = []
            for name in s.cipherSuites where !tls13Suites.contains(name) {
                guard let suite = tls12Suites[name] else {
                    throw Invalid(description: "ssl.cipher.suites: unsupported cipher suite \(name)")
                }
                suites.append(suite)
            }
            if suites.isEmpty {
                guard maximum == .tlsv13 else {
                    throw Invalid(description: "ssl.cipher.suites names only TLS 1.3 suites but TLSv1.3 is not enabled")
                }
                minimum = .tlsv13
            } else {
                configuration.cipherSuiteValues = suites
            }
        }
        configuration.minimumTLSVersion = minimum
        configuration.maximumTLSVersion = maximum
    }
}
