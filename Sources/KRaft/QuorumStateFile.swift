import Foundation

/// What a voter persists before it acts on an epoch change (Kafka's `ElectionState`): the epoch, the leader it
/// learned, or the candidate it voted for. A vote is written before it is granted, so a restarted voter can never
/// vote twice in one epoch.
public struct ElectionState: Sendable, Hashable {
    public var epoch: Int32
    public var leaderId: ReplicaID?
    public var votedId: ReplicaID?
    public var voters: [ReplicaID]

    public init(epoch: Int32, leaderId: ReplicaID? = nil, votedId: ReplicaID? = nil, voters: [ReplicaID]) {
        self.epoch = epoch
        self.leaderId = leaderId
        self.votedId = votedId
        self.voters = voters
    }
}

public enum QuorumStateFileError: Error, Sendable, Hashable, CustomStringConvertible {
    case notJSON
    case missingField(String)
    case unsupportedDataVersion(Int)

    public var description: String {
        switch self {
        case .notJSON: "quorum-state is not a JSON object"
        case .missingField(let name): "quorum-state does not have \(name) field"
        case .unsupportedDataVersion(let v):
            "data_version (\(v)) is not within the min (0) and max (1) supported version"
        }
    }
}

/// The `quorum-state` file in `__cluster_metadata-0` (`FileQuorumStateStore`): `QuorumStateData` as JSON plus a
/// `data_version`. Version 0 (kraft.version 0, static voters) carries the cluster id, applied offset and voter
/// list; version 1 (KIP-853) drops them for `votedDirectoryId`. The field order is Kafka's.
public enum QuorumStateFile {
    public static let fileName = "quorum-state"
    /// Kafka's all-zero directory id, `Uuid.ZERO_UUID` in its base64 form.
    static let zeroDirectoryId = "AAAAAAAAAAAAAAAAAAAAAA"

    public static func encode(_ state: ElectionState, dataVersion: Int = 0) -> String {
        let leader = state.leaderId?.rawValue ?? -1
        let voted = state.votedId?.rawValue ?? -1
        if dataVersion >= 1 {
            return "{\"leaderId\":\(leader),\"leaderEpoch\":\(state.epoch),\"votedId\":\(voted),"
                + "\"votedDirectoryId\":\"\(zeroDirectoryId)\",\"data_version\":1}"
        }
        let voters = state.voters.map { "{\"voterId\":\($0.rawValue)}" }.joined(separator: ",")
        return "{\"clusterId\":\"\",\"leaderId\":\(leader),\"leaderEpoch\":\(state.epoch),\"votedId\":\(voted),"
            + "\"appliedOffset\":0,\"currentVoters\":[\(voters)],\"data_version\":0}"
    }

    public static func decode(_ text: String) throws(QuorumStateFileError) -> ElectionState {
        let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8))
        guard let object = parsed as? [String: Any] else { throw .notJSON }
        func int(_ name: String) throws(QuorumStateFileError) -> Int {
            guard let value = object[name] as? NSNumber else { throw .missingField(name) }
            return value.intValue
        }
        let version = try int("data_version")
        guard (0...1).contains(version) else { throw .unsupportedDataVersion(version) }
        let leader = try int("leaderId")
        let voted = try int("votedId")
        var voters: [ReplicaID] = []
        if version == 0, let list = object["currentVoters"] as? [[String: Any]] {
            voters = list.compactMap { ($0["voterId"] as? NSNumber).map { ReplicaID(Int32($0.intValue)) } }
        }
        return ElectionState(
            epoch: Int32(try int("leaderEpoch")),
            leaderId: leader < 0 ? nil : ReplicaID(Int32(leader)),
            votedId: voted < 0 ? nil : ReplicaID(Int32(voted)),
            voters: voters)
    }
}
