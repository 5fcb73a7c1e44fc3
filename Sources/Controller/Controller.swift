/// Placeholder; the controller module is being built (see README.md).
public enum ControllerModule {}
