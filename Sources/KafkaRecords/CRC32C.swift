import CChecksum

/// CRC-32C (Castagnoli), the checksum of record batch v2. Hardware-accelerated with SSE4.2 where available.
public enum CRC32C {
    public static func checksum(_ bytes: UnsafeRawBufferPointer, continuing crc: UInt32 = 0) -> UInt32 {
        guard let base = bytes.baseAddress, bytes.count > 0 else { return crc }
        return nt_crc32c(crc, base, bytes.count)
    }

    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { checksum($0) }
    }

    /// Whether the SSE4.2 instruction path is in use on this CPU.
    public static var isHardwareAccelerated: Bool { nt_crc32c_hardware() != 0 }
}

/// Reads and writes big-endian integers in raw byte buffers.
@inlinable func loadBE<T: FixedWidthInteger>(_ p: UnsafeRawBufferPointer, _ offset: Int, as: T.Type) -> T {
    T(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: T.self))
}

@inlinable func storeBE<T: FixedWidthInteger>(_ p: UnsafeMutableRawBufferPointer, _ offset: Int, _ value: T) {
    p.storeBytes(of: value.bigEndian, toByteOffset: offset, as: T.self)
}
