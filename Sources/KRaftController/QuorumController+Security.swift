import KafkaProtocol
import MetadataImage

/// One user's SCRAM change (AlterUserScramCredentials). The broker derives the stored and server keys from the
/// salted password before asking, so the controller needs no cryptography.
public struct ScramCredentialChange: Sendable, Equatable {
    public var user: String
    /// 1 SCRAM-SHA-256, 2 SCRAM-SHA-512 (`ScramMechanism.type`).
    public var mechanism: Int8
    /// nil deletes the user's credential for this mechanism.
    public var credential: ScramCredential?

    public init(user: String, mechanism: Int8, credential: ScramCredential?) {
        self.user = user
        self.mechanism = mechanism
        self.credential = credential
    }
}

/// A per-user (AlterUserScramCredentials) or per-entity (AlterClientQuotas) answer.
public struct SecurityReply: Sendable, Equatable {
    public var errorCode: ErrorCode
    public var errorMessage: String?

    public init(_ errorCode: ErrorCode = .noError, _ errorMessage: String? = nil) {
        self.errorCode = errorCode
        self.errorMessage = errorMessage
    }
}

/// One quota key change of an AlterClientQuotas entry: a value to set, or nil to remove.
public struct QuotaChange: Sendable, Equatable {
    public var key: String
    public var value: Double?

    public init(key: String, value: Double?) {
        self.key = key
        self.value = value
    }
}

extension QuorumController {
    /// Kafka's `ScramFormatter` bounds on iterations (`ScramMechanism.minIterations`/`maxIterations`).
    static let scramIterations: ClosedRange<Int32> = 4096...16384

    /// AlterUserScramCredentials (`ScramControlManager.alterCredentials`): per user, every deletion must name an
    /// existing credential and every upsertion a known mechanism and iterations within Kafka's bounds; a user
    /// named twice for the same mechanism is a DUPLICATE_RESOURCE. A user's changes are all written or none.
    public mutating func alterUserScramCredentials(_ changes: [ScramCredentialChange])
        -> ControllerResult<[String: SecurityReply]>
    {
        var records: [MetadataRecord] = []
        var replies: [String: SecurityReply] = [:]
        var users: [String] = []
        for c in changes where !users.contains(c.user) { users.append(c.user) }
        for user in users {
            let mine = changes.filter { $0.user == user }
            if let failure = scramFailure(user, mine) {
                replies[user] = failure
                continue
            }
            for c in mine {
                if let credential = c.credential {
                    emit(
                        .userScramCredential(
                            UserScramCredentialRecord(
                                name: user, mechanism: c.mechanism, salt: credential.salt,
                                storedKey: credential.storedKey, serverKey: credential.serverKey,
                                iterations: credential.iterations)), into: &records)
                } else {
                    emit(
                        .removeUserScramCredential(RemoveUserScramCredentialRecord(name: user, mechanism: c.mechanism)),
                        into: &records)
                }
            }
            replies[user] = SecurityReply()
        }
        return ControllerResult(records: records, response: replies)
    }

    private func scramFailure(_ user: String, _ changes: [ScramCredentialChange]) -> SecurityReply? {
        if user.isEmpty { return SecurityReply(.unacceptableCredential, "Username must not be empty") }
        var seen = Set<Int8>()
        for c in changes {
            guard c.mechanism == 1 || c.mechanism == 2 else {
                return SecurityReply(.unsupportedSaslMechanism, "Unknown SCRAM mechanism")
            }
            guard seen.insert(c.mechanism).inserted else {
                return SecurityReply(
                    .duplicateResource, "A user credential cannot be altered twice in the same request")
            }
            if let credential = c.credential {
                if credential.iterations < Self.scramIterations.lowerBound {
                    return SecurityReply(.unacceptableCredential, "Too few iterations")
                }
                if credential.iterations > Self.scramIterations.upperBound {
                    return SecurityReply(.unacceptableCredential, "Too many iterations")
                }
            } else if image.scramCredentials[user]?[c.mechanism] == nil {
                return SecurityReply(.resourceNotFound, "Attempt to delete a user credential that does not exist")
            }
        }
        return nil
    }

    /// CreateAcls (`AclControlManager.createAcls`): one AccessControlEntryRecord with a fresh id per new binding;
    /// a binding already stored is not stored twice (Kafka answers success for it). The broker has validated the
    /// bindings (resource, pattern, operation and permission types) before asking.
    public mutating func createAcls<R: RandomNumberGenerator>(_ entries: [AclEntry], using rng: inout R)
        -> ControllerResult<[UUIDValue]>
    {
        var records: [MetadataRecord] = []
        var stored = Set(image.acls.values)
        var ids: [UUIDValue] = []
        for entry in entries {
            if stored.contains(entry) {
                ids.append(image.acls.first { $0.value == entry }?.key ?? .zero)
                continue
            }
            var id = Self.randomTopicId(using: &rng)
            while image.acls[id] != nil || id == .zero { id = Self.randomTopicId(using: &rng) }
            emit(.accessControlEntry(entry.record(id: id)), into: &records)
            stored.insert(entry)
            ids.append(id)
        }
        return ControllerResult(records: records, response: ids)
    }

    /// DeleteAcls (`AclControlManager.deleteAcls`): every stored ACL a filter matches is removed with one
    /// RemoveAccessControlEntryRecord and listed in that filter's answer (an ACL matched by two filters is removed
    /// once and listed under the first).
    public mutating func deleteAcls(_ filters: [@Sendable (AclEntry) -> Bool]) -> ControllerResult<[[AclEntry]]> {
        var records: [MetadataRecord] = []
        var answers: [[AclEntry]] = []
        let sorted = image.acls.sorted { $0.key.description < $1.key.description }
        var removed = Set<UUIDValue>()
        for matches in filters {
            var matched: [AclEntry] = []
            for (id, entry) in sorted where !removed.contains(id) && matches(entry) {
                removed.insert(id)
                matched.append(entry)
                emit(.removeAccessControlEntry(RemoveAccessControlEntryRecord(id: id)), into: &records)
            }
            answers.append(matched)
        }
        return ControllerResult(records: records, response: answers)
    }

    /// The quota keys Kafka knows per entity type (`QuotaConfigs`), and whether each takes whole numbers.
    static let quotaKeys: [String: Bool] = [
        "producer_byte_rate": true, "consumer_byte_rate": true, "request_percentage": false,
        "controller_mutation_rate": false, "connection_creation_rate": false,
    ]

    /// AlterClientQuotas (`ClientQuotaControlManager.alterClientQuotas`): the entity must be a user, a client id,
    /// both, or an ip alone; each key must be one Kafka knows for it, with a whole number for the byte rates. A set
    /// writes a ClientQuotaRecord when the value changes; a removal writes one only when the key is set.
    public mutating func alterClientQuotas(_ entries: [(entity: QuotaEntity, changes: [QuotaChange])])
        -> ControllerResult<[SecurityReply]>
    {
        var records: [MetadataRecord] = []
        var replies: [SecurityReply] = []
        for (entity, changes) in entries {
            if let failure = Self.quotaFailure(entity, changes) {
                replies.append(failure)
                continue
            }
            let current = image.quotas[entity] ?? [:]
            let parts = entity.parts.map { ClientQuotaRecord.EntityData(entityType: $0.type, entityName: $0.name) }
            for change in changes {
                if let value = change.value {
                    guard current[change.key] != value else { continue }
                    emit(
                        .clientQuota(ClientQuotaRecord(entity: parts, key: change.key, value: value, remove: false)),
                        into: &records)
                } else if current[change.key] != nil {
                    emit(
                        .clientQuota(ClientQuotaRecord(entity: parts, key: change.key, value: 0, remove: true)),
                        into: &records)
                }
            }
            replies.append(SecurityReply())
        }
        return ControllerResult(records: records, response: replies)
    }

    static func quotaFailure(_ entity: QuotaEntity, _ changes: [QuotaChange]) -> SecurityReply? {
        let types = entity.parts.map(\.type)
        guard !types.isEmpty else { return SecurityReply(.invalidRequest, "Invalid empty client quota entity") }
        guard Set(types).count == types.count else {
            return SecurityReply(.invalidRequest, "Invalid quota entity: duplicate entity type")
        }
        for t in types where !["user", "client-id", "ip"].contains(t) {
            return SecurityReply(.invalidRequest, "Unhandled client quota entity type: \(t)")
        }
        if types.contains("ip") && types.count > 1 {
            return SecurityReply(.invalidRequest, "Invalid quota entity combination: ip with another entity type")
        }
        let isIp = types == ["ip"]
        var seen = Set<String>()
        for change in changes {
            guard seen.insert(change.key).inserted else {
                return SecurityReply(.invalidRequest, "Duplicate quota key \(change.key)")
            }
            let allowed = isIp ? change.key == "connection_creation_rate" : change.key != "connection_creation_rate"
            guard let isLong = quotaKeys[change.key], allowed else {
                return SecurityReply(.invalidRequest, "Invalid configuration key \(change.key)")
            }
            guard let value = change.value else { continue }
            if isLong && value != value.rounded(.down) {
                return SecurityReply(.invalidRequest, "Configuration \(change.key) must be a Long value")
            }
            if value < 0 || !value.isFinite {
                return SecurityReply(.invalidRequest, "Invalid value \(value) for \(change.key)")
            }
        }
        return nil
    }
}
