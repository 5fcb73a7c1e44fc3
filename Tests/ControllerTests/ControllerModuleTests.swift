import Testing

@testable import Controller

@Suite struct ControllerModuleTests {
    @Test func theControllerModuleBuilds() {
        _ = ControllerModule.self
    }
}
