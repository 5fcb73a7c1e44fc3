import KafkaConfig

/// Topic-name checks used outside topic creation (Metadata auto-creation, error choice).
enum TopicNaming {
    static func isValid(_ name: String) -> Bool { (try? TopicName.validate(name)) != nil }
}
