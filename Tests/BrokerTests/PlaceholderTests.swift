import Testing
@testable import Broker
@Test("the broker module builds") func builds() {}
