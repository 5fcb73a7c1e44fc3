import KafkaRecords

// Read-only decoders of the files beside a segment, public so that tools (`needletail dump-log`) read them with
// the same code as the loaders here. Pure functions over bytes: no file handles, no validation policy — the
// loaders decide what a bad file means (rebuild, ignore), tools print it as Kafka's do.

/// The `.index` layout: 8-byte big-endian entries (offset relative to the segment's base u32, position in the
/// `.log` u32).
public enum OffsetIndexFormat {
    public static let entrySize = 8

    /// The entry at `index` (`(index + 1) * entrySize` bytes must be readable).
    public static func entry(_ index: Int, in bytes: UnsafeRawBufferPointer) -> (
        relativeOffset: UInt32, position: UInt32
    ) {
        let o = index * entrySize
        return (
            UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: o, as: UInt32.self)),
            UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: o + 4, as: UInt32.self))
        )
    }

    /// Every whole entry in file order, the all-zero tail of a preallocated file included.
    public static func entries(_ bytes: [UInt8]) -> [(relativeOffset: UInt32, position: UInt32)] {
        bytes.withUnsafeBytes { p in (0..<bytes.count / entrySize).map { entry($0, in: p) } }
    }
}

/// The `.timeindex` layout: 12-byte big-endian entries (timestamp i64, offset relative to the segment's base u32).
public enum TimeIndexFormat {
    public static let entrySize = 12

    /// The entry at `index` (`(index + 1) * entrySize` bytes must be readable).
    public static func entry(_ index: Int, in bytes: UnsafeRawBufferPointer) -> (
        timestamp: Int64, relativeOffset: UInt32
    ) {
        let o = index * entrySize
        return (
            Int64(bigEndian: bytes.loadUnaligned(fromByteOffset: o, as: Int64.self)),
            UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: o + 8, as: UInt32.self))
        )
    }

    /// Every whole entry in file order, the all-zero tail of a preallocated file included.
    public static func entries(_ bytes: [UInt8]) -> [(timestamp: Int64, relativeOffset: UInt32)] {
        bytes.withUnsafeBytes { p in (0..<bytes.count / entrySize).map { entry($0, in: p) } }
    }
}

/// The producer-state `<offset>.snapshot` layout (version 1): `version i16 | crc u32 (CRC-32C of everything after
/// it) | count i32 | count × 46-byte entries`, entries sorted by producer id.
public enum ProducerSnapshotFormat {
    public static let version: Int16 = 1
    public static let headerSize = 2 + 4 + 4
    public static let entrySize = 46

    /// One producer's entry as stored: the last batch's sequence, offset and offset delta (-1/-1/0 when the
    /// producer has no retained batch), with the producer's last timestamp and transaction fields.
    public struct Entry: Sendable, Equatable {
        public var producerId: Int64
        public var producerEpoch: Int16
        public var lastSequence: Int32
        public var lastOffset: Int64
        public var offsetDelta: Int32
        public var lastTimestamp: Int64
        public var coordinatorEpoch: Int32
        /// First offset of the open transaction, or -1.
        public var currentTxnFirstOffset: Int64

        public init(
            producerId: Int64, producerEpoch: Int16, lastSequence: Int32, lastOffset: Int64, offsetDelta: Int32,
            lastTimestamp: Int64, coordinatorEpoch: Int32, currentTxnFirstOffset: Int64
        ) {
            self.producerId = producerId
            self.producerEpoch = producerEpoch
            self.lastSequence = lastSequence
            self.lastOffset = lastOffset
            self.offsetDelta = offsetDelta
            self.lastTimestamp = lastTimestamp
            self.coordinatorEpoch = coordinatorEpoch
            self.currentTxnFirstOffset = currentTxnFirstOffset
        }
    }

    /// Why a snapshot could not be read, checked in this order.
    public enum DecodingError: Error, Equatable {
        /// Fewer bytes than the header.
        case tooShort
        case unknownVersion(Int16)
        case crcMismatch(stored: UInt32, computed: UInt32)
        /// A negative count, or fewer bytes than the count's entries need.
        case truncatedEntries(count: Int32)
    }

    /// The entries, and how many bytes follow the last one (Kafka's reader ignores them; the loader does not).
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> (entries: [Entry], trailingBytes: Int) {
        guard bytes.count >= headerSize else { throw .tooShort }
        let (version, stored, computed, count) = bytes.withUnsafeBytes { p in
            (
                Int16(bigEndian: p.loadUnaligned(fromByteOffset: 0, as: Int16.self)),
                UInt32(bigEndian: p.loadUnaligned(fromByteOffset: 2, as: UInt32.self)),
                CRC32C.checksum(UnsafeRawBufferPointer(rebasing: p[6...])),
                Int32(bigEndian: p.loadUnaligned(fromByteOffset: 6, as: Int32.self))
            )
        }
        guard version == Self.version else { throw .unknownVersion(version) }
        guard stored == computed else { throw .crcMismatch(stored: stored, computed: computed) }
        guard count >= 0, bytes.count >= headerSize + Int(count) * entrySize else {
            throw .truncatedEntries(count: count)
        }
        let entries = bytes.withUnsafeBytes { p in
            (0..<Int(count)).map { i in
                let o = headerSize + i * entrySize
                return Entry(
                    producerId: Int64(bigEndian: p.loadUnaligned(fromByteOffset: o, as: Int64.self)),
                    producerEpoch: Int16(bigEndian: p.loadUnaligned(fromByteOffset: o + 8, as: Int16.self)),
                    lastSequence: Int32(bigEndian: p.loadUnaligned(fromByteOffset: o + 10, as: Int32.self)),
                    lastOffset: Int64(bigEndian: p.loadUnaligned(fromByteOffset: o + 14, as: Int64.self)),
                    offsetDelta: Int32(bigEndian: p.loadUnaligned(fromByteOffset: o + 22, as: Int32.self)),
                    lastTimestamp: Int64(bigEndian: p.loadUnaligned(fromByteOffset: o + 26, as: Int64.self)),
                    coordinatorEpoch: Int32(bigEndian: p.loadUnaligned(fromByteOffset: o + 34, as: Int32.self)),
                    currentTxnFirstOffset: Int64(bigEndian: p.loadUnaligned(fromByteOffset: o + 38, as: Int64.self)))
            }
        }
        return (entries, bytes.count - headerSize - Int(count) * entrySize)
    }

    /// Batch metadata's first sequence: the last sequence minus the offset delta, wrapping below zero as Kafka's
    /// `BatchMetadata.firstSeq` does.
    public static func firstSequence(lastSequence: Int32, offsetDelta: Int32) -> Int32 {
        lastSequence >= offsetDelta ? lastSequence - offsetDelta : Int32.max - (offsetDelta - lastSequence) + 1
    }
}
