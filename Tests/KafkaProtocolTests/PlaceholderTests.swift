import Testing
@testable import KafkaProtocol

@Test("the module builds") func moduleBuilds() {}
