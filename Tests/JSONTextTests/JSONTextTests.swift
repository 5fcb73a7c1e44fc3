import JSONText
import Testing

@Suite struct JSONTextTests {
    @Test func stringsAreQuotedAsJacksonWritesThem() {
        #expect(JSON.quote("plain") == "\"plain\"")
        #expect(JSON.quote("a\"b\\c") == "\"a\\\"b\\\\c\"")
        #expect(JSON.quote("\n\r\t\u{08}\u{0C}") == "\"\\n\\r\\t\\b\\f\"")
        #expect(JSON.quote("\u{01}\u{1F}") == "\"\\u0001\\u001F\"")
        #expect(JSON.quote("é/€") == "\"é/€\"")
    }

    @Test func objectsKeepTheirKeyOrderAndWriteCompactly() {
        let value = JSON.obj(["version": .int(2), "b": .string("x"), "a": .intArray([1, 2]), "n": .null])
        #expect(value.text == "{\"version\":2,\"b\":\"x\",\"a\":[1,2],\"n\":null}")
    }

    @Test func whatIsWrittenParsesBackToTheSameValue() throws {
        let value = JSON.obj([
            "s": .string("q\"\u{01}é"), "i": .integer(-9_223_372_036_854_775_808), "d": .double(1.5),
            "t": .bool(true), "arr": .array([.null, .obj([:])]),
        ])
        #expect(try JSON(parsing: value.bytes) == value)
    }

    @Test func escapesAndSurrogatePairsAreDecoded() throws {
        #expect(try JSON(parsing: #" "\u00e9\ud83d\ude00\/" "#) == .string("é😀/"))
    }

    @Test func malformedInputIsRejectedWithAnOffset() {
        for bad in ["", "{", "[1,]", "\"\\ud800\"", "01x", "{\"a\" 1}", "[1] 2", "\"a\u{01}\"", "tru"] {
            #expect(throws: JSONParseError.self) { try JSON(parsing: bad) }
        }
    }

    @Test func deepNestingIsRejectedInsteadOfRecursingWithoutBound() {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParseError.self) { try JSON(parsing: deep) }
        let fine = String(repeating: "[", count: JSON.maxDepth) + String(repeating: "]", count: JSON.maxDepth)
        #expect((try? JSON(parsing: fine)) != nil)
    }
}
