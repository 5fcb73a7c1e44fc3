import Testing

@testable import KafkaProtocol

/// Shared checks for the group, operations and inter-broker message tests (part B).
enum GroupWire {
    static func encode<T: KafkaMessage>(_ value: T, version: Int16) -> [UInt8] {
        var w = ProtocolWriter()
        value.write(to: &w, version: version)
        return w.bytes
    }

    /// Decodes `bytes` at `version` and requires every byte to be consumed.
    static func decode<T: KafkaMessage>(_: T.Type, _ bytes: [UInt8], version: Int16) throws -> T {
        var r = ProtocolReader(bytes)
        let value = try T(reading: &r, version: version)
        guard r.isAtEnd else { throw ProtocolError.invalidField("\(r.remaining) trailing bytes") }
        return value
    }

    /// A hand-built vector: decodes it, re-encodes it byte-exact, checks that every strict prefix throws,
    /// and returns the decoded value for field-by-field expectations.
    static func vector<T: KafkaMessage>(
        _ type: T.Type, _ bytes: [UInt8], version: Int16, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> T {
        let value = try decode(type, bytes, version: version)
        #expect(encode(value, version: version) == bytes, "re-encoding differs", sourceLocation: sourceLocation)
        everyPrefixThrows(type, bytes, version: version, sourceLocation: sourceLocation)
        return value
    }

    static func everyPrefixThrows<T: KafkaMessage>(
        _: T.Type, _ bytes: [UInt8], version: Int16, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for length in 0..<bytes.count {
            var r = ProtocolReader(Array(bytes[0..<length]))
            do {
                _ = try T(reading: &r, version: version)
                Issue.record(
                    "prefix of \(length)/\(bytes.count) bytes decoded at v\(version)", sourceLocation: sourceLocation)
            } catch {}
        }
    }

    /// For every version: encode, decode (consuming every byte), re-encode byte-exact, every prefix throws.
    /// At `exactAt` versions the decoded value must also equal the original (every populated field exists there).
    static func roundTrip<T: KafkaMessage & Equatable>(
        _ value: T, versions: ClosedRange<Int16>, exactAt: Set<Int16> = [],
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for version in versions {
            let bytes = encode(value, version: version)
            do {
                let decoded = try decode(T.self, bytes, version: version)
                #expect(
                    encode(decoded, version: version) == bytes, "v\(version) re-encoding differs",
                    sourceLocation: sourceLocation)
                if exactAt.contains(version) {
                    #expect(decoded == value, "v\(version) value differs", sourceLocation: sourceLocation)
                }
            } catch {
                Issue.record("v\(version) failed to decode its own encoding: \(error)", sourceLocation: sourceLocation)
            }
            everyPrefixThrows(T.self, bytes, version: version, sourceLocation: sourceLocation)
        }
    }
}
