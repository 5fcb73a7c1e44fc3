/// The sparse `.index` of a segment: 8-byte entries (relative offset u32, position u32), big-endian.
///
/// An entry (o, p) means "the batch whose last offset is o starts at byte p". Entries are kept in memory and each
/// new one is copied into the file's mapping (`MappedIndexFile`, no descriptor held); while the segment is active
/// the file is preallocated to `segment.index.bytes` (as Kafka's mmap'ed index is) and it is trimmed to the real
/// entry count on roll or close.
final class OffsetIndex {
    static let entrySize = OffsetIndexFormat.entrySize

    let baseOffset: Int64
    var path: String { file.path }
    /// Mapped, no descriptor held (see `MappedIndexFile`).
    private(set) var file: MappedIndexFile
    private(set) var maxEntries: Int = 0
    private(set) var relativeOffsets: [UInt32] = []
    private(set) var positions: [UInt32] = []
    /// False when the loaded file's length was not a multiple of the entry size.
    private(set) var loadedCleanly = true
    /// False when the file did not exist and was created empty by `init`.
    var existedBeforeOpen: Bool { file.existedBeforeOpen }

    /// Opens (creating if needed) the index and loads every entry the file holds.
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
            count = Self.entriesBeforeZeroTail(bytes, entrySize: Self.entrySize)
            relativeOffsets.reserveCapacity(count)
            positions.reserveCapacity(count)
            bytes.withUnsafeBytes { p in
                for i in 0..<count {
                    let entry = OffsetIndexFormat.entry(i, in: p)
                    relativeOffsets.append(entry.relativeOffset)
                    positions.append(entry.position)
                }
            }
        }
        maxEntries = count
    }

    var entries: Int { relativeOffsets.count }

    /// Number of entries before the run of all-zero entries that ends `bytes`.
    static func entriesBeforeZeroTail(_ bytes: [UInt8], entrySize: Int) -> Int {
        bytes.withUnsafeBytes { p in
            var end = bytes.count / entrySize * entrySize
            // Word-at-a-time: entry sizes (8, 12) are multiples of 4.
            while end >= entrySize {
                var zero = true
                var i = end - entrySize
                while i < end {
                    if p.loadUnaligned(fromByteOffset: i, as: UInt32.self) != 0 {
                        zero = false
                        break
                    }
                    i += 4
                }
                if !zero { break }
                end -= entrySize
            }
            return end / entrySize
        }
    }
    var isFull: Bool { entries >= maxEntries }
    var lastOffset: Int64 { relativeOffsets.last.map { baseOffset + Int64($0) } ?? baseOffset }

    /// Kafka-style sanity: strictly increasing offsets and positions, positions inside the log, no zero position.
    func isSane(logSize: Int64) -> Bool {
        guard loadedCleanly else { return false }
        var previousOffset: UInt32 = 0
        var previousPosition: UInt32 = 0
        for i in 0..<entries {
            let o = relativeOffsets[i]
            let p = positions[i]
            if p == 0 || Int64(p) >= logSize { return false }
            if i > 0 && (o <= previousOffset || p <= previousPosition) { return false }
            previousOffset = o
            previousPosition = p
        }
        return true
    }

    /// Appends an entry if it moves forward; entries that would break monotonicity are skipped.
    func append(offset: Int64, position: Int64) throws(LogError) {
        guard !isFull else { return }
        let relative = offset - baseOffset
        guard relative >= 0, relative <= Int64(UInt32.max), position >= 0, position <= Int64(UInt32.max) else { return }
        if let last = relativeOffsets.last, UInt32(relative) <= last { return }
        var entry = [UInt8](repeating: 0, count: Self.entrySize)
        entry.withUnsafeMutableBytes { p in
            p.storeBytes(of: UInt32(relative).bigEndian, toByteOffset: 0, as: UInt32.self)
            p.storeBytes(of: UInt32(position).bigEndian, toByteOffset: 4, as: UInt32.self)
        }
        try file.write(entry, at: Int64(entries * Self.entrySize))
        relativeOffsets.append(UInt32(relative))
        positions.append(UInt32(position))
    }

    /// The last entry whose offset is ≤ `target`, or (baseOffset, 0) when there is none.
    func lookup(_ target: Int64) -> (offset: Int64, position: Int64) {
        let relative = target - baseOffset
        guard relative >= 0, let first = relativeOffsets.first, Int64(first) <= relative else {
            return (baseOffset, 0)
        }
        var low = 0
        var high = entries - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if Int64(relativeOffsets[mid]) <= relative { low = mid } else { high = mid - 1 }
        }
        return (baseOffset + Int64(relativeOffsets[low]), Int64(positions[low]))
    }

    /// Removes every entry with offset ≥ `offset` and zeroes their bytes so a crash cannot resurrect them.
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
        relativeOffsets.removeAll()
        positions.removeAll()
        maxEntries = maxIndexBytes / Self.entrySize
        loadedCleanly = true
    }

    private func truncate(toEntries keep: Int) throws(LogError) {
        guard keep < entries else { return }
        let zeros = [UInt8](repeating: 0, count: (entries - keep) * Self.entrySize)
        let fileSize = Int64(file.length)
        if Int64(keep * Self.entrySize) < fileSize {
            let count = min(zeros.count, Int(fileSize) - keep * Self.entrySize)
            try file.write(Array(zeros[0..<count]), at: Int64(keep * Self.entrySize))
        }
        relativeOffsets.removeLast(entries - keep)
        positions.removeLast(positions.count - keep)
    }

    /// Shrinks the file to the entries it holds (roll, close).
    func trimToValidSize() throws(LogError) {
        try file.setLength(Int64(entries * Self.entrySize))
        maxEntries = entries
        loadedCleanly = true
    }

    /// Preallocates the file for an active segment.
    func resize(maxIndexBytes: Int) throws(LogError) {
        let capacity = max(maxIndexBytes / Self.entrySize, entries)
        try file.setLength(Int64(capacity * Self.entrySize))
        maxEntries = capacity
    }

    func rename(to newPath: String) throws(LogError) {
        try file.rename(to: newPath)
    }
}
