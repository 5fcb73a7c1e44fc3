import Testing

@testable import KafkaProtocol

/// Bytes from hex text. Whitespace is ignored and `#` starts a comment running to the end of the line, so a vector
/// can be laid out one field per line.
func hex(_ text: String) -> [UInt8] {
    var out = [UInt8]()
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        let code = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let digits = code.filter { !$0.isWhitespace }
        precondition(digits.count % 2 == 0, "odd hex digit count in: \(line)")
        var i = digits.startIndex
        while i < digits.endIndex {
            let j = digits.index(i, offsetBy: 2)
            out.append(UInt8(digits[i..<j], radix: 16)!)
            i = j
        }
    }
    return out
}

/// UTF-8 bytes of a string, for building vectors.
func utf8(_ s: String) -> [UInt8] { Array(s.utf8) }

/// Decodes `bytes` at `version`, requiring that the whole buffer is consumed.
func decodeAll<T: KafkaMessage>(_: T.Type, _ bytes: [UInt8], version: Int16) throws -> T {
    var reader = ProtocolReader(bytes)
    let value = try T(reading: &reader, version: version)
    #expect(reader.isAtEnd, "\(T.self) v\(version) left \(reader.remaining) bytes unread")
    return value
}

/// Decodes a hand-built vector, hands it to `check` for field-by-field expectations, and requires that
/// re-encoding reproduces the vector byte for byte.
func checkVector<T: KafkaMessage & Equatable>(
    _: T.Type, version: Int16, _ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation,
    _ check: (T) -> Void
) throws {
    let value = try decodeAll(T.self, bytes, version: version)
    check(value)
    #expect(
        value.encoded(version: version) == bytes, "re-encoding \(T.self) v\(version)", sourceLocation: sourceLocation)
}

/// Every strict prefix of a valid encoding must throw (never trap, never succeed).
func expectEveryPrefixThrows<T: KafkaMessage>(
    _: T.Type, _ bytes: [UInt8], version: Int16, sourceLocation: SourceLocation = #_sourceLocation
) {
    for length in 0..<bytes.count {
        var reader = ProtocolReader(Array(bytes[0..<length]))
        #expect(throws: ProtocolError.self, "\(T.self) v\(version) prefix \(length)", sourceLocation: sourceLocation) {
            _ = try T(reading: &reader, version: version)
        }
    }
}

/// Encodes `value` at every version, decodes it back, and requires: the whole buffer is consumed, re-encoding the
/// decoded value gives the same bytes, decoding is stable, and every prefix of the encoding throws.
func expectRoundTrips<T: KafkaMessage & Equatable>(
    _ value: T, versions: ClosedRange<Int16>, sourceLocation: SourceLocation = #_sourceLocation
) throws {
    for version in versions {
        let first = value.encoded(version: version)
        let decoded = try decodeAll(T.self, first, version: version)
        let second = decoded.encoded(version: version)
        #expect(first == second, "\(T.self) v\(version) re-encoding differs", sourceLocation: sourceLocation)
        #expect(try T(decoding: second, version: version) == decoded, sourceLocation: sourceLocation)
        expectEveryPrefixThrows(T.self, first, version: version, sourceLocation: sourceLocation)
    }
}

let orders = utf8("orders")
let sampleTopicId = UUIDValue(bytes: Array(0..<16))
