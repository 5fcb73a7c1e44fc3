/// One entry of a segment's `.txnindex` (Kafka's `AbortedTxn`): a transaction that ended with an ABORT marker in
/// that segment. Read-committed fetches return the entries overlapping the data they send, so consumers can drop
/// the aborted records.
///
/// ```
/// version int16 (0) | producerId int64 | firstOffset int64 | lastOffset int64 (the marker) | lastStableOffset int64
/// ```
public struct AbortedTransaction: Sendable, Equatable {
    public var producerId: Int64
    /// The transaction's first data offset in this partition.
    public var firstOffset: Int64
    /// The offset of its ABORT marker.
    public var lastOffset: Int64
    /// The partition's LSO once the marker was written (the first offset of the oldest transaction still open).
    public var lastStableOffset: Int64

    public init(producerId: Int64, firstOffset: Int64, lastOffset: Int64, lastStableOffset: Int64) {
        self.producerId = producerId
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.lastStableOffset = lastStableOffset
    }
}

/// The `.txnindex` file format (Kafka's `TransactionIndex`): 34-byte entries, appended in marker order, no header.
/// Pure functions over bytes, shared by the log and `needletail dump-log`.
public enum TransactionIndexFormat {
    public static let version: Int16 = 0
    public static let entrySize = 34

    public enum DecodingError: Error, Equatable {
        /// The file length is not a multiple of the entry size (a torn append).
        case partialEntry(validEntries: Int)
        case unknownVersion(Int16, entry: Int)
    }

    public static func encode(_ entry: AbortedTransaction) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: entrySize)
        bytes.withUnsafeMutableBytes { p in
            p.storeBytes(of: version.bigEndian, toByteOffset: 0, as: Int16.self)
            p.storeBytes(of: entry.producerId.bigEndian, toByteOffset: 2, as: Int64.self)
            p.storeBytes(of: entry.firstOffset.bigEndian, toByteOffset: 10, as: Int64.self)
            p.storeBytes(of: entry.lastOffset.bigEndian, toByteOffset: 18, as: Int64.self)
            p.storeBytes(of: entry.lastStableOffset.bigEndian, toByteOffset: 26, as: Int64.self)
        }
        return bytes
    }

    public static func encode(_ entries: [AbortedTransaction]) -> [UInt8] {
        entries.flatMap { encode($0) }
    }

    /// Every whole entry; throws after the whole ones when the file ends inside an entry or holds an unknown version.
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> [AbortedTransaction] {
        var entries: [AbortedTransaction] = []
        let count = bytes.count / entrySize
        entries.reserveCapacity(count)
        for i in 0..<count {
            let o = i * entrySize
            let (v, entry) = bytes.withUnsafeBytes { p -> (Int16, AbortedTransaction) in
                func i64(_ at: Int) -> Int64 {
                    Int64(bigEndian: p.loadUnaligned(fromByteOffset: o + at, as: Int64.self))
                }
                let v = Int16(bigEndian: p.loadUnaligned(fromByteOffset: o, as: Int16.self))
                return (
                    v,
                    AbortedTransaction(
                        producerId: i64(2), firstOffset: i64(10), lastOffset: i64(18), lastStableOffset: i64(26))
                )
            }
            guard v == version else { throw .unknownVersion(v, entry: i) }
            entries.append(entry)
        }
        if bytes.count % entrySize != 0 { throw .partialEntry(validEntries: count) }
        return entries
    }

    static func path(_ directory: String, _ base: Int64) -> String { "\(directory)/\(filenamePrefix(base)).txnindex" }
}

/// A transaction ended by a marker at `lastOffset` (Kafka's `CompletedTxn`).
public struct CompletedTransaction: Sendable, Equatable {
    public var producerId: Int64
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var isAborted: Bool
    /// The LSO right after the marker: the first offset of another producer's open transaction, else marker + 1.
    public var lastStableOffset: Int64
}

/// The aborted transactions of one partition, in marker order, with the `.txnindex` files that hold them.
///
/// The entries live in memory (a few per aborted transaction: small) so a read-committed fetch finds its aborted
/// ranges without opening files; each is also appended to the `.txnindex` of the segment its marker went to, which
/// Kafka creates lazily on the first abort in a segment. Truncation and segment deletion rewrite or drop the files.
struct AbortedTransactionIndex {
    /// Entries with the base offset of the segment whose `.txnindex` holds them, ascending by `lastOffset`.
    private(set) var entries: [(segmentBase: Int64, entry: AbortedTransaction)] = []

    mutating func removeAll() { entries.removeAll() }

    /// Appends to memory and to `<segmentBase>.txnindex` (created on first use).
    mutating func append(_ entry: AbortedTransaction, segmentBase: Int64, directory: String) throws(LogError) {
        let path = TransactionIndexFormat.path(directory, segmentBase)
        let file = try SegmentFile(path: path, create: true)
        let size = try file.size()
        // A torn entry left by a crash is cut before appending, so the file stays a whole number of entries.
        let aligned = size - size % Int64(TransactionIndexFormat.entrySize)
        if aligned != size { try file.truncate(to: aligned) }
        try file.write(TransactionIndexFormat.encode(entry), at: aligned)
        entries.append((segmentBase, entry))
    }

    /// Loads the `.txnindex` of each segment (missing files mean no aborts there). A damaged file keeps its whole
    /// leading entries; recovery rebuilds the tail anyway.
    mutating func load(directory: String, segmentBases: [Int64]) throws(LogError) {
        entries.removeAll()
        for base in segmentBases {
            guard let bytes = try FS.readFile(TransactionIndexFormat.path(directory, base)) else { continue }
            let decoded: [AbortedTransaction]
            do {
                decoded = try TransactionIndexFormat.decode(bytes)
            } catch {
                switch error {
                case .partialEntry(let valid): decoded = Array(TransactionIndexFormat.decodePrefix(bytes, count: valid))
                case .unknownVersion(_, let entry):
                    decoded = Array(TransactionIndexFormat.decodePrefix(bytes, count: entry))
                }
            }
            for e in decoded { entries.append((base, e)) }
        }
        entries.sort { $0.entry.lastOffset < $1.entry.lastOffset }
    }

    /// Drops entries whose marker is at or after `offset` (Kafka's `TransactionIndex.truncateTo`) and rewrites the
    /// files that held them.
    mutating func truncate(from offset: Int64, directory: String) throws(LogError) {
        guard let cut = entries.firstIndex(where: { $0.entry.lastOffset >= offset }) else { return }
        let touched = Set(entries[cut...].map(\.segmentBase))
        entries.removeSubrange(cut...)
        for base in touched { try rewrite(base, directory: directory) }
    }

    /// Forgets entries held by segments that were deleted (their files went with the segment).
    mutating func dropSegments(below base: Int64) {
        entries.removeAll { $0.segmentBase < base }
    }

    /// The cleaner replaced `bases` by one segment at `base`: their entries move to its `.txnindex`.
    mutating func merge(segments bases: Set<Int64>, into base: Int64, directory: String) throws(LogError) {
        guard entries.contains(where: { bases.contains($0.segmentBase) }) else { return }
        for i in entries.indices where bases.contains(entries[i].segmentBase) { entries[i].segmentBase = base }
        try rewrite(base, directory: directory)
    }

    private func rewrite(_ base: Int64, directory: String) throws(LogError) {
        let kept = entries.filter { $0.segmentBase == base }.map(\.entry)
        let path = TransactionIndexFormat.path(directory, base)
        if kept.isEmpty {
            try FS.remove(path)
        } else {
            try FS.writeAtomically(path, TransactionIndexFormat.encode(kept), sync: false)
        }
    }

    /// Aborted transactions overlapping [from, upTo): marker at or after `from`, first offset before `upTo`
    /// (Kafka's `collectAbortedTxns`).
    func overlapping(from: Int64, upTo: Int64) -> [AbortedTransaction] {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].entry.lastOffset < from { low = mid + 1 } else { high = mid }
        }
        return entries[low...].map(\.entry).filter { $0.firstOffset < upTo }
    }
}

extension TransactionIndexFormat {
    fileprivate static func decodePrefix(_ bytes: [UInt8], count: Int) -> [AbortedTransaction] {
        (try? decode(Array(bytes[0..<(count * entrySize)]))) ?? []
    }
}
