#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A bounded set of open `.log` descriptors of non-active segments; past `capacity` the least recently used are
/// closed.
///
/// Closing only drops the handle's reference to its `SegmentFile`: a reader that already holds the file (a
/// `FileSlice` on its way out through `sendfile`) keeps the descriptor until it lets go, so eviction can never pull a
/// descriptor out from under an in-flight send. Active segments are pinned and never counted here.
///
/// Thread-safe. Recency is a queue of (handle, tick) with stale entries skipped on eviction: a touch is O(1) and
/// eviction amortised O(1).
public final class DescriptorCache: @unchecked Sendable {
    /// The cache every segment uses unless given another (tests build their own).
    public static let shared = DescriptorCache(capacity: 256)

    private struct Member {
        weak var handle: SegmentLogHandle?
        var tick: UInt64
    }

    private let lock = StateLock()
    private var capacityValue: Int
    private var tick: UInt64 = 0
    private var members: [ObjectIdentifier: Member] = [:]
    private var order: [(id: ObjectIdentifier, tick: UInt64)] = []
    private var head = 0

    public init(capacity: Int) { capacityValue = max(1, capacity) }

    /// How many non-active `.log` descriptors may stay open. Lowering it closes the excess at the next use.
    public var capacity: Int {
        get { lock.withLock { capacityValue } }
        set { lock.withLock { capacityValue = max(1, newValue) } }
    }

    /// The process's descriptor limit, when the broker set one: the capacity then follows the partition count
    /// (`fitCapacity(partitions:)`), so logs created at run time take their descriptors from the cache's share.
    public var descriptorLimit: Int? {
        get { lock.withLock { limitValue } }
        set { lock.withLock { limitValue = newValue } }
    }
    private var limitValue: Int?

    /// Sets the capacity to what `descriptorLimit` leaves with `partitions` active segments (no-op without a limit).
    public func fitCapacity(partitions: Int) {
        lock.withLock {
            guard let limit = limitValue else { return }
            capacityValue = FileDescriptorBudget.cacheCapacity(limit: limit, partitions: partitions)
        }
    }

    /// Handles currently counted as open.
    public var openCount: Int { lock.withLock { members.count } }

    /// Records a use of `handle` (opened or reused) and returns the handles to close, least recently used first.
    /// The caller closes them after this returns (never under the cache's lock).
    func touch(_ handle: SegmentLogHandle) -> [SegmentLogHandle] {
        let id = ObjectIdentifier(handle)
        return lock.withLock {
            tick &+= 1
            members[id] = Member(handle: handle, tick: tick)
            order.append((id, tick))
            var victims: [SegmentLogHandle] = []
            while members.count > capacityValue, head < order.count {
                let candidate = order[head]
                head += 1
                guard let member = members[candidate.id], member.tick == candidate.tick else { continue }
                members[candidate.id] = nil
                if candidate.id != id, let victim = member.handle { victims.append(victim) }
            }
            compactLocked()
            return victims
        }
    }

    /// Stops counting `handle` (pinned, closed or gone).
    func forget(_ id: ObjectIdentifier) {
        lock.withLock {
            members[id] = nil
            compactLocked()
        }
    }

    private func compactLocked() {
        // The queue holds one entry per touch; drop the consumed prefix and stale entries once it is mostly waste.
        guard order.count > 64, order.count > 4 * max(members.count, 16) || head > order.count / 2 else { return }
        order = order[head...].filter { members[$0.id]?.tick == $0.tick }
        head = 0
    }
}

/// The `.log` descriptor of one segment, opened on first use.
///
/// The active segment's handle is pinned: open for as long as it is active, never evicted. Other segments open
/// their `.log` when read and are closed again by `DescriptorCache` when it is full. `acquire()` returns the
/// `SegmentFile` itself; holding it is the lease that keeps the descriptor open.
final class SegmentLogHandle: @unchecked Sendable {
    private let lock = StateLock()
    private let cache: DescriptorCache
    // Guarded by `lock`.
    private var pathValue: String
    private var file: SegmentFile?
    private var pinned: Bool

    /// - Parameter open: open (creating if needed) the file now; otherwise it opens on first `acquire()`.
    init(path: String, pinned: Bool, open: Bool, cache: DescriptorCache) throws(LogError) {
        self.cache = cache
        pathValue = path
        self.pinned = pinned
        if open || pinned { file = try SegmentFile(path: path) }
        if file != nil && !pinned { closeVictims(cache.touch(self)) }
    }

    deinit { cache.forget(ObjectIdentifier(self)) }

    var path: String { lock.withLock { pathValue } }
    var isOpen: Bool { lock.withLock { file != nil } }
    var isPinned: Bool { lock.withLock { pinned } }

    /// The open file, opening it if needed. An unpinned handle counts as used now.
    func acquire() throws(LogError) -> SegmentFile {
        let (opened, isPinned) = try lock.withLock { () throws(LogError) -> (SegmentFile, Bool) in
            if let file { return (file, pinned) }
            // Never create here: a segment that is not open already exists on disk.
            let opened = try SegmentFile(path: pathValue, create: false)
            file = opened
            return (opened, pinned)
        }
        if !isPinned { closeVictims(cache.touch(self)) }
        return opened
    }

    /// Keeps the descriptor open and out of the cache (the segment became active).
    func pin() throws(LogError) {
        try lock.withLock { () throws(LogError) in
            pinned = true
            if file == nil { file = try SegmentFile(path: pathValue, create: false) }
        }
        cache.forget(ObjectIdentifier(self))
    }

    /// Hands the descriptor to the cache (the segment is no longer active).
    func unpin() {
        let open = lock.withLock { () -> Bool in
            pinned = false
            return file != nil
        }
        if open { closeVictims(cache.touch(self)) }
    }

    /// Drops the descriptor unless pinned; readers holding the file keep it open until they finish.
    func closeIfUnpinned() {
        lock.withLock { if !pinned { file = nil } }
    }

    func rename(to newPath: String) { lock.withLock { pathValue = newPath } }

    /// The file's size, without opening it when closed.
    func size() throws(LogError) -> Int64 {
        if let open = lock.withLock({ file }) { return try open.size() }
        let path = self.path
        guard let size = FS.fileSize(path) else { throw .io("stat \(path): \(lastErrorString())") }
        return size
    }

    /// Last modification time in milliseconds, without opening the file when closed.
    func lastModifiedMs() -> Int64 {
        if let open = lock.withLock({ file }) { return open.lastModifiedMs() }
        var st = stat()
        guard stat(path, &st) == 0 else { return 0 }
        #if canImport(Darwin)
            return Int64(st.st_mtimespec.tv_sec) * 1000 + Int64(st.st_mtimespec.tv_nsec) / 1_000_000
        #else
            return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
        #endif
    }

    private func closeVictims(_ victims: [SegmentLogHandle]) {
        for victim in victims where victim !== self { victim.closeIfUnpinned() }
    }
}
