import Foundation

/// The Confluent images' TLS indirection: their `configure` script turns `KAFKA_SSL_KEYSTORE_FILENAME` into
/// `ssl.keystore.location=/etc/kafka/secrets/<file>`, and each `*_CREDENTIALS` variable names a file in the same
/// directory whose content (trailing newlines dropped, as `$(cat …)` does) is the password. A compose file written
/// for `confluentinc/cp-kafka` therefore runs unchanged. The directory is `/etc/kafka/secrets` unless
/// `NEEDLETAIL_SECRETS_DIR` names another (tests, a host without the image's layout).
public enum ConfluentSecrets {
    public static let defaultDirectory = "/etc/kafka/secrets"
    public static let directoryVariable = "NEEDLETAIL_SECRETS_DIR"

    /// Variable → (property, whether the variable names a password file rather than the store itself).
    static let variables: [String: (key: String, isCredentials: Bool)] = [
        "KAFKA_SSL_KEYSTORE_FILENAME": ("ssl.keystore.location", false),
        "KAFKA_SSL_KEYSTORE_CREDENTIALS": ("ssl.keystore.password", true),
        "KAFKA_SSL_KEY_CREDENTIALS": ("ssl.key.password", true),
        "KAFKA_SSL_TRUSTSTORE_FILENAME": ("ssl.truststore.location", false),
        "KAFKA_SSL_TRUSTSTORE_CREDENTIALS": ("ssl.truststore.password", true),
    ]

    /// True for the variables above, which are not plain `KAFKA_*` property variables.
    public static func handles(_ variable: String) -> Bool { variables[variable] != nil }

    /// The properties the variables stand for, sorted by variable name. A credentials file that cannot be read is
    /// an error naming the variable and the path.
    public static func properties(from environment: [String: String]) throws(ConfigError) -> [(
        key: String, value: String, variable: String
    )] {
        let directory = environment[directoryVariable] ?? defaultDirectory
        var out: [(key: String, value: String, variable: String)] = []
        for variable in environment.keys.sorted() {
            guard let (key, isCredentials) = variables[variable], let name = environment[variable] else { continue }
            let path = name.hasPrefix("/") ? name : directory + "/" + name
            guard isCredentials else {
                out.append((key, path, variable))
                continue
            }
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ConfigError.unreadableFile(path: path, reason: "named by \(variable), cannot be read")
            }
            var password = String(decoding: data, as: UTF8.self)
            while password.hasSuffix("\n") || password.hasSuffix("\r") { password.removeLast() }
            out.append((key, password, variable))
        }
        return out
    }
}
