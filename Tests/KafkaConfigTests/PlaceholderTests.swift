import Testing
@testable import KafkaConfig

@Test("the module builds") func moduleBuilds() {}
