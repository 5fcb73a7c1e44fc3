import CCompression

/// LZ4 frames in the shape Kafka writes and reads (`KafkaLZ4BlockOutputStream` / `KafkaLZ4BlockInputStream`).
///
/// Written frames: magic `0x184D2204` (LE), FLG `0x60` (version 01, independent blocks, no checksums, no content
/// size), BD `0x40` (64 KiB blocks), header checksum `(XXH32(FLG BD) >> 8) & 0xFF`, blocks of at most 64 KiB each
/// prefixed with an LE int32 size whose high bit marks a stored (uncompressed) block, then a zero end mark.
/// This is also what liblz4's LZ4F API writes with `LZ4F_blockIndependent`, which librdkafka uses.
///
/// On read we accept what any client produces: linked or independent blocks, optional content size, block and
/// content checksums (skipped, as Kafka does), concatenated frames, and both the correct header checksum and the
/// pre-KAFKA-3160 one that also covered the magic (magic-0 messages).
enum KafkaLZ4 {
    static let magic: UInt32 = 0x184D_2204
    static let flg: UInt8 = 0x60
    static let bd: UInt8 = 0x40
    static let blockSize = 64 * 1024

    static func headerChecksum(_ descriptor: [UInt8]) -> UInt8 {
        UInt8(truncatingIfNeeded: XXH32.hash(descriptor) >> 8)
    }

    static func compress(_ input: UnsafeRawBufferPointer) throws -> [UInt8] {
        var out = [UInt8]()
        out.reserveCapacity(input.count / 2 + 64)
        out.appendLE(magic)
        out.append(flg)
        out.append(bd)
        out.append(headerChecksum([flg, bd]))
        let base = basePointer(input)
        let bound = Int(LZ4_compressBound(Int32(blockSize)))
        var scratch = [UInt8](repeating: 0, count: bound)
        var start = 0
        while start < input.count {
            let n = min(blockSize, input.count - start)
            let src = base.advanced(by: start)
            let compressed = scratch.withUnsafeMutableBytes { dst in
                LZ4_compress_default(
                    src.assumingMemoryBound(to: CChar.self), dst.baseAddress!.assumingMemoryBound(to: CChar.self),
                    Int32(n), Int32(dst.count))
            }
            if compressed > 0 && Int(compressed) < n {
                out.appendLE(UInt32(compressed))
                out.append(contentsOf: scratch[0..<Int(compressed)])
            } else {
                out.appendLE(UInt32(n) | 0x8000_0000)
                out.append(contentsOf: UnsafeRawBufferPointer(start: src, count: n))
            }
            start += n
        }
        out.appendLE(UInt32(0))
        return out
    }

    static func decompress(_ input: UnsafeRawBufferPointer, limit: Int) throws -> [UInt8] {
        var out = CappedOutput(initialCapacity: input.count * 3, limit: limit)
        var cursor = ByteCursor(input)
        repeat {
            try decodeFrame(&cursor, input, into: &out)
        } while cursor.remaining >= 4 && loadLE32(input, cursor.position) == magic
        return out.finish()
    }

    private static func loadLE32(_ p: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    private static func corrupt(_ why: String) -> RecordValidationError { .corruptMessage("lz4: \(why)") }

    private static func decodeFrame(
        _ c: inout ByteCursor, _ input: UnsafeRawBufferPointer, into out: inout CappedOutput
    )
        throws
    {
        let frameStart = c.position
        guard c.remaining >= 7 else { throw corrupt("truncated frame header") }
        guard loadLE32(input, c.position) == magic else { throw corrupt("bad magic") }
        c.position += 4
        let descriptorStart = c.position
        let flg = try c.readUInt8()
        let bd = try c.readUInt8()
        guard flg >> 6 == 1 else { throw corrupt("unsupported frame version") }
        guard flg & 0x02 == 0, bd & 0x8F == 0 else { throw corrupt("reserved bits set") }
        guard flg & 0x01 == 0 else { throw corrupt("dictionary id not supported") }
        let independent = flg & 0x20 != 0
        let blockChecksums = flg & 0x10 != 0
        let hasContentSize = flg & 0x08 != 0
        let contentChecksum = flg & 0x04 != 0
        let maxBlockSize: Int
        switch (bd >> 4) & 0x07 {
        case 4: maxBlockSize = 64 << 10
        case 5: maxBlockSize = 256 << 10
        case 6: maxBlockSize = 1 << 20
        case 7: maxBlockSize = 4 << 20
        default: throw corrupt("invalid block size")
        }
        if hasContentSize {
            let size = try c.readLE(UInt64.self)
            guard size <= UInt64(out.limit - out.count) else {
                throw RecordValidationError.decompressionLimitExceeded(limit: out.limit)
            }
        }
        let descriptor = Array(UnsafeRawBufferPointer(rebasing: input[descriptorStart..<c.position]))
        let withMagic = Array(UnsafeRawBufferPointer(rebasing: input[frameStart..<c.position]))
        let hc = try c.readUInt8()
        guard hc == headerChecksum(descriptor) || hc == headerChecksum(withMagic) else {
            throw corrupt("header checksum mismatch")
        }
        let frameOutputStart = out.count
        while true {
            guard c.remaining >= 4 else { throw corrupt("truncated frame") }
            let word = try c.readLE(UInt32.self)
            if word == 0 { break }
            let stored = word & 0x8000_0000 != 0
            let size = Int(word & 0x7FFF_FFFF)
            guard size <= maxBlockSize, size <= c.remaining else { throw corrupt("bad block size") }
            let block = UnsafeRawBufferPointer(rebasing: input[c.position..<(c.position + size)])
            c.position += size
            if blockChecksums { try c.skip(4) }
            if stored {
                guard size <= out.limit - out.count else {
                    throw RecordValidationError.decompressionLimitExceeded(limit: out.limit)
                }
                out.reserve(size)
                let at = out.count
                out.withBuffer { dst in
                    dst.baseAddress!.advanced(by: at).copyMemory(from: basePointer(block), byteCount: size)
                }
                out.count += size
                continue
            }
            out.reserve(maxBlockSize)
            let at = out.count
            let capacity = min(maxBlockSize, out.capacity - at)
            let dictStart = independent ? at : max(frameOutputStart, at - (64 << 10))
            let produced = out.withBuffer { dst -> Int32 in
                let d = dst.baseAddress!
                let src = basePointer(block).assumingMemoryBound(to: CChar.self)
                let dstPtr = d.advanced(by: at).assumingMemoryBound(to: CChar.self)
                if dictStart == at {
                    return LZ4_decompress_safe(src, dstPtr, Int32(size), Int32(capacity))
                }
                return LZ4_decompress_safe_usingDict(
                    src, dstPtr, Int32(size), Int32(capacity),
                    d.advanced(by: dictStart).assumingMemoryBound(to: CChar.self), Int32(at - dictStart))
            }
            guard produced >= 0 else {
                // A block that needs more room than the cap allows looks like a failure to liblz4.
                if capacity < maxBlockSize { throw RecordValidationError.decompressionLimitExceeded(limit: out.limit) }
                throw corrupt("invalid block")
            }
            out.count += Int(produced)
            try out.checkLimit()
        }
        if contentChecksum { try c.skip(4) }
    }
}

/// XXH32, the hash behind LZ4 frame header checksums.
enum XXH32 {
    private static let p1: UInt32 = 2_654_435_761
    private static let p2: UInt32 = 2_246_822_519
    private static let p3: UInt32 = 3_266_489_917
    private static let p4: UInt32 = 668_265_263
    private static let p5: UInt32 = 374_761_393

    @inline(__always) private static func rotl(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }

    @inline(__always) private static func round(_ acc: UInt32, _ lane: UInt32) -> UInt32 {
        rotl(acc &+ lane &* p2, 13) &* p1
    }

    static func hash(_ bytes: [UInt8], seed: UInt32 = 0) -> UInt32 {
        bytes.withUnsafeBytes { hash($0, seed: seed) }
    }

    static func hash(_ p: UnsafeRawBufferPointer, seed: UInt32 = 0) -> UInt32 {
        let n = p.count
        var i = 0
        var h: UInt32
        func lane(_ at: Int) -> UInt32 { UInt32(littleEndian: p.loadUnaligned(fromByteOffset: at, as: UInt32.self)) }
        if n >= 16 {
            var v1 = seed &+ p1 &+ p2
            var v2 = seed &+ p2
            var v3 = seed
            var v4 = seed &- p1
            while i + 16 <= n {
                v1 = round(v1, lane(i))
                v2 = round(v2, lane(i + 4))
                v3 = round(v3, lane(i + 8))
                v4 = round(v4, lane(i + 12))
                i += 16
            }
            h = rotl(v1, 1) &+ rotl(v2, 7) &+ rotl(v3, 12) &+ rotl(v4, 18)
        } else {
            h = seed &+ p5
        }
        h = h &+ UInt32(truncatingIfNeeded: n)
        while i + 4 <= n {
            h = rotl(h &+ lane(i) &* p3, 17) &* p4
            i += 4
        }
        while i < n {
            h = rotl(h &+ UInt32(p[i]) &* p5, 11) &* p1
            i += 1
        }
        h ^= h >> 15
        h = h &* p2
        h ^= h >> 13
        h = h &* p3
        h ^= h >> 16
        return h
    }
}
