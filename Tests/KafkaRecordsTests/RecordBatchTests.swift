import Testing

@testable import KafkaRecords

@Suite("Varints and records")
struct VarintTests {
    @Test("zigzag varints encode like Kafka's ByteUtils")
    func zigzag() throws {
        let cases: [(Int32, [UInt8])] = [
            (0, [0x00]), (-1, [0x01]), (1, [0x02]), (-2, [0x03]), (63, [0x7E]), (64, [0x80, 0x01]),
            (300, [0xD8, 0x04]), (Int32.max, [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]),
            (Int32.min, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F]),
        ]
        for (value, encoded) in cases {
            var out: [UInt8] = []
            out.appendVarint(value)
            #expect(out == encoded)
            #expect(Varint.size(value) == encoded.count)
            let decoded = try Varint.decodeInt32(encoded)
            #expect(decoded.value == value && decoded.length == encoded.count)
        }
        for value: Int64 in [0, -1, 1, 1_700_000_000_000, -1_700_000_000_000, .max, .min] {
            var out: [UInt8] = []
            out.appendVarlong(value)
            #expect(out.count == Varint.size(value))
            let decoded = try Varint.decodeInt64(out)
            #expect(decoded.value == value && decoded.length == out.count)
        }
    }

    @Test("overlong and truncated varints throw")
    func badVarints() {
        #expect(throws: RecordValidationError.self) { try Varint.decodeInt32([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]) }
        #expect(throws: RecordValidationError.self) { try Varint.decodeInt32([0x80]) }
        #expect(throws: RecordValidationError.self) { try Varint.decodeInt64([]) }
        #expect(throws: RecordValidationError.self) { try Varint.decodeInt64(Array(repeating: 0xFF, count: 11)) }
    }
}

@Suite("Record batch v2")
struct RecordBatchTests {
    /// One record, key "k", value "v", no headers, hand-assembled from the spec.
    static let handBuilt: [UInt8] = {
        var b = hex(
            """
            00 00 00 00 00 00 00 00  00 00 00 3A  FF FF FF FF  02  00 00 00 00
            00 00  00 00 00 00  00 00 00 00 00 00 03 E8  00 00 00 00 00 00 03 E8
            FF FF FF FF FF FF FF FF  FF FF  FF FF FF FF  00 00 00 01
            10 00 00 00 02 6B 02 76 00
            """)
        let crc = referenceCRC32C(b[21...])
        b[17] = UInt8(crc >> 24)
        b[18] = UInt8((crc >> 16) & 0xFF)
        b[19] = UInt8((crc >> 8) & 0xFF)
        b[20] = UInt8(crc & 0xFF)
        return b
    }()

    @Test("the builder writes exactly the hand-assembled golden batch")
    func golden() throws {
        #expect(Self.handBuilt.count == 70)
        var b = RecordBatchBuilder()
        b.append(timestamp: 1000, key: bytes("k"), value: bytes("v"))
        let built = try b.build()
        #expect(built == Self.handBuilt)
        let batch = try RecordBatch(parsing: Self.handBuilt)
        #expect(batch.header.batchLength == 58)
        #expect(batch.header.recordsCount == 1 && batch.header.lastOffsetDelta == 0)
        #expect(batch.header.baseTimestamp == 1000 && batch.header.maxTimestamp == 1000)
        #expect(batch.records == [Record(offsetDelta: 0, timestampDelta: 0, key: bytes("k"), value: bytes("v"))])
    }

    @Test("a batch written by the Java producer (kafka-python fixture) parses and re-encodes byte for byte")
    func javaFixture() throws {
        let captured = hex(
            """
            00 00 00 00 00 00 00 00 00 00 00 3B 00 00 00 01 02 03 18 A2 70 00 00 00 00 00 00
            00 00 01 5D FF 7B 06 3C 00 00 01 5D FF 7B 06 3C FF FF FF FF FF FF FF FF FF FF FF FF FF FF
            00 00 00 01 12 00 00 00 01 06 31 32 33 00
            """)
        let batch = try RecordBatch(parsing: captured)
        #expect(batch.header.crc == 0x0318_A270)
        #expect(batch.header.partitionLeaderEpoch == 1)
        #expect(batch.records.count == 1)
        #expect(batch.records[0].key == nil && batch.records[0].value == bytes("123"))
        #expect(try batch.encoded() == captured)
        #expect(try BatchValidator().validate(captured, now: 1_503_229_838_908).recordCount == 1)
    }

    @Test("a commit marker is a one-record control batch that clients may not send")
    func controlBatch() throws {
        let marker = ControlRecord(type: .commit, coordinatorEpoch: 3)
        let bytes = try marker.batch(producerId: 12, producerEpoch: 1, timestamp: 50)
        let batch = try RecordBatch(parsing: bytes)
        #expect(batch.header.isControl && batch.header.isTransactional)
        #expect(batch.header.producerId == 12 && batch.header.producerEpoch == 1)
        #expect(batch.records[0].key == [0, 0, 0, 1])
        #expect(batch.records[0].value == [0, 0, 0, 0, 0, 3])
        #expect(try ControlRecord(key: batch.records[0].key, value: batch.records[0].value) == marker)
        #expect(throws: RecordValidationError.self) {
            try ControlRecord(key: [0, 0, 0, 9], value: [0, 0, 0, 0, 0, 0])
        }
        #expect(throws: RecordValidationError.self) { try ControlRecord(key: nil, value: nil) }
        #expect(throws: RecordValidationError.self) { try BatchValidator().validate(bytes, now: 50) }
    }

    @Test("the CRC covers attributes to the end but not baseOffset, length, leader epoch or magic")
    func crcCoverage() throws {
        var b = Self.handBuilt
        b[7] = 42  // baseOffset
        b[15] = 7  // partitionLeaderEpoch
        _ = try RecordBatch(parsing: b)
        b[22] = 0x08  // attributes: LogAppendTime
        #expect(throws: RecordValidationError.self) { try RecordBatch(parsing: b) }
        _ = try RecordBatch(parsing: b, verifyCRC: false)
    }

    @Test("records with null keys, null values and headers round-trip through every codec")
    func roundTripAllCodecs() throws {
        let plain = try RecordBatch(parsing: makeBatch(codec: .none))
        #expect(plain.records.count == 5)
        #expect(plain.records[2].key == nil && plain.records[3].value == nil)
        #expect(
            plain.records[0].headers == [
                RecordHeader(key: "h0", value: bytes("v")), RecordHeader(key: "n", value: nil),
            ])
        #expect(plain.header.maxTimestamp == 1_700_000_000_012)
        #expect(plain.timestamp(of: plain.records[2]) == 1_700_000_000_006 - 50)
        for codec in CompressionCodec.allCases {
            let built = try makeBatch(codec: codec, count: 5)
            let decoded = try RecordBatch(parsing: built)
            #expect(decoded.header.compressionCodec == codec.rawValue)
            #expect(decoded.records == plain.records, "codec \(codec)")
            #expect(decoded.header.maxTimestamp == plain.header.maxTimestamp)
        }
    }

    @Test("a batch built around records compressed beforehand is byte-identical to build()")
    func buildAroundEncodedRecords() throws {
        for codec in CompressionCodec.allCases {
            var builder = RecordBatchBuilder(codec: codec)
            for i in 0..<50 { builder.append(timestamp: 1_000 + Int64(i), key: nil, value: bytes("value \(i)")) }
            let payload = try builder.encodedRecords()
            builder.producerId = 7
            builder.producerEpoch = 1
            builder.baseSequence = 42
            #expect(try builder.build(encodedRecords: payload) == builder.build(), "codec \(codec)")
        }
    }

    @Test("large batches split into several compression blocks still round-trip")
    func largeBatch() throws {
        for codec in CompressionCodec.allCases {
            var b = RecordBatchBuilder(codec: codec)
            for i in 0..<300 {
                b.append(timestamp: Int64(i), key: nil, value: Array(repeating: UInt8(i & 0x7F), count: 1000 + i))
            }
            let decoded = try RecordBatch(parsing: try b.build())
            #expect(decoded.records.count == 300)
            #expect(decoded.records[299].value?.count == 1299)
            #expect(decoded.header.lastOffsetDelta == 299)
        }
    }

    @Test("the iterator yields whole batches and stops cleanly at a partial trailing batch")
    func iterator() throws {
        let a = try makeBatch(count: 2)
        let b = patched(try makeBatch(codec: .lz4, count: 3)) { $0.baseOffset = 2 }
        let buffer = a + b + Array(b[0..<30])
        let (entries, trailing) = try RecordBatchIterator.batches(in: buffer)
        #expect(entries.count == 2)
        #expect(entries[0].range == 0..<a.count)
        #expect(entries[1].range == a.count..<(a.count + b.count))
        #expect(entries[1].header.baseOffset == 2 && entries[1].header.nextOffset == 5)
        #expect(trailing == 30)
        // fewer than 17 bytes left is also just a partial tail
        #expect(try RecordBatchIterator.batches(in: a + [0, 0, 0]).trailingBytes == 3)
        // an impossible length stops the walk with an error
        var bad = a
        bad[11] = 3
        bad[10] = 0
        bad[9] = 0
        bad[8] = 0
        #expect(throws: RecordValidationError.self) { try RecordBatchIterator.batches(in: bad) }
    }

    @Test("derived header values never trap on corrupt fields")
    func derivedValuesAreTotal() {
        let h = RecordBatchHeader(
            baseOffset: .max, lastOffsetDelta: -5, baseSequence: Int32.max, recordsCount: 1)
        _ = h.lastSequence
        _ = h.nextOffset
        let wrap = RecordBatchHeader(lastOffsetDelta: Int32.max, baseSequence: Int32.max)
        #expect(wrap.lastSequence == Int32.max - 1)
        #expect(RecordBatchHeader(lastOffsetDelta: 4, baseSequence: 10).lastSequence == 14)
        #expect(RecordBatch.peekMagic(Self.handBuilt) == 2)
        #expect(RecordBatch.peekMagic([1, 2, 3]) == nil)
    }

    @Test("a batch whose records disagree with recordsCount or leave bytes over is rejected")
    func countMismatch() throws {
        let batch = try makeBatch(count: 3)
        let more = patched(batch) { $0.recordsCount = 4 }
        #expect(throws: RecordValidationError.self) { try RecordBatch(parsing: more) }
        let fewer = patched(batch) { $0.recordsCount = 2 }
        #expect(throws: RecordValidationError.self) { try RecordBatch(parsing: fewer) }
        let negative = patched(batch) { $0.recordsCount = -1 }
        #expect(throws: RecordValidationError.self) { try RecordBatch(parsing: negative) }
    }

    @Test("every single-byte corruption and every truncation of a small batch throws or parses, never traps")
    func mutationFuzz() throws {
        for codec in CompressionCodec.allCases {
            let original = try makeBatch(codec: codec, count: 3)
            let validator = BatchValidator()
            for i in 0..<original.count {
                for delta: UInt8 in [0x01, 0x80, 0xFF] {
                    var m = original
                    m[i] = m[i] &+ delta
                    _ = try? RecordBatch(parsing: m)
                    _ = try? RecordBatch(parsing: m, verifyCRC: false)
                    _ = try? validator.validate(m, now: 1_700_000_000_000)
                    _ = try? RecordBatchIterator.batches(in: m)
                    _ = try? LegacyMessageSet.downConvert(m, toMagic: 1)
                }
            }
            for n in 0..<original.count {
                let t = Array(original[0..<n])
                #expect(throws: RecordValidationError.self) { try RecordBatch(parsing: t) }
                #expect(throws: RecordValidationError.self) { try validator.validate(t, now: 0) }
            }
        }
    }

    @Test("corrupting record bytes under a valid CRC gives invalidRecord, never a trap")
    func recordFuzzWithValidCRC() throws {
        let original = try makeBatch(count: 3)
        for i in RecordBatchHeader.size..<original.count {
            for value: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF] {
                var m = original
                m[i] = value
                RecordBatch.updateCRC(&m)
                _ = try? RecordBatch(parsing: m)
                _ = try? BatchValidator().validate(m, now: 1_700_000_000_000)
            }
        }
        // and the same for the compressed payload of every codec
        for codec in CompressionCodec.allCases where codec != .none {
            let c = try makeBatch(codec: codec, count: 3)
            for i in RecordBatchHeader.size..<c.count {
                var m = c
                m[i] ^= 0x5A
                RecordBatch.updateCRC(&m)
                _ = try? RecordBatch(parsing: m)
                _ = try? BatchValidator().validate(m, now: 1_700_000_000_000)
            }
        }
    }
}
