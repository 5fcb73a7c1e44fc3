/// The `.timeindex` of a segment: 12-byte entries (timestamp i64, relative offset u32), big-endian.
///
/// An entry (t, o) means "every record with a timestamp above t is at or after offset o". Timestamps strictly
/// increase from entry to entry; an entry is only added when its timestamp is above the last one.
final class TimeIndex {
    static let entrySize = TimeIndexFormat.entrySize

    let baseOffset: Int64
    var path: String { file.path }
    /// Mapped, no descriptor held (see `MappedIndexFile`).
    private(set) var file: MappedIndexFile
    private(set) var maxEntries: Int = 0
    private(set) var timestamps: [Int64] = []
    private(set) var relativeOffsets: [UInt32] = []
    private(set) var loadedCleanly = true
    /// False when the file did not exist and was created empty by `init`.
    var existedBeforeOpen: Bool { file.existedBeforeOpen }

    init(path: String, baseOffset: Int64) throws(LogError) {
        self.baseOffset = baseOffset
        file = try MappedIndexFile(path: path)
        let size = Int64(file.length)
        loadedCleanly = size % Int64(Self.entrySize) == 0
        var count = Int(size / Int64(Self.entrySize))
        if count > 0 {
            // Past `dataEnd` the file is a hole (zeros): the scan below would skip those slots anyway.
            let scanned = min(count, (file.dataEnd + Self.entrySize - 1) / Self.entrySize)
            let bytes = file.bytes(count: scanned * Self.entrySize)
            // A preallocated file that was never trimmed (crash) ends in all-zero slots, which are not entries.
            count = OffsetIndex.entriesBeforeZeroTail(bytes, entrySize: Self.entrySize)
            timestamps.reserveCapacity(count)
            relativeOffsets.reserveCapacity(count)
            bytes.withUnsafeBytes { p in
                for i in 0..<count {
                    let entry = TimeIndexFormat.entry(i, in: p)
                    timestamps.append(entry.timestamp)
                    relativeOffsets.append(entry.relativeOffset)
                }
            }
        }
        maxEntries = count
    }

    var entries: Int { timestamps.count }
    /// Kafka keeps one slot free so the final entry written on roll always fits.
    var isFull: Bool { entries >= maxEntries - 1 }
    var lastEntry: (timestamp: Int64, offset: Int64)? {
        guard let t = timestamps.last, let o = relativeOffsets.last else { return nil }
        return (t, baseOffset + Int64(o))
    }

    func isSane() -> Bool {
        guard loadedCleanly else { return false }
        for i in 1..<max(1, entries) {
            if timestamps[i] <= timestamps[i - 1] || relativeOffsets[i] < relativeOffsets[i - 1] { return false }
        }
        return true
    }

    /// Adds (timestamp, offset) when the timestamp is above the last entry's.
    func maybeAppend(timestamp: Int64, offset: Int64, skipFullCheck: Bool = false) throws(LogError) {
        guard skipFullCheck || !isFull else { return }
        if let last = timestamps.last, timestamp <= last { return }
        let relative = offset - baseOffset
        guard relative >= 0, relative <= Int64(UInt32.max) else { return }
        if let lastOffset = relativeOffsets.last, UInt32(relative) < lastOffset { return }
        var bytes = [UInt8](repeating: 0, count: Self.entrySize)
        bytes.withUnsafeMutableBytes { p in
            p.storeBytes(of: timestamp.bigEndian, toByteOffset: 0, as: Int64.self)
            p.storeBytes(of: UInt32(relative).bigEndian, toByteOffset: 8, as: UInt32.self)
        }
        try file.write(bytes, at: Int64(entries * Self.entrySize))
        timestamps.append(timestamp)
        relativeOffsets.append(UInt32(relative))
        if entries > maxEntries { maxEntries = entries }
    }

    /// The last entry whose timestamp is ≤ `target`, or (nil, baseOffset) when every entry is later.
    func lookup(_ target: Int64) -> (timestamp: Int64?, offset: Int64) {
        guard let first = timestamps.first, first <= target else { return (nil, baseOffset) }
        var low = 0
        var high = entries - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if timestamps[mid] <= target { low = mid } else { high = mid - 1 }
        }
        return (timestamps[low], baseOffset + Int64(relativeOffsets[low]))
    }

    /// Removes every entry with offset ≥ `offset`, zeroing its bytes.
    func truncate(toOffset offset: Int64) throws(LogError) {
        let relative = offset - baseOffset
        var keep = entries
        while keep > 0 && Int64(relativeOffsets[keep - 1]) >= relative { keep -= 1 }
        try truncate(toEntries: keep)
    }

    /// Drops every entry (before a rebuild), keeping room for `maxIndexBytes`.
    func reset(maxIndexBytes: Int) throws(LogError) {
        try file.setLength(0)
        try file.setLength(Int64(maxIndexBytes / Self.entrySize * Self.entrySize))
        timestamps.removeAll()
        relativeOffsets.removeAll()
        maxEntries = maxIndexBytes / Self.entrySize
        loadedCleanly = true
    }

    private func truncate(toEntries keep: Int) throws(LogError) {
        guard keep < entries else { return }
        let fileSize = Int64(file.length)
        let start = keep * Self.entrySize
        if Int64(start) < fileSize {
            let count = min((entries - keep) * Self.entrySize, Int(fileSize) - start)
            try file.write([UInt8](repeating: 0, count: count), at: Int64(start))
        }
        timestamps.removeLast(entries - keep)
        relativeOffsets.removeLast(relativeOffsets.count - keep)
    }

    func trimToValidSize() throws(LogError) {
        try file.setLength(Int64(entries * Self.entrySize))
        maxEntries = entries
        loadedCleanly = true
    }

    func resize(maxIndexBytes: Int) throws(LogError) {
        let capacity = max(maxIndexBytes / Self.entrySize, entries)
        try file.setLength(Int64(capacity * Self.entrySize))
        maxEntries = capacity
    }

    func rename(to newPath: String) throws(LogError) {
        try file.rename(to: newPath)
    }
}
