import Authentication
import KafkaProtocol

/// KIP-554 admin calls: SCRAM credentials per user (`kafka-configs --entity-type users`).
extension KafkaClient {
    /// Each user's mechanisms and iteration counts; `users` nil lists every user with credentials.
    public func describeUserScramCredentials(_ users: [String]?) async throws -> [(
        user: String, credentials: [(mechanism: ScramMechanism, iterations: Int)]
    )] {
        let request = DescribeUserScramCredentialsRequest(users: users?.map { .init(name: $0) })
        let response = try await retrying("DescribeUserScramCredentials") { [request] in
            try await self.sendToAnyBroker(request)
        }
        try KafkaClientError.check(
            response.errorCode, message: response.errorMessage, context: "describe SCRAM credentials")
        return try response.results.map { r in
            try KafkaClientError.check(r.errorCode, message: r.errorMessage, context: "SCRAM credentials of \(r.user)")
            return (
                r.user,
                r.credentialInfos.compactMap { info in
                    ScramMechanism(wireType: info.mechanism).map { ($0, Int(info.iterations)) }
                }
            )
        }
    }

    /// Upserts (the salted password is computed here, so the password never leaves the client) and deletes.
    public func alterUserScramCredentials(
        user: String, upsert: [(mechanism: ScramMechanism, iterations: Int, password: String)],
        delete: [ScramMechanism]
    ) async throws {
        var request = AlterUserScramCredentialsRequest()
        request.deletions = delete.map { .init(name: user, mechanism: $0.wireType) }
        request.upsertions = upsert.map { u in
            let salt = ScramCredential.randomSalt()
            return .init(
                name: user, mechanism: u.mechanism.wireType, iterations: Int32(u.iterations), salt: salt,
                saltedPassword: u.mechanism.saltedPasswordForUpsertion(u.password, salt: salt, iterations: u.iterations)
            )
        }
        let response = try await retrying("AlterUserScramCredentials") { [request] in
            try await self.sendToAnyBroker(request)
        }
        for r in response.results {
            try KafkaClientError.check(
                r.errorCode, message: r.errorMessage, context: "alter SCRAM credentials of \(r.user)")
        }
    }
}
