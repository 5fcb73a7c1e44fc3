/// A validated Kafka topic name.
///
/// Rules (Kafka's `Topic.validate`): 1 to 249 characters from `[a-zA-Z0-9._-]`, and not `.` or `..`.
public struct TopicName: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Longest legal name; keeps `<topic>-<partition>` directory names within 255 bytes.
    public static let maxLength = 249
    /// The consumer offsets topic.
    public static let consumerOffsets = TopicName(unchecked: "__consumer_offsets")
    /// The transaction state topic.
    public static let transactionState = TopicName(unchecked: "__transaction_state")

    public let value: String

    public init(_ value: String) throws(TopicNameError) {
        try TopicName.validate(value)
        self.value = value
    }

    private init(unchecked value: String) { self.value = value }

    public var description: String { value }

    public static func < (lhs: TopicName, rhs: TopicName) -> Bool { lhs.value < rhs.value }

    /// True for Kafka's internal topics, which clients may not produce to.
    public var isInternal: Bool { self == .consumerOffsets || self == .transactionState }

    /// Throws when `name` is not a legal topic name.
    public static func validate(_ name: String) throws(TopicNameError) {
        if name.isEmpty { throw .empty }
        if name == "." || name == ".." { throw .dotOrDotDot(name) }
        if name.utf8.count > maxLength { throw .tooLong(name) }
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                continue
            default:
                throw .illegalCharacters(name)
            }
        }
    }

    /// Whether `name` contains a character that collides in metric names (`.` or `_`).
    public static func hasCollisionChars(_ name: String) -> Bool {
        name.utf8.contains(UInt8(ascii: ".")) || name.utf8.contains(UInt8(ascii: "_"))
    }

    /// The form used to compare names for collisions: `.` replaced with `_`.
    public static func unifyCollisionChars(_ name: String) -> String {
        String(decoding: name.utf8.map { $0 == UInt8(ascii: ".") ? UInt8(ascii: "_") : $0 }, as: UTF8.self)
    }

    /// True when two different names become equal once `.` is replaced with `_` (Kafka refuses to create the
    /// second one). Identical names do not "collide"; that is a TopicExists case.
    public static func collides(_ a: String, _ b: String) -> Bool {
        a != b && unifyCollisionChars(a) == unifyCollisionChars(b)
    }

    /// The existing topics a new name collides with, in the order given.
    public static func collisions<S: Sequence>(of name: String, in existing: S) -> [String] where S.Element == String {
        guard hasCollisionChars(name) else { return [] }
        let unified = unifyCollisionChars(name)
        return existing.filter { $0 != name && unifyCollisionChars($0) == unified }
    }
}

/// Why a topic name is illegal; descriptions follow Kafka's InvalidTopicException wording.
public enum TopicNameError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case dotOrDotDot(String)
    case tooLong(String)
    case illegalCharacters(String)

    public var description: String {
        switch self {
        case .empty:
            return "Topic name is illegal, it can't be empty"
        case .dotOrDotDot:
            return "Topic name cannot be \".\" or \"..\""
        case .tooLong(let name):
            return "Topic name is illegal, it can't be longer than \(TopicName.maxLength) characters, topic name: "
                + ConfigError.oneLine(name)
        case .illegalCharacters(let name):
            return "Topic name \"\(ConfigError.oneLine(name))\" is illegal, it contains a character other than "
                + "ASCII alphanumerics, '.', '_' and '-'"
        }
    }
}
