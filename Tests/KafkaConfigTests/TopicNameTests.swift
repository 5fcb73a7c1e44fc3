import Testing

@testable import KafkaConfig

@Suite("Topic names")
struct TopicNameTests {
    @Test("accepts letters, digits, dot, underscore and dash up to 249 characters")
    func legal() throws {
        try TopicName.validate("orders")
        try TopicName.validate("a.B_c-9")
        try TopicName.validate("__consumer_offsets")
        try TopicName.validate(String(repeating: "x", count: 249))
        #expect(try TopicName("orders").value == "orders")
    }

    @Test("rejects empty, dot, dot-dot, too long and illegal characters")
    func illegal() {
        #expect(throws: TopicNameError.empty) { try TopicName.validate("") }
        #expect(throws: TopicNameError.dotOrDotDot(".")) { try TopicName.validate(".") }
        #expect(throws: TopicNameError.dotOrDotDot("..")) { try TopicName.validate("..") }
        let long = String(repeating: "x", count: 250)
        #expect(throws: TopicNameError.tooLong(long)) { try TopicName.validate(long) }
        for bad in ["a b", "a/b", "tópico", "a\nb", "a*", "a:b"] {
            #expect(throws: TopicNameError.illegalCharacters(bad)) { try TopicName.validate(bad) }
        }
        #expect(throws: TopicNameError.self) { try TopicName("a b") }
    }

    @Test("error messages are single lines in Kafka's wording")
    func messages() {
        #expect(
            TopicNameError.illegalCharacters("a\nb").description
                == "Topic name \"a\\nb\" is illegal, it contains a character other than ASCII alphanumerics, '.', '_' and '-'"
        )
        #expect(TopicNameError.dotOrDotDot("..").description == "Topic name cannot be \".\" or \"..\"")
    }

    @Test("names collide when equal after replacing '.' with '_'")
    func collisions() {
        #expect(TopicName.collides("a.b", "a_b"))
        #expect(TopicName.collides("a_b", "a.b"))
        #expect(TopicName.collides("x.y_z", "x_y.z"))
        #expect(!TopicName.collides("a.b", "a.b"))
        #expect(!TopicName.collides("a.b", "a-b"))
        #expect(
            TopicName.collisions(of: "metrics.cpu", in: ["metrics_cpu", "metrics.cpu", "other"]) == ["metrics_cpu"])
        #expect(TopicName.collisions(of: "plain", in: ["plain"]) == [])
    }

    @Test("the two internal topics are recognised")
    func internalTopics() throws {
        #expect(TopicName.consumerOffsets.isInternal)
        #expect(TopicName.transactionState.isInternal)
        #expect(try !TopicName("orders").isInternal)
    }
}
