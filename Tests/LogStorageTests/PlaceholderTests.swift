import Testing
@testable import LogStorage

@Test("the module builds") func moduleBuilds() {}
