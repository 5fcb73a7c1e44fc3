import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An open file (a segment's `.log`, or an index) owning its descriptor; the descriptor is closed in `deinit`.
///
/// Readers that hold a reference keep the data readable even after the file is renamed or unlinked by retention,
/// which is what lets a `FileSlice` be sent with `sendfile` while the segment is being deleted.
/// All methods use positional I/O (`pread`/`pwrite`), so concurrent readers need no lock.
/// `@unchecked`: C boundary — a file descriptor that never changes; positional I/O needs no lock.
public final class SegmentFile: @unchecked Sendable {
    public let fileDescriptor: Int32
    /// The path the file was opened at (it may since have been renamed).
    public let openedPath: String

    init(path: String, create: Bool = true, truncate: Bool = false) throws(LogError) {
        var flags = O_RDWR | O_CLOEXEC
        if create { flags |= O_CREAT }
        if truncate { flags |= O_TRUNC }
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw LogError.openFailed(path) }
        fileDescriptor = fd
        openedPath = path
    }

    deinit { close(fileDescriptor) }

    func size() throws(LogError) -> Int64 {
        var st = stat()
        guard fstat(fileDescriptor, &st) == 0 else { throw .io("fstat \(openedPath): \(lastErrorString())") }
        return Int64(st.st_size)
    }

    /// Last modification time in milliseconds since the epoch.
    func lastModifiedMs() -> Int64 {
        var st = stat()
        guard fstat(fileDescriptor, &st) == 0 else { return 0 }
        #if canImport(Darwin)
            return Int64(st.st_mtimespec.tv_sec) * 1000 + Int64(st.st_mtimespec.tv_nsec) / 1_000_000
        #else
            return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
        #endif
    }

    func write(_ bytes: UnsafeRawBufferPointer, at offset: Int64) throws(LogError) {
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = pwrite(fileDescriptor, base + done, bytes.count - done, off_t(offset + Int64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("write \(openedPath): \(lastErrorString())")
            }
            done += n
        }
    }

    /// Writes `first` then `second` at `offset` with one `pwritev` (a short write finishes with `pwrite`s).
    func write(_ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer, at offset: Int64) throws(LogError) {
        guard let a = first.baseAddress, !first.isEmpty, let b = second.baseAddress, !second.isEmpty else {
            try write(first, at: offset)
            try write(second, at: offset + Int64(first.count))
            return
        }
        var vectors = [
            iovec(iov_base: UnsafeMutableRawPointer(mutating: a), iov_len: first.count),
            iovec(iov_base: UnsafeMutableRawPointer(mutating: b), iov_len: second.count),
        ]
        var n: Int
        repeat {
            n = vectors.withUnsafeMutableBufferPointer { pwritev(fileDescriptor, $0.baseAddress, 2, off_t(offset)) }
        } while n < 0 && errno == EINTR
        if n < 0 { throw .io("write \(openedPath): \(lastErrorString())") }
        if n < first.count {
            try write(UnsafeRawBufferPointer(rebasing: first[n...]), at: offset + Int64(n))
            try write(second, at: offset + Int64(first.count))
        } else if n < first.count + second.count {
            let done = n - first.count
            try write(UnsafeRawBufferPointer(rebasing: second[done...]), at: offset + Int64(n))
        }
    }

    func write(_ bytes: [UInt8], at offset: Int64) throws(LogError) {
        try bytes.withBytes { (p) throws(LogError) in try write(p, at: offset) }
    }

    /// Reads until `buffer` is full or end of file; returns the number of bytes read.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(LogError) -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = pread(fileDescriptor, base + done, buffer.count - done, off_t(offset + Int64(done)))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("read \(openedPath): \(lastErrorString())")
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    /// Reads up to `count` bytes at `offset` (fewer at end of file).
    func readBytes(count: Int, at offset: Int64) throws(LogError) -> [UInt8] {
        guard count > 0 else { return [] }
        var result = [UInt8](repeating: 0, count: count)
        let n = try result.withMutableBytes { (p) throws(LogError) in try read(into: p, at: offset) }
        if n < count { result.removeLast(count - n) }
        return result
    }

    func truncate(to size: Int64) throws(LogError) {
        guard ftruncate(fileDescriptor, off_t(size)) == 0 else {
            throw .io("truncate \(openedPath): \(lastErrorString())")
        }
    }

    func sync() throws(LogError) {
        guard fsync(fileDescriptor) == 0 else { throw .io("fsync \(openedPath): \(lastErrorString())") }
    }
}

/// A byte range of a segment file, for zero-copy sending. Holding it keeps the file open.
public struct FileSlice: Sendable {
    public let file: SegmentFile
    public let position: Int64
    public let length: Int

    /// Copies the slice's bytes.
    public func readBytes() throws(LogError) -> [UInt8] {
        let bytes = try file.readBytes(count: length, at: position)
        guard bytes.count == length else { throw .corruptLog("\(file.openedPath) shorter than expected") }
        return bytes
    }
}

// MARK: - Small POSIX helpers

func lastErrorString() -> String {
    let code = errno
    if let s = strerror(code) { return String(cString: s) + " (errno \(code))" }
    return "errno \(code)"
}

enum FS {
    static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    static func fileSize(_ path: String) -> Int64? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Int64(st.st_size)
    }

    static func makeDirectories(_ path: String) throws(LogError) {
        if isDirectory(path) { return }
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if !isDirectory(prefix) {
                if mkdir(prefix, 0o755) != 0 && errno != EEXIST {
                    throw .io("mkdir \(prefix): \(lastErrorString())")
                }
            }
            prefix += "/"
        }
    }

    static func list(_ path: String) throws(LogError) -> [String] {
        guard let dir = opendir(path) else { throw .io("opendir \(path): \(lastErrorString())") }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: entry.pointee.d_name)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    static func remove(_ path: String) throws(LogError) {
        if unlink(path) != 0 && errno != ENOENT { throw .io("unlink \(path): \(lastErrorString())") }
    }

    static func removeRecursively(_ path: String) throws(LogError) {
        if isDirectory(path) {
            for name in try list(path) { try removeRecursively(path + "/" + name) }
            if rmdir(path) != 0 && errno != ENOENT { throw .io("rmdir \(path): \(lastErrorString())") }
        } else {
            try remove(path)
        }
    }

    static func rename(_ from: String, _ to: String) throws(LogError) {
        #if canImport(Glibc) || canImport(Musl)
            let rc = Glibc.rename(from, to)
        #else
            let rc = Darwin.rename(from, to)
        #endif
        guard rc == 0 else { throw .io("rename \(from) -> \(to): \(lastErrorString())") }
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    static func readFile(_ path: String) throws(LogError) -> [UInt8]? {
        guard exists(path) else { return nil }
        let file = try SegmentFile(path: path, create: false)
        let size = try file.size()
        return try file.readBytes(count: Int(size), at: 0)
    }

    /// Write-temp, fsync, rename, fsync the directory: the file is either the old or the new content after a crash.
    /// With `sync: false` the rename is still atomic but durability is left to the page cache.
    static func writeAtomically(_ path: String, _ bytes: [UInt8], sync: Bool = true) throws(LogError) {
        let tmp = path + ".tmp"
        do {
            let file = try SegmentFile(path: tmp, create: true, truncate: true)
            try file.write(bytes, at: 0)
            if sync { try file.sync() }
        }
        try rename(tmp, path)
        if sync, let slash = path.lastIndex(of: "/") { syncDirectory(String(path[..<slash])) }
    }

    /// Holds an exclusive `flock` on a file for as long as the returned object lives.
    /// `@unchecked`: C boundary — an flock'd descriptor and nothing mutable.
    final class DirectoryLock: @unchecked Sendable {
        let file: SegmentFile
        init(path: String) throws(LogError) {
            file = try SegmentFile(path: path)
            if flock(file.fileDescriptor, LOCK_EX | LOCK_NB) != 0 { throw .logDirectoryLocked(path) }
        }
        func release() { _ = flock(file.fileDescriptor, LOCK_UN) }
    }
}

/// The 20-digit zero-padded decimal Kafka uses as a segment or snapshot file name prefix.
func filenamePrefix(_ offset: Int64) -> String {
    let digits = String(offset)
    return String(repeating: "0", count: max(0, 20 - digits.count)) + digits
}

/// The lock of `PartitionLog`, `LogManager` and the descriptor cache: a `Synchronization.Mutex` guarding the
/// owner's stored properties, which stay plain `var`s because the hot paths (append, read) touch several of them in
/// one critical section and return non-`Sendable` segment references from it.
final class StateLock: Sendable {
    private let mutex = Mutex<Void>(())

    func withLock<R, E: Error>(_ body: () throws(E) -> R) throws(E) -> R {
        try mutex.withLock { (_: inout Void) throws(E) -> sending R in try body() }
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for bodies with typed throws (the standard one is `rethrows`, which erases the type).
    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(LogError) -> R) throws(LogError) -> R {
        let result = withUnsafeBytes { p -> Result<R, LogError> in
            do throws(LogError) { return .success(try body(p)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    mutating func withMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws(LogError) -> R) throws(LogError)
        -> R
    {
        let result = withUnsafeMutableBytes { p -> Result<R, LogError> in
            do throws(LogError) { return .success(try body(p)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
