import CCompression
import Testing

@testable import KafkaRecords

@Suite("Compression codecs")
struct CompressionTests {
    static let text: [UInt8] = Array(
        String(repeating: "needletail speaks the kafka wire protocol; ", count: 4000).utf8)
    static let noise: [UInt8] = {
        var x: UInt32 = 12345
        return (0..<70_000).map { _ in
            x = x &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: x >> 16)
        }
    }()

    @Test("every codec round-trips empty, tiny, compressible and incompressible input")
    func roundTrips() throws {
        for codec in CompressionCodec.allCases {
            for input in [[], [0x42], Self.text, Self.noise] as [[UInt8]] {
                let compressed = try codec.compress(input)
                #expect(try codec.decompress(compressed) == input, "codec \(codec), \(input.count) bytes")
            }
        }
    }

    @Test("codec ids map to Kafka's attribute values and 5-7 are unsupported")
    func ids() throws {
        #expect(try CompressionCodec(attributes: 0x14) == .zstd)
        #expect(try CompressionCodec(attributes: 0x0B) == .lz4)
        for bad: Int16 in [5, 6, 7] {
            #expect(throws: RecordValidationError.unsupportedCompressionType(Int(bad))) {
                try CompressionCodec(attributes: bad)
            }
        }
    }

    @Test("snappy writes xerial framing with 32 KiB chunks")
    func snappyXerialLayout() throws {
        let out = try CompressionCodec.snappy.compress(Self.text)
        #expect(Array(out[0..<16]) == [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])
        var pos = 16
        var chunks = 0
        while pos < out.count {
            let len = Int(out[pos]) << 24 | Int(out[pos + 1]) << 16 | Int(out[pos + 2]) << 8 | Int(out[pos + 3])
            pos += 4 + len
            chunks += 1
        }
        #expect(pos == out.count)
        #expect(chunks == (Self.text.count + 32767) / 32768)
    }

    @Test("snappy reads a raw block without the xerial header, as librdkafka writes")
    func snappyRaw() throws {
        var raw = [UInt8](repeating: 0, count: snappy_max_compressed_length(Self.text.count))
        var n = raw.count
        let status = Self.text.withUnsafeBytes { src in
            raw.withUnsafeMutableBytes { dst in
                snappy_compress(
                    src.baseAddress!.assumingMemoryBound(to: CChar.self), src.count,
                    dst.baseAddress!.assumingMemoryBound(to: CChar.self), &n)
            }
        }
        #expect(status == SNAPPY_OK)
        raw.removeSubrange(n...)
        #expect(try CompressionCodec.snappy.decompress(raw) == Self.text)
        #expect(throws: RecordValidationError.self) { try CompressionCodec.snappy.decompress([0xFF, 0xFF, 0xFF]) }
    }

    @Test("XXH32 matches the reference vectors")
    func xxh32() {
        #expect(XXH32.hash([]) == 0x02CC_5D05)
        #expect(XXH32.hash([], seed: 0x9E37_79B1) == 0x36B7_8AE7)
        #expect(XXH32.hash(Array("a".utf8)) == 0x550D_7456)
        #expect(XXH32.hash(Array("abc".utf8)) == 0x32D1_53FF)
        #expect(XXH32.hash(Array("Nobody inspects the spammish repetition".utf8)) == 0xE229_3B2F)
    }

    @Test("lz4 frames carry Kafka's header: FLG 0x60, BD 0x40 and checksum (XXH32(FLG BD) >> 8) & 0xFF")
    func lz4Header() throws {
        let out = try CompressionCodec.lz4.compress(Self.text)
        #expect(Array(out[0..<6]) == [0x04, 0x22, 0x4D, 0x18, 0x60, 0x40])
        #expect(out[6] == UInt8((XXH32.hash([0x60, 0x40]) >> 8) & 0xFF))
        #expect(out[6] == 0x82)
        #expect(Array(out.suffix(4)) == [0, 0, 0, 0])
    }

    /// Compresses with liblz4's LZ4F API (what librdkafka uses) with the given preferences.
    static func lz4f(_ input: [UInt8], linked: Bool, contentSize: Bool, checksums: Bool, blockSize: LZ4F_blockSizeID_t)
        -> [UInt8]
    {
        var prefs = LZ4F_preferences_t()
        prefs.frameInfo.blockSizeID = blockSize
        prefs.frameInfo.blockMode = linked ? LZ4F_blockLinked : LZ4F_blockIndependent
        prefs.frameInfo.contentSize = contentSize ? UInt64(input.count) : 0
        prefs.frameInfo.contentChecksumFlag = checksums ? LZ4F_contentChecksumEnabled : LZ4F_noContentChecksum
        prefs.frameInfo.blockChecksumFlag = checksums ? LZ4F_blockChecksumEnabled : LZ4F_noBlockChecksum
        var out = [UInt8](repeating: 0, count: LZ4F_compressFrameBound(input.count, &prefs))
        let n = input.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                LZ4F_compressFrame(dst.baseAddress, dst.count, src.baseAddress, src.count, &prefs)
            }
        }
        return Array(out[0..<n])
    }

    @Test("lz4 frames from liblz4 (LZ4F) decode, whatever their flags; the header byte matches ours")
    func lz4FromLZ4F() throws {
        let ours = try CompressionCodec.lz4.compress(Self.text)
        let theirs = Self.lz4f(Self.text, linked: false, contentSize: false, checksums: false, blockSize: LZ4F_max64KB)
        #expect(Array(theirs[0..<7]) == Array(ours[0..<7]))
        for linked in [false, true] {
            for contentSize in [false, true] {
                for checksums in [false, true] {
                    for size in [LZ4F_max64KB, LZ4F_max256KB, LZ4F_max4MB] {
                        for input in [Self.text, Self.noise] {
                            let frame = Self.lz4f(
                                input, linked: linked, contentSize: contentSize, checksums: checksums, blockSize: size)
                            #expect(try CompressionCodec.lz4.decompress(frame) == input)
                        }
                    }
                }
            }
        }
    }

    @Test("our lz4 frames decode with liblz4's LZ4F decoder")
    func lz4ReadByLZ4F() throws {
        for input in [Self.text, Self.noise, [1, 2, 3]] as [[UInt8]] {
            let frame = try CompressionCodec.lz4.compress(input)
            var ctx: OpaquePointer?
            #expect(LZ4F_isError(LZ4F_createDecompressionContext(&ctx, UInt32(LZ4F_VERSION))) == 0)
            defer { LZ4F_freeDecompressionContext(ctx) }
            var out = [UInt8](repeating: 0, count: input.count + 16)
            var outSize = out.count
            var inSize = frame.count
            let r = frame.withUnsafeBytes { src in
                out.withUnsafeMutableBytes { dst in
                    LZ4F_decompress(ctx, dst.baseAddress, &outSize, src.baseAddress, &inSize, nil)
                }
            }
            #expect(LZ4F_isError(r) == 0)
            #expect(r == 0)  // frame fully decoded
            #expect(Array(out[0..<outSize]) == input)
        }
    }

    @Test("lz4 accepts the pre-KAFKA-3160 header checksum (covering the magic) and rejects a wrong one")
    func lz4BrokenChecksum() throws {
        var frame = try CompressionCodec.lz4.compress(Self.text)
        frame[6] = UInt8((XXH32.hash(Array(frame[0..<6])) >> 8) & 0xFF)
        #expect(try CompressionCodec.lz4.decompress(frame) == Self.text)
        frame[6] = frame[6] &+ 1
        if frame[6] != UInt8((XXH32.hash([0x60, 0x40]) >> 8) & 0xFF) {
            #expect(throws: RecordValidationError.self) { try CompressionCodec.lz4.decompress(frame) }
        }
    }

    @Test("zstd decodes frames without a content size, and concatenated frames")
    func zstdNoContentSize() throws {
        let cctx = ZSTD_createCCtx()
        defer { ZSTD_freeCCtx(cctx) }
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0)
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(Self.text.count))
        let n = Self.text.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                ZSTD_compress2(cctx, dst.baseAddress, dst.count, src.baseAddress, src.count)
            }
        }
        #expect(ZSTD_isError(n) == 0)
        let frame = Array(out[0..<n])
        #expect(
            frame.withUnsafeBytes { ZSTD_getFrameContentSize($0.baseAddress, $0.count) } == ZSTD_CONTENTSIZE_UNKNOWN)
        #expect(try CompressionCodec.zstd.decompress(frame) == Self.text)
        #expect(try CompressionCodec.zstd.decompress(frame + frame) == Self.text + Self.text)
    }

    @Test("gzip reads concatenated members")
    func gzipConcatenated() throws {
        let a = try CompressionCodec.gzip.compress(bytes("hello "))
        let b = try CompressionCodec.gzip.compress(bytes("world"))
        #expect(a[0] == 0x1F && a[1] == 0x8B)
        #expect(try CompressionCodec.gzip.decompress(a + b) == bytes("hello world"))
    }

    @Test("decompression stops at the configured cap with decompressionLimitExceeded")
    func bombs() throws {
        let big = [UInt8](repeating: 0, count: 2_000_000)
        for codec in CompressionCodec.allCases {
            let compressed = try codec.compress(big)
            #expect(throws: RecordValidationError.decompressionLimitExceeded(limit: 100_000), "codec \(codec)") {
                try codec.decompress(compressed, maxOutputSize: 100_000)
            }
            #expect(try codec.decompress(compressed, maxOutputSize: big.count) == big)
        }
    }

    @Test("truncated and corrupted compressed streams throw, never trap")
    func truncated() throws {
        for codec in CompressionCodec.allCases where codec != .none {
            let input = Array(Self.text[0..<40_000])
            let compressed = try codec.compress(input)
            for n in stride(from: 0, to: compressed.count - 1, by: max(1, compressed.count / 61)) {
                let cut = Array(compressed[0..<n])
                if codec == .snappy {
                    // A xerial stream cut at a chunk boundary is a valid shorter stream; it must not yield it all.
                    #expect((try? codec.decompress(cut)) != input)
                } else {
                    #expect(throws: RecordValidationError.self, "codec \(codec) cut at \(n)") {
                        try codec.decompress(cut)
                    }
                }
            }
            for i in 0..<min(compressed.count, 120) {
                var m = compressed
                m[i] ^= 0xA5
                _ = try? codec.decompress(m, maxOutputSize: 1 << 18)
            }
        }
    }
}
