import LogStorage

/// File chunks that can also be copied into memory. A TLS connection cannot use sendfile (the bytes must pass
/// through the TLS handler to be encrypted), so fetch answers on SSL / SASL_SSL listeners carry segment bytes read
/// into the response buffer instead of `FileRegion`s.
protocol CopyableFileChunks: FileChunkSource {
    func copyBytes() throws -> [UInt8]
}

extension SegmentChunks: CopyableFileChunks {
    func copyBytes() throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(slices.reduce(0) { $0 + $1.length })
        for slice in slices { out += try slice.readBytes() }
        return out
    }
}
