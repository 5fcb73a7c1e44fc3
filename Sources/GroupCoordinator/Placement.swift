/// Which `__consumer_offsets` partition owns a group: Kafka's `Utils.abs(groupId.hashCode()) % partitionCount`.
public enum GroupPlacement {
    /// The internal topic that stores offsets and group metadata.
    public static let offsetsTopic = "__consumer_offsets"

    /// Java's `String.hashCode`: `31 * h + c` over UTF-16 code units with 32-bit wraparound.
    public static func javaStringHash(_ s: String) -> Int32 {
        var h: Int32 = 0
        for unit in s.utf16 { h = h &* 31 &+ Int32(unit) }
        return h
    }

    /// Kafka's `Utils.abs`: `Int32.min` maps to 0 (not a 0x7fffffff mask).
    public static func kafkaAbs(_ n: Int32) -> Int32 { n == Int32.min ? 0 : abs(n) }

    public static func partition(for groupId: String, partitionCount: Int32) -> Int32 {
        guard partitionCount > 0 else { return 0 }
        return kafkaAbs(javaStringHash(groupId)) % partitionCount
    }
}
