import Authentication
import Coordination
import KafkaProtocol

/// KIP-554's broker side in ZooKeeper mode (Kafka's `ZkAdminManager.describeUserScramCredentials` /
/// `alterUserScramCredentials`): reads and writes the SCRAM entries of `/config/users/<user>`, leaving quota keys
/// alone, with a change notification per altered user.
final class ScramCredentialAdmin: ScramCredentialAdministering {
    private let zk: KafkaZkClient

    init(zk: KafkaZkClient) {
        self.zk = zk
    }

    func describe(_ request: DescribeUserScramCredentialsRequest) async -> DescribeUserScramCredentialsResponse {
        typealias Result = DescribeUserScramCredentialsResponse.DescribeUserScramCredentialsResult
        do {
            let describeAll = request.users?.isEmpty ?? true
            let names = describeAll ? try await zk.userEntities() : request.users!.map(\.name)
            var results: [Result] = []
            var seen = Set<String>()
            for name in names {
                guard seen.insert(name).inserted else {
                    results.append(
                        Result(
                            user: name, errorCode: ErrorCode.duplicateResource.rawValue,
                            errorMessage:
                                "Cannot describe SCRAM credentials for the same user twice in a single request: \(name)"
                        ))
                    continue
                }
                let entries = ScramCredentialCache.scramEntries(try await zk.userConfig(name))
                if entries.isEmpty {
                    if !describeAll {
                        results.append(
                            Result(
                                user: name, errorCode: ErrorCode.resourceNotFound.rawValue,
                                errorMessage: "Attempt to describe a user credential that does not exist: \(name)"))
                    }
                    continue
                }
                results.append(
                    Result(
                        user: name, errorCode: 0, errorMessage: nil,
                        credentialInfos: entries.sorted { $0.key.wireType < $1.key.wireType }.map {
                            .init(mechanism: $0.key.wireType, iterations: Int32($0.value.iterations))
                        }))
            }
            return DescribeUserScramCredentialsResponse(errorCode: 0, results: results)
        } catch {
            return DescribeUserScramCredentialsResponse(
                errorCode: ErrorCode.unknownServerError.rawValue, errorMessage: "\(error)")
        }
    }

    func alter(_ request: AlterUserScramCredentialsRequest) async -> AlterUserScramCredentialsResponse {
        typealias Result = AlterUserScramCredentialsResponse.AlterUserScramCredentialsResult
        var failures: [String: (ErrorCode, String)] = [:]
        var users: [String] = []
        func fail(_ user: String, _ code: ErrorCode, _ message: String) {
            if failures[user] == nil { failures[user] = (code, message) }
        }
        for name in request.deletions.map(\.name) + request.upsertions.map(\.name) where !users.contains(name) {
            users.append(name)
        }
        for d in request.deletions {
            if d.name.isEmpty { fail(d.name, .unacceptableCredential, "Username must not be empty") }
            if ScramMechanism(wireType: d.mechanism) == nil {
                fail(d.name, .unsupportedSaslMechanism, "Unknown SCRAM mechanism")
            }
        }
        for u in request.upsertions {
            if u.name.isEmpty { fail(u.name, .unacceptableCredential, "Username must not be empty") }
            if ScramMechanism(wireType: u.mechanism) == nil {
                fail(u.name, .unsupportedSaslMechanism, "Unknown SCRAM mechanism")
            } else if u.iterations < ScramMechanism.minIterations {
                fail(u.name, .unacceptableCredential, "Too few iterations")
            } else if u.iterations > ScramMechanism.maxIterations {
                fail(u.name, .unacceptableCredential, "Too many iterations")
            }
        }
        var results: [Result] = []
        for user in users {
            if let (code, message) = failures[user] {
                results.append(Result(user: user, errorCode: code.rawValue, errorMessage: message))
                continue
            }
            do {
                var config = try await zk.userConfig(user)
                var missing = false
                for d in request.deletions where d.name == user {
                    let key = ScramMechanism(wireType: d.mechanism)!.mechanismName
                    if config.removeValue(forKey: key) == nil { missing = true }
                }
                if missing {
                    results.append(
                        Result(
                            user: user, errorCode: ErrorCode.resourceNotFound.rawValue,
                            errorMessage: "Attempt to delete a user credential that does not exist"))
                    continue
                }
                for u in request.upsertions where u.name == user {
                    let mechanism = ScramMechanism(wireType: u.mechanism)!
                    config[mechanism.mechanismName] =
                        ScramCredential(
                            mechanism: mechanism, saltedPassword: u.saltedPassword, salt: u.salt,
                            iterations: Int(u.iterations)
                        ).kafkaString
                }
                try await zk.setUserConfig(user, config)
                results.append(Result(user: user, errorCode: 0, errorMessage: nil))
            } catch {
                results.append(
                    Result(user: user, errorCode: ErrorCode.unknownServerError.rawValue, errorMessage: "\(error)"))
            }
        }
        return AlterUserScramCredentialsResponse(results: results)
    }
}

/// Where KIP-554's requests are served: ZooKeeper's `/config/users` here, the KRaft metadata log in
/// `KRaftScramAdmin`.
protocol ScramCredentialAdministering: Sendable {
    func describe(_ request: DescribeUserScramCredentialsRequest) async -> DescribeUserScramCredentialsResponse
    func alter(_ request: AlterUserScramCredentialsRequest) async -> AlterUserScramCredentialsResponse
}

extension ScramCredentialAdministering {
    /// The KIP-554 handlers, one per API.
    var routes: [any RouteEntry] {
        [
            Route(handler: DescribeUserScramCredentialsHandler(admin: self)),
            Route(handler: AlterUserScramCredentialsHandler(admin: self)),
        ]
    }
}
