import KafkaProtocol

/// AlterUserScramCredentials (KIP-554): upserts credentials from salted passwords, deletes per mechanism.
struct AlterUserScramCredentialsHandler: APIHandler {
    typealias Request = AlterUserScramCredentialsRequest
    let versions: ClosedRange<Int16> = 0...0
    let admin: any ScramCredentialAdministering

    func handle(_ request: AlterUserScramCredentialsRequest, context: RequestContext) async
        -> AlterUserScramCredentialsResponse?
    {
        await admin.alter(request)
    }
}
