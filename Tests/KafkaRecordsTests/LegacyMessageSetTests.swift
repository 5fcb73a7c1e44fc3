import CCompression
import Testing

@testable import KafkaRecords

@Suite("Legacy message sets (magic 0 and 1)")
struct LegacyMessageSetTests {
    static let messages: [LegacyMessage] = (0..<4).map { i in
        LegacyMessage(
            offset: Int64(i), magic: 1, timestamp: 1_600_000_000_000 + Int64(i),
            key: i == 1 ? nil : bytes("k\(i)"), value: i == 3 ? nil : bytes("value-\(i)"))
    }

    @Test("a magic-1 message is laid out as offset, size, CRC-32, magic, attributes, timestamp, key, value")
    func layout() throws {
        let m = LegacyMessage(offset: 7, magic: 1, timestamp: 1000, key: nil, value: bytes("hi"))
        let out = try LegacyMessageSet.encode([m], magic: 1)
        #expect(out.count == 12 + 4 + 1 + 1 + 8 + 4 + 4 + 2)
        #expect(Array(out[0..<12]) == [0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 24])
        let expectedCRC = out[16...].withUnsafeBytes {
            UInt32(crc32(0, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt($0.count)))
        }
        #expect(
            Array(out[12..<16]) == [
                UInt8(expectedCRC >> 24), UInt8((expectedCRC >> 16) & 0xFF), UInt8((expectedCRC >> 8) & 0xFF),
                UInt8(expectedCRC & 0xFF),
            ])
        #expect(
            Array(out[16...]) == [1, 0, 0, 0, 0, 0, 0, 0, 0x03, 0xE8, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 2, 0x68, 0x69])
        let v0 = try LegacyMessageSet.encode([m], magic: 0)
        #expect(v0.count == 12 + 4 + 1 + 1 + 4 + 4 + 2)
        #expect(
            try LegacyMessageSet.decode(v0).messages == [
                LegacyMessage(offset: 7, magic: 0, timestamp: -1, key: nil, value: bytes("hi"))
            ])
    }

    @Test("the CRC-32 of the classic magic-0 message is the well-known value")
    func knownCRC() throws {
        // zlib's CRC-32 check value: crc32("123456789") == 0xCBF43926
        let check = Array("123456789".utf8).withUnsafeBytes {
            crc32(0, $0.baseAddress!.assumingMemoryBound(to: Bytef.self), uInt($0.count))
        }
        #expect(check == 0xCBF4_3926)
    }

    @Test("messages round-trip uncompressed and inside compressed wrappers of every legacy codec")
    func roundTrip() throws {
        for magic: Int8 in [0, 1] {
            let expected = Self.messages.map { m -> LegacyMessage in
                var m = m
                m.magic = magic
                if magic == 0 { m.timestamp = -1 }
                return m
            }
            for codec in [CompressionCodec.none, .gzip, .snappy, .lz4] {
                let shifted = expected.map { m -> LegacyMessage in
                    var m = m
                    m.offset += 100
                    return m
                }
                let set = try LegacyMessageSet.encode(shifted, magic: magic, codec: codec)
                let (decoded, trailing) = try LegacyMessageSet.decode(set)
                #expect(trailing == 0)
                #expect(decoded == shifted, "magic \(magic) codec \(codec)")
            }
        }
    }

    @Test("magic-1 wrappers use relative inner offsets and carry the last absolute offset")
    func wrapperOffsets() throws {
        let shifted = Self.messages.map { m -> LegacyMessage in
            var m = m
            m.offset += 50
            return m
        }
        let set = try LegacyMessageSet.encode(shifted, magic: 1, codec: .gzip)
        #expect(Array(set[0..<8]) == [0, 0, 0, 0, 0, 0, 0, 53])
        // inner offsets start at 0
        let wrapper = try set.withUnsafeBytes {
            try LegacyMessageSet.decodeMessage(UnsafeRawBufferPointer(rebasing: $0[12...]), offset: 53)
        }
        let inner = try CompressionCodec.gzip.decompress(wrapper.value!)
        #expect(Array(inner[0..<8]) == [0, 0, 0, 0, 0, 0, 0, 0])
        // kafka-go style: wrapper offset 0 over inner 0..n-1 decodes to n-1 below zero; conversion renumbers
        let upConverted = try LegacyMessageSet.upConvert(set)
        #expect(try RecordBatch(parsing: upConverted).records.map(\.offsetDelta) == [0, 1, 2, 3])
    }

    @Test("a bad message CRC is corruptMessage; a partial trailing message is tolerated")
    func crcAndTail() throws {
        var set = try LegacyMessageSet.encode(Self.messages, magic: 1)
        let (_, trailing) = try LegacyMessageSet.decode(set + Array(set[0..<15]))
        #expect(trailing == 15)
        set[set.count - 1] ^= 1
        #expect(throws: RecordValidationError.self) { try LegacyMessageSet.decode(set) }
        var wrapped = try LegacyMessageSet.encode(Self.messages, magic: 1, codec: .snappy)
        wrapped[30] ^= 0x10
        #expect(throws: RecordValidationError.self) { try LegacyMessageSet.decode(wrapped) }
    }

    @Test("every single-byte corruption of a compressed message set throws or decodes, never traps")
    func fuzz() throws {
        for codec in [CompressionCodec.none, .gzip, .lz4] {
            let set = try LegacyMessageSet.encode(Self.messages, magic: 1, codec: codec)
            for i in 0..<set.count {
                var m = set
                m[i] &+= 0x41
                _ = try? LegacyMessageSet.decode(m)
                _ = try? LegacyMessageSet.upConvert(m)
            }
            for n in 0..<set.count { _ = try? LegacyMessageSet.upConvert(Array(set[0..<n])) }
        }
    }

    @Test("up-conversion turns a whole message set into one v2 batch with the wrapper's codec")
    func upConvert() throws {
        for codec in [CompressionCodec.none, .gzip, .snappy, .lz4] {
            let set = try LegacyMessageSet.encode(Self.messages, magic: 1, codec: codec)
            let batchBytes = try LegacyMessageSet.upConvert(set)
            let batch = try RecordBatch(parsing: batchBytes)
            #expect(batch.header.compressionCodec == codec.rawValue)
            #expect(batch.header.baseOffset == 0 && batch.header.producerId == -1)
            #expect(batch.records.count == 4)
            #expect(batch.records.map { batch.timestamp(of: $0) } == Self.messages.map(\.timestamp))
            #expect(batch.records.map(\.key) == Self.messages.map(\.key))
            #expect(batch.records.map(\.value) == Self.messages.map(\.value))
            // and the result is a valid client batch
            let prepared = try BatchValidator().prepareForAppend(
                batchBytes, topicCompression: .producer, timestampType: .createTime, now: 1_600_000_000_010)
            #expect(prepared.recordCount == 4)
        }
        let v0 = try LegacyMessageSet.upConvert(try LegacyMessageSet.encode(Self.messages, magic: 0))
        let b0 = try RecordBatch(parsing: v0)
        #expect(b0.header.baseTimestamp == -1 && b0.records.allSatisfy { $0.timestampDelta == 0 })
        _ = try BatchValidator(config: .init(timestampBeforeMaxMs: 10)).validate(v0, now: 1_600_000_000_010)
        #expect(throws: RecordValidationError.self) { try LegacyMessageSet.upConvert([]) }
        let forced = try LegacyMessageSet.upConvert(try LegacyMessageSet.encode(Self.messages, magic: 1), codec: .zstd)
        #expect(try RecordBatch(parsing: forced).header.compressionCodec == 4)
    }

    @Test("down-conversion keeps absolute offsets and drops headers, control batches and earlier records")
    func downConvert() throws {
        var a = RecordBatchBuilder(baseOffset: 10, codec: .lz4)
        a.append(timestamp: 500, key: bytes("a"), value: bytes("1"), headers: [RecordHeader(key: "h", value: nil)])
        a.append(timestamp: 501, key: nil, value: bytes("2"))
        var control = RecordBatchBuilder(
            baseOffset: 12, producerId: 4, producerEpoch: 0, isTransactional: true, isControl: true)
        control.append(timestamp: 502, key: [0, 0, 0, 1], value: [0, 0, 0, 0, 0, 0])
        var c = RecordBatchBuilder(baseOffset: 13, timestampType: .logAppendTime, logAppendTime: 9999)
        c.append(timestamp: 503, key: nil, value: bytes("3"))
        let log = try a.build() + control.build() + c.build()
        let partial = Array(try c.build()[0..<40])

        let v1 = try LegacyMessageSet.downConvert(log + partial, toMagic: 1)
        let m1 = try LegacyMessageSet.decode(v1).messages
        #expect(m1.map(\.offset) == [10, 11, 13])
        #expect(m1.map(\.value) == [bytes("1"), bytes("2"), bytes("3")])
        #expect(m1.map(\.key) == [bytes("a"), nil, nil])
        #expect(m1.map(\.timestamp) == [500, 501, 9999])
        #expect(m1[2].isLogAppendTime && !m1[0].isLogAppendTime)
        #expect(m1.allSatisfy { $0.magic == 1 })

        let v0 = try LegacyMessageSet.downConvert(log, toMagic: 0, fromOffset: 11)
        let m0 = try LegacyMessageSet.decode(v0).messages
        #expect(m0.map(\.offset) == [11, 13])
        #expect(m0.allSatisfy { $0.magic == 0 && $0.timestamp == -1 })

        let wrapped = try LegacyMessageSet.downConvert(log, toMagic: 1, codec: .gzip)
        #expect(try LegacyMessageSet.decode(wrapped).messages == m1)
        #expect(try LegacyMessageSet.downConvert([], toMagic: 1).isEmpty)
    }

    @Test("Fetch v0-v1 want magic 0, v2-v3 magic 1, v4+ batches as stored")
    func fetchVersions() {
        #expect([0, 1, 2, 3, 4, 11].map { LegacyMessageSet.magic(forFetchVersion: $0) } == [0, 0, 1, 1, nil, nil])
    }

    @Test("legacy up- then down-conversion gives back the original messages")
    func fullRoundTrip() throws {
        let set = try LegacyMessageSet.encode(Self.messages, magic: 1, codec: .snappy)
        let prepared = try BatchValidator().prepareForAppend(
            try LegacyMessageSet.upConvert(set), topicCompression: .producer, timestampType: .createTime, now: 0)
        var stored = prepared.bytes
        stored.storeBE(Int64(0), at: 0)
        let back = try LegacyMessageSet.decode(try LegacyMessageSet.downConvert(stored, toMagic: 1)).messages
        #expect(back == Self.messages)
    }
}
