// Hand-written beside the generated Generated/ControlledShutdown.swift.

extension ControlledShutdownRequest {
    /// Request header version: 0 for v0 (the one API whose oldest version has no client id), else as usual.
    /// Note: this shadows the generic extension only when called on this concrete type.
    public static func requestHeaderVersion(_ version: Int16) -> Int16 {
        version == 0 ? 0 : (isFlexible(version) ? 2 : 1)
    }
}
