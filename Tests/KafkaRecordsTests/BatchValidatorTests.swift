import Testing

@testable import KafkaRecords

@Suite("Batch validation and leader-append rewrites")
struct BatchValidatorTests {
    static let now: Int64 = 1_700_000_000_100

    func expectError(
        _ expected: RecordValidationError, _ bytes: [UInt8], config: BatchValidator.Config = .init(),
        timestampType: TimestampType = .createTime, sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(throws: expected, sourceLocation: sourceLocation) {
            try BatchValidator(config: config).validate(bytes, timestampType: timestampType, now: Self.now)
        }
    }

    func expectInvalidRecord(
        _ bytes: [UInt8], config: BatchValidator.Config = .init(), sourceLocation: SourceLocation = #_sourceLocation
    ) {
        do {
            _ = try BatchValidator(config: config).validate(bytes, now: Self.now)
            Issue.record("expected invalidRecord", sourceLocation: sourceLocation)
        } catch let RecordValidationError.invalidRecord(reason) {
            #expect(!reason.isEmpty, sourceLocation: sourceLocation)
        } catch {
            Issue.record("expected invalidRecord, got \(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("a well-formed batch of each codec validates and reports its records")
    func accepts() throws {
        for codec in CompressionCodec.allCases {
            let v = try BatchValidator().validate(try makeBatch(codec: codec), now: Self.now)
            #expect(v.codec == codec)
            #expect(v.recordCount == 5)
            #expect(v.maxTimestamp == 1_700_000_000_012)
            #expect(v.offsetDeltaOfMaxTimestamp == 4)
            #expect(v.offsetsAreSequential)
            #expect((v.decompressedRecords != nil) == (codec != .none))
        }
        let idempotent = try makeBatch(producerId: 7, baseSequence: 0, transactional: true)
        #expect(try BatchValidator().validate(idempotent, now: Self.now).header.producerId == 7)
    }

    @Test("zero or several batches in one partition payload are rejected with the batch count")
    func batchCount() throws {
        let one = try makeBatch()
        expectError(.invalidBatchCount(0), [])
        expectError(.invalidBatchCount(2), one + one)
        expectError(.invalidBatchCount(3), one + one + one)
        // a partial trailing batch is not counted and is dropped, as Kafka trims it
        let v = try BatchValidator().validate(one + Array(one[0..<20]), now: Self.now)
        #expect(v.bytes == one)
    }

    @Test("legacy magic is refused on the v2 path")
    func magic() throws {
        let legacy = try LegacyMessageSet.encode([LegacyMessage(offset: 0, key: nil, value: bytes("x"))], magic: 1)
        expectInvalidRecord(legacy)
        expectInvalidRecord(patched(try makeBatch()) { $0.magic = 3 })
    }

    @Test("baseOffset must be 0")
    func baseOffset() throws {
        expectInvalidRecord(patched(try makeBatch()) { $0.baseOffset = 5 })
    }

    @Test("inconsistent lengths are rejected")
    func lengths() throws {
        let b = try makeBatch()
        // a length running past the payload leaves no complete batch
        expectError(.invalidBatchCount(0), patched(b) { $0.batchLength = Int32(b.count) })
        // an impossible length cannot be walked at all
        expectError(.corruptMessage("entry at byte 0 declares length 3"), patched(b) { $0.batchLength = 3 })
        // a length cutting the batch short leaves the rest as garbage
        #expect(throws: RecordValidationError.self) {
            try BatchValidator().validate(patched(b) { $0.batchLength = 40 }, now: 0)
        }
    }

    @Test("a bad CRC is corruptMessage")
    func crc() throws {
        var b = try makeBatch()
        b[b.count - 1] ^= 0xFF
        #expect(throws: RecordValidationError.self) { try BatchValidator().validate(b, now: Self.now) }
        do {
            _ = try BatchValidator().validate(b, now: Self.now)
        } catch let error as RecordValidationError {
            guard case .corruptMessage = error else {
                Issue.record("expected corruptMessage, got \(error)")
                return
            }
        }
    }

    @Test("a batch over max.message.bytes is messageTooLarge")
    func tooLarge() throws {
        let b = try makeBatch()
        expectError(.messageTooLarge(size: b.count, limit: 100), b, config: .init(maxMessageBytes: 100))
        _ = try BatchValidator(config: .init(maxMessageBytes: b.count)).validate(b, now: Self.now)
    }

    @Test("lastOffsetDelta + 1 must equal recordsCount, which must be positive")
    func counts() throws {
        let b = try makeBatch()
        expectInvalidRecord(patched(b) { $0.lastOffsetDelta = 3 })
        expectInvalidRecord(patched(b) { $0.lastOffsetDelta = 5 })
        expectInvalidRecord(
            patched(b) {
                $0.recordsCount = 0; $0.lastOffsetDelta = -1
            })
        // header agrees with itself but not with the records
        expectInvalidRecord(
            patched(b) {
                $0.recordsCount = 6; $0.lastOffsetDelta = 5
            })
        expectInvalidRecord(
            patched(b) {
                $0.recordsCount = 4; $0.lastOffsetDelta = 3
            })
    }

    @Test("control batches, LogAppendTime batches and unknown codecs from clients are refused")
    func flags() throws {
        let b = try makeBatch(producerId: 1, baseSequence: 0, transactional: true)
        expectInvalidRecord(patched(b) { $0.attributes |= 0x20 })
        expectInvalidRecord(patched(b) { $0.attributes |= 0x08 })
        expectError(.unsupportedCompressionType(6), patched(b) { $0.attributes |= 0x06 })
        expectError(
            .unsupportedCompressionType(4), try makeBatch(codec: .zstd), config: .init(allowZstd: false))
    }

    @Test("a producer id requires baseSequence >= 0; transactional batches require a producer id")
    func producerFields() throws {
        expectInvalidRecord(try makeBatch(producerId: 3, baseSequence: -1))
        expectInvalidRecord(try makeBatch(producerId: -1, baseSequence: -1, transactional: true))
    }

    @Test("uncompressed records must carry offset deltas 0..n-1")
    func uncompressedOffsets() throws {
        var b = RecordBatchBuilder()
        b.append(offsetDelta: 0, timestampDelta: 0, key: nil, value: bytes("a"))
        b.append(offsetDelta: 2, timestampDelta: 0, key: nil, value: bytes("b"))
        let bytes = patched(try b.build()) {
            $0.recordsCount = 2; $0.lastOffsetDelta = 1
        }
        expectInvalidRecord(bytes)
    }

    @Test("malformed records under a valid CRC are invalidRecord")
    func malformedRecords() throws {
        var b = try makeBatch(count: 1)
        b[RecordBatchHeader.size] = 0x7E  // record length 63: longer than the batch
        RecordBatch.updateCRC(&b)
        expectInvalidRecord(b)
        var extra = try makeBatch(count: 1)
        extra.append(0)  // a stray byte after the last record
        extra.storeBE(Int32(extra.count - 12), at: 8)
        RecordBatch.updateCRC(&extra)
        expectInvalidRecord(extra)
    }

    @Test("compressed garbage under a valid CRC is corruptMessage")
    func compressedGarbage() throws {
        var b = try makeBatch(codec: .zstd)
        for i in (RecordBatchHeader.size + 2)..<(RecordBatchHeader.size + 8) { b[i] = 0xEE }
        RecordBatch.updateCRC(&b)
        #expect(throws: RecordValidationError.self) { try BatchValidator().validate(b, now: Self.now) }
        let big = try makeBatch(codec: .gzip, count: 50)
        expectError(.decompressionLimitExceeded(limit: 64), big, config: .init(maxDecompressedBytes: 64))
    }

    @Test("compacted topics refuse null keys")
    func compacted() throws {
        expectInvalidRecord(try makeBatch(count: 3), config: .init(isCompacted: true))
        _ = try BatchValidator(config: .init(isCompacted: true)).validate(try makeBatch(count: 2), now: Self.now)
    }

    @Test("CreateTime timestamps outside [now - before, now + after] are invalidTimestamp; -1 and LogAppendTime pass")
    func timestamps() throws {
        let b = try makeBatch(count: 3)  // timestamps now-100, now-97, now-144
        let tight = BatchValidator.Config(timestampBeforeMaxMs: 120, timestampAfterMaxMs: 0)
        expectError(.invalidTimestamp(timestamp: 1_700_000_000_000 + 6 - 50, now: Self.now), b, config: tight)
        _ = try BatchValidator(config: tight).validate(b, timestampType: .logAppendTime, now: Self.now)
        let future = try makeBatch(count: 1, base: Self.now + 10)
        expectError(
            .invalidTimestamp(timestamp: Self.now + 10, now: Self.now), future,
            config: .init(timestampAfterMaxMs: 5))
        var noTimestamp = RecordBatchBuilder(baseTimestamp: -1)
        noTimestamp.append(offsetDelta: 0, timestampDelta: 0, key: nil, value: bytes("x"))
        _ = try BatchValidator(config: tight).validate(try noTimestamp.build(), now: Self.now)
        // extreme windows do not overflow
        let wide = BatchValidator(config: .init(timestampBeforeMaxMs: .max, timestampAfterMaxMs: .max))
        _ = try wide.validate(try makeBatch(count: 1, base: .max - 100), now: 0)
        _ = try wide.validate(try makeBatch(count: 1, base: 0), now: .max - 5)
    }

    // MARK: prepareForAppend

    @Test("CreateTime with the producer's codec returns the very same bytes")
    func inPlaceUnchanged() throws {
        for codec in CompressionCodec.allCases {
            let b = try makeBatch(codec: codec)
            let p = try BatchValidator().prepareForAppend(
                b, topicCompression: .producer, timestampType: .createTime, now: Self.now)
            #expect(p.isUnchanged && !p.wasRebuilt)
            #expect(p.bytes == b)
            #expect(p.logAppendTime == -1)
            #expect(p.maxTimestamp == 1_700_000_000_012)
            let same = try BatchValidator().prepareForAppend(
                b, topicCompression: .codec(codec == .none ? .none : codec), timestampType: .createTime, now: Self.now)
            #expect(same.isUnchanged)
        }
    }

    @Test("LogAppendTime sets the attribute bit and maxTimestamp in place and recomputes the CRC")
    func inPlaceLogAppendTime() throws {
        let b = try makeBatch(codec: .snappy, producerId: 9, baseSequence: 4)
        let p = try BatchValidator().prepareForAppend(
            b, topicCompression: .producer, timestampType: .logAppendTime, now: Self.now)
        #expect(!p.wasRebuilt && !p.isUnchanged)
        #expect(p.bytes.count == b.count)
        #expect(p.logAppendTime == Self.now)
        let parsed = try RecordBatch(parsing: p.bytes)
        #expect(parsed.header.isLogAppendTime)
        #expect(parsed.header.maxTimestamp == Self.now)
        #expect(parsed.header.crc == referenceCRC32C(p.bytes[21...]))
        #expect(parsed.timestamp(of: parsed.records[0]) == Self.now)
        #expect(Array(p.bytes[61...]) == Array(b[61...]))
    }

    @Test("a CreateTime maxTimestamp that disagrees with the records is corrected in place")
    func inPlaceFixesMaxTimestamp() throws {
        let b = patched(try makeBatch()) { $0.maxTimestamp = 5 }
        let p = try BatchValidator().prepareForAppend(
            b, topicCompression: .producer, timestampType: .createTime, now: Self.now)
        #expect(!p.isUnchanged && !p.wasRebuilt)
        #expect(try RecordBatch(parsing: p.bytes).header.maxTimestamp == 1_700_000_000_012)
    }

    @Test("a different topic codec rebuilds the batch, keeping producer fields, flags and records")
    func rebuild() throws {
        let source = try makeBatch(codec: .gzip, producerId: 11, baseSequence: 40, transactional: true)
        let original = try RecordBatch(parsing: source)
        let targets: [TargetCompression] = [.uncompressed, .codec(.snappy), .codec(.lz4), .codec(.zstd)]
        for target in targets {
            for type in [TimestampType.createTime, .logAppendTime] {
                let p = try BatchValidator().prepareForAppend(
                    source, topicCompression: target, timestampType: type, now: Self.now)
                #expect(p.wasRebuilt)
                let rebuilt = try RecordBatch(parsing: p.bytes)
                let h = rebuilt.header
                #expect(h.compressionCodec == target.resolve(source: .gzip).rawValue)
                #expect(h.producerId == 11 && h.producerEpoch == 0 && h.baseSequence == 40)
                #expect(h.isTransactional && !h.isControl)
                #expect(h.isLogAppendTime == (type == .logAppendTime))
                #expect(h.maxTimestamp == (type == .logAppendTime ? Self.now : original.header.maxTimestamp))
                #expect(h.baseTimestamp == original.header.baseTimestamp)
                #expect(h.lastOffsetDelta == 4 && h.recordsCount == 5)
                #expect(rebuilt.records == original.records)
            }
        }
        let p = try BatchValidator().prepareForAppend(
            try makeBatch(codec: .none), topicCompression: .codec(.zstd), timestampType: .createTime, now: Self.now)
        #expect(p.wasRebuilt && p.header.compressionCodec == 4)
    }

    @Test("compressed batches with inner offsets other than 0..n-1 are rebuilt with sequential offsets")
    func rebuildNonSequential() throws {
        var b = RecordBatchBuilder(codec: .lz4, baseTimestamp: 100)
        b.append(offsetDelta: 5, timestampDelta: 0, key: nil, value: bytes("a"))
        b.append(offsetDelta: 9, timestampDelta: 7, key: nil, value: bytes("b"))
        b.append(offsetDelta: 10, timestampDelta: 3, key: nil, value: bytes("c"))
        let source = patched(try b.build()) { $0.lastOffsetDelta = 2 }
        let v = try BatchValidator().validate(source, now: 150)
        #expect(!v.offsetsAreSequential)
        let p = try BatchValidator().prepareForAppend(
            source, topicCompression: .producer, timestampType: .createTime, now: 150)
        #expect(p.wasRebuilt)
        let rebuilt = try RecordBatch(parsing: p.bytes)
        #expect(rebuilt.records.map(\.offsetDelta) == [0, 1, 2])
        #expect(rebuilt.records.map(\.value) == [bytes("a"), bytes("b"), bytes("c")])
        #expect(rebuilt.header.compressionCodec == 3)
        #expect(p.maxTimestamp == 107 && p.offsetDeltaOfMaxTimestamp == 1)
    }

    @Test("a rebuild that grows past max.message.bytes is messageTooLarge")
    func rebuildTooLarge() throws {
        var b = RecordBatchBuilder(codec: .zstd)
        for i in 0..<40 { b.append(timestamp: Int64(i), key: nil, value: [UInt8](repeating: 7, count: 100)) }
        let source = try b.build()
        let validator = BatchValidator(config: .init(maxMessageBytes: source.count + 10))
        #expect(throws: RecordValidationError.self) {
            try validator.prepareForAppend(source, topicCompression: .uncompressed, timestampType: .createTime, now: 0)
        }
    }

    @Test("compression.type config values parse")
    func targetParsing() {
        #expect(TargetCompression(configValue: "producer") == .producer)
        #expect(TargetCompression(configValue: "uncompressed") == .uncompressed)
        #expect(TargetCompression(configValue: "ZSTD") == .codec(.zstd))
        #expect(TargetCompression(configValue: "brotli") == nil)
    }
}
