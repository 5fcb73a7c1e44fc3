/// The fixed 61-byte header of a record batch v2 (magic 2), in Kafka's byte layout.
///
/// ```
/// 0 baseOffset i64 | 8 batchLength i32 | 12 partitionLeaderEpoch i32 | 16 magic i8 | 17 crc u32
/// 21 attributes i16 | 23 lastOffsetDelta i32 | 27 baseTimestamp i64 | 35 maxTimestamp i64
/// 43 producerId i64 | 51 producerEpoch i16 | 53 baseSequence i32 | 57 recordsCount i32 | 61 records…
/// ```
/// `batchLength` counts the bytes after itself, so a batch occupies `batchLength + 12` bytes.
public struct RecordBatchHeader: Sendable, Equatable {
    public static let size = 61
    /// Bytes before and including `batchLength` (Kafka's LOG_OVERHEAD).
    public static let logOverhead = 12
    /// Offset of the first byte covered by the CRC (attributes).
    public static let crcCoverageStart = 21

    public var baseOffset: Int64
    public var batchLength: Int32
    public var partitionLeaderEpoch: Int32
    public var magic: Int8
    public var crc: UInt32
    public var attributes: Int16
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var recordsCount: Int32

    public init(
        baseOffset: Int64 = 0, batchLength: Int32 = 0, partitionLeaderEpoch: Int32 = -1, magic: Int8 = 2,
        crc: UInt32 = 0, attributes: Int16 = 0, lastOffsetDelta: Int32 = 0, baseTimestamp: Int64 = 0,
        maxTimestamp: Int64 = 0, producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1,
        recordsCount: Int32 = 0
    ) {
        self.baseOffset = baseOffset
        self.batchLength = batchLength
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.magic = magic
        self.crc = crc
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.recordsCount = recordsCount
    }

    /// Parses the header at the start of `bytes` (which must hold at least 61 bytes). No validation.
    public init(parsing bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= Self.size)
        baseOffset = loadBE(bytes, 0, as: Int64.self)
        batchLength = loadBE(bytes, 8, as: Int32.self)
        partitionLeaderEpoch = loadBE(bytes, 12, as: Int32.self)
        magic = Int8(bitPattern: bytes[16])
        crc = loadBE(bytes, 17, as: UInt32.self)
        attributes = loadBE(bytes, 21, as: Int16.self)
        lastOffsetDelta = loadBE(bytes, 23, as: Int32.self)
        baseTimestamp = loadBE(bytes, 27, as: Int64.self)
        maxTimestamp = loadBE(bytes, 35, as: Int64.self)
        producerId = loadBE(bytes, 43, as: Int64.self)
        producerEpoch = loadBE(bytes, 51, as: Int16.self)
        baseSequence = loadBE(bytes, 53, as: Int32.self)
        recordsCount = loadBE(bytes, 57, as: Int32.self)
    }

    /// Writes the 61 header bytes into the start of `bytes`.
    public func write(into bytes: UnsafeMutableRawBufferPointer) {
        precondition(bytes.count >= Self.size)
        storeBE(bytes, 0, baseOffset)
        storeBE(bytes, 8, batchLength)
        storeBE(bytes, 12, partitionLeaderEpoch)
        bytes[16] = UInt8(bitPattern: magic)
        storeBE(bytes, 17, crc)
        storeBE(bytes, 21, attributes)
        storeBE(bytes, 23, lastOffsetDelta)
        storeBE(bytes, 27, baseTimestamp)
        storeBE(bytes, 35, maxTimestamp)
        storeBE(bytes, 43, producerId)
        storeBE(bytes, 51, producerEpoch)
        storeBE(bytes, 53, baseSequence)
        storeBE(bytes, 57, recordsCount)
    }

    /// Total bytes the batch occupies, header included.
    public var totalSize: Int { Int(batchLength) + Self.logOverhead }
    public var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    public var nextOffset: Int64 { lastOffset &+ 1 }
    public var compressionCodec: Int { Int(attributes & 0x07) }
    public var isLogAppendTime: Bool { attributes & 0x08 != 0 }
    public var isTransactional: Bool { attributes & 0x10 != 0 }
    public var isControl: Bool { attributes & 0x20 != 0 }
    public var hasProducerId: Bool { producerId >= 0 }

    /// Last sequence number in the batch, wrapping past Int32.max as Kafka does.
    public var lastSequence: Int32 {
        guard baseSequence >= 0 else { return -1 }
        // Computed in 64 bits so a corrupt (negative or huge) delta cannot trap.
        let sum = Int64(baseSequence) + Int64(lastOffsetDelta)
        if sum > Int64(Int32.max) { return Int32(truncatingIfNeeded: sum - Int64(Int32.max) - 1) }
        return Int32(truncatingIfNeeded: sum)
    }
}
