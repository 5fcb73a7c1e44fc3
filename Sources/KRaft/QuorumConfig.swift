/// The `controller.quorum.*` settings the Raft state machine reads, with Kafka's defaults
/// (`org.apache.kafka.raft.QuorumConfig`).
public struct QuorumConfig: Sendable, Hashable {
    public static let votersKey = "controller.quorum.voters"
    public static let bootstrapServersKey = "controller.quorum.bootstrap.servers"
    public static let electionTimeoutKey = "controller.quorum.election.timeout.ms"
    public static let fetchTimeoutKey = "controller.quorum.fetch.timeout.ms"
    public static let electionBackoffMaxKey = "controller.quorum.election.backoff.max.ms"
    public static let appendLingerKey = "controller.quorum.append.linger.ms"
    public static let requestTimeoutKey = "controller.quorum.request.timeout.ms"
    public static let retryBackoffKey = "controller.quorum.retry.backoff.ms"

    /// Without a leader, a voter stands for election after this plus a random share of it.
    public var electionTimeoutMs: Int64 = 1_000
    /// A follower that has not heard from its leader for this long stands for election.
    public var fetchTimeoutMs: Int64 = 2_000
    /// The upper bound of the random back-off after a failed election (and after EndQuorumEpoch).
    public var electionBackoffMaxMs: Int64 = 1_000
    public var appendLingerMs: Int64 = 25
    /// An unanswered request is sent again after this long.
    public var requestTimeoutMs: Int64 = 2_000
    public var retryBackoffMs: Int64 = 20
    /// How long the leader parks a Fetch that has nothing to return (`KafkaRaftClient`'s fetch max wait).
    public var fetchMaxWaitMs: Int64 = 500
    /// KIP-996: a voter first asks whether it could win (a pre-vote, no epoch bump) before standing.
    public var preVoteEnabled: Bool = true
    /// Records the leader returns per Fetch at most.
    public var maxRecordsPerFetch: Int = 64

    public init() {}

    /// Reads the timing keys from a property map (as `server.properties` or `KAFKA_*` produce it); absent keys keep
    /// Kafka's defaults.
    public init(properties: [String: String]) throws(QuorumConfigError) {
        func int(_ key: String, _ fallback: Int64) throws(QuorumConfigError) -> Int64 {
            guard let text = properties[key] else { return fallback }
            guard let value = Int64(text.trimmingSpaces), value >= 0, value <= Int64(Int32.max) else {
                throw .invalidValue(key: key, value: text, reason: "Expected a non-negative int")
            }
            return value
        }
        electionTimeoutMs = try int(Self.electionTimeoutKey, electionTimeoutMs)
        fetchTimeoutMs = try int(Self.fetchTimeoutKey, fetchTimeoutMs)
        electionBackoffMaxMs = try int(Self.electionBackoffMaxKey, electionBackoffMaxMs)
        appendLingerMs = try int(Self.appendLingerKey, appendLingerMs)
        requestTimeoutMs = try int(Self.requestTimeoutKey, requestTimeoutMs)
        retryBackoffMs = try int(Self.retryBackoffKey, retryBackoffMs)
    }
}

/// One `{id}@{host}:{port}` entry of `controller.quorum.voters`.
public struct VoterEndpoint: Sendable, Hashable {
    public var id: ReplicaID
    public var host: String
    public var port: Int

    public init(id: ReplicaID, host: String, port: Int) {
        self.id = id
        self.host = host
        self.port = port
    }
}

public enum QuorumConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    case invalidValue(key: String, value: String, reason: String)
    /// Kafka's `ConfigException` message, word for word.
    case message(String)

    public var description: String {
        switch self {
        case .invalidValue(let key, let value, let reason):
            "Invalid value \(value) for configuration \(key): \(reason)"
        case .message(let text): text
        }
    }
}

/// The static voter set, parsed as `QuorumConfig.parseVoterConnections` does, with its error messages.
public enum QuorumVoters {
    /// Kafka's placeholder for "not routable" (`0.0.0.0`), refused when addresses must be usable.
    public static let nonRoutableHost = "0.0.0.0"

    public static func parse(_ value: String, requireRoutableAddresses: Bool = true) throws(QuorumConfigError)
        -> [VoterEndpoint]
    {
        let entries = value.split(separator: ",").map { String($0).trimmingSpaces }.filter { !$0.isEmpty }
        var voters: [VoterEndpoint] = []
        for entry in entries {
            let idAndAddress = entry.split(separator: "@", omittingEmptySubsequences: false)
            guard idAndAddress.count == 2 else {
                throw .message(
                    "Invalid configuration value for \(QuorumConfig.votersKey). Each entry should be in the form "
                        + "`{id}@{host}:{port}`.")
            }
            guard let id = Int32(idAndAddress[0]) else {
                throw .message("Failed to parse voter ID as an integer from \(idAndAddress[0])")
            }
            let address = String(idAndAddress[1])
            let form =
                " for the configuration \(QuorumConfig.votersKey). Each entry should be in the form `{id}@{host}:{port}`."
            // Kafka's Utils.getHost/getPort: the port follows the last colon; IPv6 hosts come in brackets.
            guard let colon = address.lastIndex(of: ":") else {
                throw .message("Failed to parse host name from entry \(entry)" + form)
            }
            var host = String(address[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            let portText = address[address.index(after: colon)...]
            // Kafka's host:port pattern needs a digits-only port; without one even the host does not parse.
            guard !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || "-._:%".contains($0) }),
                !portText.isEmpty, portText.allSatisfy({ $0.isASCII && $0.isNumber })
            else {
                throw .message("Failed to parse host name from entry \(entry)" + form)
            }
            guard let port = Int(portText), (0...65_535).contains(port) else {
                throw .message("Failed to parse host port from entry \(entry)" + form)
            }
            if requireRoutableAddresses && host == nonRoutableHost {
                throw .message("Host string (\(host)) is not routeable")
            }
            // Kafka keeps voters in a map, so a repeated id keeps the last entry.
            voters.removeAll { $0.id.rawValue == id }
            voters.append(VoterEndpoint(id: ReplicaID(id), host: host, port: port))
        }
        return voters
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s.removeFirst() }
        while let l = s.last, l == " " || l == "\t" { s.removeLast() }
        return String(s)
    }
}
