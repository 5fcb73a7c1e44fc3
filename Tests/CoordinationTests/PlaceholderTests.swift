import Testing
@testable import Coordination

@Test("the module builds") func moduleBuilds() {}
