import Testing

@testable import KafkaConfig

@Suite("Java .properties parsing")
struct PropertiesFileTests {
    private func parse(_ text: String) throws -> [String] {
        try PropertiesFile(parsing: text).entries.map { "\($0.key)=\($0.value)" }
    }

    @Test("accepts key=value, key: value and key value separators")
    func separators() throws {
        #expect(try parse("a=1\nb: 2\nc 3\nd\t=\t4\ne:5") == ["a=1", "b=2", "c=3", "d=4", "e=5"])
    }

    @Test("skips # and ! comments and blank lines, even indented")
    func comments() throws {
        #expect(try parse("# one\n   ! two\n\n  \t\nkey=value\n  # three") == ["key=value"])
    }

    @Test("a comment line ending in a backslash does not continue")
    func commentDoesNotContinue() throws {
        #expect(try parse("# comment \\\nkey=value") == ["key=value"])
    }

    @Test("trailing backslash continues the line and drops the next line's leading blanks")
    func continuation() throws {
        let text = "listeners=PLAINTEXT://:9092,\\\n    SSL://:9093\nnext=1"
        #expect(try parse(text) == ["listeners=PLAINTEXT://:9092,SSL://:9093", "next=1"])
    }

    @Test("an even number of trailing backslashes is an escaped backslash, not a continuation")
    func evenBackslashes() throws {
        #expect(try parse("path=C:\\\\dir\\\\\nnext=1") == ["path=C:\\dir\\", "next=1"])
    }

    @Test("continuation at end of input ends the value")
    func continuationAtEnd() throws {
        #expect(try parse("a=1\\") == ["a=1"])
    }

    @Test("decodes \\t \\n \\r \\f, \\uXXXX and escaped separators")
    func escapes() throws {
        let entries = try PropertiesFile(parsing: "k\\=x\\:y\\ z = a\\tb\\nc\\u0041\\u00e9\\=\\\\").entries
        #expect(entries.count == 1)
        #expect(entries.first?.key == "k=x:y z")
        #expect(entries.first?.value == "a\tb\ncA\u{e9}=\\")
    }

    @Test("combines \\u surrogate pairs into one character")
    func surrogates() throws {
        #expect(try PropertiesFile(parsing: "emoji=\\ud83d\\ude00").entries.first?.value == "\u{1F600}")
    }

    @Test("a malformed \\u escape throws with its line number")
    func malformedUnicode() {
        #expect(throws: ConfigError.malformedProperties(line: 2, reason: "Malformed \\uxxxx encoding.")) {
            try PropertiesFile(parsing: "ok=1\nbad=\\u12G4")
        }
    }

    @Test("trims blanks around keys and values but keeps escaped trailing blanks")
    func trimming() throws {
        #expect(try parse("   key   =   value   \t") == ["key=value"])
        #expect(try parse("key=value\\ ") == ["key=value "])
    }

    @Test("a key alone has an empty value, and an empty key is allowed")
    func emptyParts() throws {
        #expect(try parse("lonely\n=value") == ["lonely=", "=value"])
    }

    @Test("handles CRLF and CR line endings and counts lines")
    func lineEndings() throws {
        let entries = try PropertiesFile(parsing: "a=1\r\nb=2\rc=3\r\n\r\n# x\r\nd=\\\r\n  4").entries
        #expect(entries.map(\.key) == ["a", "b", "c", "d"])
        #expect(entries.map(\.value) == ["1", "2", "3", "4"])
        #expect(entries.map(\.line) == [1, 2, 3, 6])
    }

    @Test("keeps duplicates in order and the last one wins in the dictionary")
    func duplicates() throws {
        let file = try PropertiesFile(parsing: "a=1\nb=2\na=3")
        #expect(file.pairs.map(\.key) == ["a", "b", "a"])
        #expect(file.dictionary == ["a": "3", "b": "2"])
    }

    @Test("values keep inner separators and spaces")
    func innerSeparators() throws {
        #expect(try parse("url = http://host:80/a=b c") == ["url=http://host:80/a=b c"])
    }
}
