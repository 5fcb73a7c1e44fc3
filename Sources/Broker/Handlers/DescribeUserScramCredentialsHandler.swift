import KafkaProtocol

/// DescribeUserScramCredentials (KIP-554): mechanisms and iteration counts per user, never the credentials.
struct DescribeUserScramCredentialsHandler: APIHandler {
    typealias Request = DescribeUserScramCredentialsRequest
    let versions: ClosedRange<Int16> = 0...0
    let admin: any ScramCredentialAdministering

    func handle(_ request: DescribeUserScramCredentialsRequest, context: RequestContext) async
        -> DescribeUserScramCredentialsResponse?
    {
        await admin.describe(request)
    }
}
