#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An index file (`.index`, `.timeindex`) mapped into memory with `MAP_SHARED` and no descriptor kept open.
///
/// The descriptor is only held inside `init`, `setLength` and a remap: a broker with thousands of partitions would otherwise
/// spend two descriptors per segment on files that are written a few bytes at a time. Writes go into the mapping
/// (the page cache, exactly as `pwrite` would), so the file's bytes are the same as with positional writes; a write
/// past the end grows the file first, as `pwrite` does. `sync` is `msync`.
///
/// Not thread-safe: the owning `PartitionLog` serialises every call (a remap unmaps the old region).
final class MappedIndexFile {
    private(set) var path: String
    private var mapping: UnsafeMutableRawPointer?
    /// The file's length, which is also the mapped length.
    private(set) var length: Int = 0
    /// The end of the file's last data region: the bytes after it are a hole and read as zeros. A preallocated index
    /// left untrimmed by a crash is mostly hole; scanning only up to here keeps recovery from touching every page.
    private(set) var dataEnd: Int = 0
    /// False when the file did not exist and was created empty by `init`.
    let existedBeforeOpen: Bool

    init(path: String) throws(LogError) {
        self.path = path
        existedBeforeOpen = FS.exists(path)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LogError.openFailed(path) }
        defer { close(fd) }
        try map(fd)
        dataEnd = Self.lastDataEnd(fd, length: length)
    }

    deinit { unmap() }

    /// A copy of the first `count` bytes (at most the file's length).
    func bytes(count: Int) -> [UInt8] {
        let n = min(count, length)
        guard n > 0, let mapping else { return [] }
        return [UInt8](UnsafeRawBufferPointer(start: mapping, count: n))
    }

    /// Copies `bytes` to `offset`, growing the file first when they reach past its end.
    func write(_ bytes: [UInt8], at offset: Int64) throws(LogError) {
        let end = Int(offset) + bytes.count
        if end > length { try setLength(Int64(end)) }
        try ensureMapped()
        guard let mapping, !bytes.isEmpty else { return }
        bytes.withUnsafeBytes { p in
            (mapping + Int(offset)).copyMemory(from: p.baseAddress!, byteCount: p.count)
        }
        if end > dataEnd { dataEnd = end }
    }

    /// `ftruncate` to `size` (preallocation or trim), then maps the new length.
    func setLength(_ size: Int64) throws(LogError) {
        if Int(size) == length { return }
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw LogError.openFailed(path) }
        defer { close(fd) }
        guard ftruncate(fd, off_t(size)) == 0 else { throw .io("truncate \(path): \(lastErrorString())") }
        try map(fd)
        dataEnd = min(dataEnd, length)
    }

    func sync() throws(LogError) {
        guard length > 0 else { return }
        guard let mapping else {
            // Unmapped since its last writes: those are in the page cache, reached through the file.
            let fd = open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { throw LogError.openFailed(path) }
            defer { close(fd) }
            guard fsync(fd) == 0 else { throw .io("fsync \(path): \(lastErrorString())") }
            return
        }
        guard msync(mapping, length, MS_SYNC) == 0 else { throw .io("msync \(path): \(lastErrorString())") }
    }

    /// Gives the mapping back (an index no longer written: its entries live in memory); the next write maps the
    /// file again. Keeps a broker with many old segments far from `vm.max_map_count`.
    func releaseMapping() { unmap() }

    var isMapped: Bool { mapping != nil }

    private func ensureMapped() throws(LogError) {
        guard mapping == nil, length > 0 else { return }
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw LogError.openFailed(path) }
        defer { close(fd) }
        try map(fd)
    }

    /// Renames the file; the mapping follows the inode.
    func rename(to newPath: String) throws(LogError) {
        try FS.rename(path, newPath)
        path = newPath
    }

    private func map(_ fd: Int32) throws(LogError) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw .io("fstat \(path): \(lastErrorString())") }
        unmap()
        length = Int(st.st_size)
        guard length > 0 else { return }
        // MAP_FAILED is a C macro Swift does not import: (void *)-1.
        guard let p = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0),
            p != UnsafeMutableRawPointer(bitPattern: -1)
        else {
            length = 0
            throw .io("mmap \(path): \(lastErrorString())")
        }
        mapping = p
    }

    private func unmap() {
        if let mapping, length > 0 { munmap(mapping, length) }
        mapping = nil
    }

    /// The end of the last data region (`SEEK_DATA`/`SEEK_HOLE`), or `length` where holes cannot be asked about.
    private static func lastDataEnd(_ fd: Int32, length: Int) -> Int {
        #if os(Linux)
            let seekData: Int32 = 3
            let seekHole: Int32 = 4
        #else
            let seekData: Int32 = 4
            let seekHole: Int32 = 3
        #endif
        var end: off_t = 0
        var position: off_t = 0
        while Int(position) < length {
            let data = lseek(fd, position, seekData)
            if data < 0 { return errno == ENXIO ? Int(end) : length }
            let hole = lseek(fd, data, seekHole)
            if hole < 0 { return length }
            end = hole
            position = hole
        }
        return min(Int(end), length)
    }
}
