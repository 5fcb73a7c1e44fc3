import KafkaProtocol
import Synchronization

// KIP-227 incremental fetch sessions on the leader (Kafka's `FetchSession.scala`: `FetchManager`, `FetchSession`,
// `CachedPartition`, `FetchSessionCache`). A full fetch (epoch 0) creates a session holding every partition it asked
// for; later requests name the session and its next epoch and carry only partitions whose fetch parameters changed
// (plus `forgotten_topics_data`); their responses carry only partitions with something new for the reader. The
// value below is sans-io and clock-injected; `FetchSessions` is its lock.

/// A partition as a session names it: by topic id (Fetch v13+, the name resolved from metadata) or by name.
public struct FetchSessionKey: Hashable, Sendable, CustomStringConvertible {
    public var topicId: UUIDValue
    public var topic: String
    public var partition: Int32

    public init(topicId: UUIDValue = .zero, topic: String, partition: Int32) {
        self.topicId = topicId
        self.topic = topic
        self.partition = partition
    }

    public var description: String { "\(topic)-\(partition)" }
}

/// What a fetch request asks of one partition; a session keeps the last one it was sent.
public struct FetchSessionRequestData: Sendable, Equatable {
    public var fetchOffset: Int64
    public var logStartOffset: Int64
    public var maxBytes: Int32
    public var currentLeaderEpoch: Int32
    public var lastFetchedEpoch: Int32

    public init(
        fetchOffset: Int64, logStartOffset: Int64, maxBytes: Int32, currentLeaderEpoch: Int32, lastFetchedEpoch: Int32
    ) {
        self.fetchOffset = fetchOffset
        self.logStartOffset = logStartOffset
        self.maxBytes = maxBytes
        self.currentLeaderEpoch = currentLeaderEpoch
        self.lastFetchedEpoch = lastFetchedEpoch
    }
}

/// The parts of one partition's answer a session compares with what it last sent.
public struct FetchSessionPartitionOutcome: Sendable, Equatable {
    public var hasError: Bool
    public var highWatermark: Int64
    public var lastStableOffset: Int64
    public var logStartOffset: Int64
    public var recordBytes: Int
    public var hasDivergingEpoch: Bool

    public init(
        hasError: Bool = false, highWatermark: Int64, lastStableOffset: Int64, logStartOffset: Int64,
        recordBytes: Int = 0, hasDivergingEpoch: Bool = false
    ) {
        self.hasError = hasError
        self.highWatermark = highWatermark
        self.lastStableOffset = lastStableOffset
        self.logStartOffset = logStartOffset
        self.recordBytes = recordBytes
        self.hasDivergingEpoch = hasDivergingEpoch
    }
}

/// Why a request naming a session is refused (the response's top-level error; Kafka's `SessionErrorContext`).
public enum FetchSessionError: Error, Sendable, Equatable {
    /// FETCH_SESSION_ID_NOT_FOUND (70): evicted, closed, or never created here.
    case sessionIdNotFound
    /// INVALID_FETCH_SESSION_EPOCH (71): not the epoch the session expects next.
    case invalidEpoch
    /// FETCH_SESSION_TOPIC_ID_ERROR (106): a session created with topic ids (v13+) used by a v12- request or the
    /// other way round.
    case topicIdMismatch
}

/// How to answer one fetch request (Kafka's `FetchContext` subclasses).
public enum FetchSessionContext: Sendable, Equatable {
    /// Refuse the request: top-level error, session id 0, no partitions.
    case error(FetchSessionError)
    /// Read and answer exactly the request's partitions. `createSession` (epoch 0) asks for a session to be made
    /// from the answer; otherwise (epoch -1, or v0–v6) the response's session id is 0.
    case full(partitions: [(FetchSessionKey, FetchSessionRequestData)], createSession: Bool)
    /// Read every partition of the session, in its order; answer only those `FetchSessionCache.incrementalResponse`
    /// selects.
    case incremental(sessionId: Int32, partitions: [FetchSessionCache.CachedPartition])

    public static func == (lhs: FetchSessionContext, rhs: FetchSessionContext) -> Bool {
        switch (lhs, rhs) {
        case (.error(let a), .error(let b)): a == b
        case (.full(let a, let ca), .full(let b, let cb)):
            ca == cb && a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        case (.incremental(let a, let pa), .incremental(let b, let pb)): a == b && pa == pb
        default: false
        }
    }

    /// The partitions to read, in order.
    public var partitionsToRead: [(FetchSessionKey, FetchSessionRequestData)] {
        switch self {
        case .error: []
        case .full(let partitions, _): partitions
        case .incremental(_, let partitions): partitions.map { ($0.key, $0.request) }
        }
    }
}

/// The leader's fetch sessions (Kafka's `FetchSessionCache`), bounded by `max.incremental.fetch.session.cache.slots`.
/// A new session takes a slot when one is free, else evicts the least recently used session idle for longer than
/// `evictionMs`, else the smallest evictable session if the newcomer is worth more: followers' sessions
/// ("privileged") are worth more than consumers', then bigger sessions more than smaller ones. A session is
/// evictable by anyone once older than `evictionMs`, and by a follower at any time if it is a consumer's.
public struct FetchSessionCache: Sendable {
    /// Kafka's `MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS`.
    public static let defaultEvictionMs: Int64 = 120_000
    public static let initialEpoch: Int32 = 0
    public static let finalEpoch: Int32 = -1

    /// One partition of a session: the request it was last sent and the answer it last got.
    public struct CachedPartition: Sendable, Equatable {
        public var key: FetchSessionKey
        public var request: FetchSessionRequestData
        /// -1 until first answered, and again after an error, so the partition is answered next time.
        public var highWatermark: Int64 = -1
        public var lastStableOffset: Int64 = -1
        public var logStartOffset: Int64 = -1

        /// Kafka's `CachedPartition.maybeUpdateResponseData`: whether an incremental response must carry this
        /// partition, recording what it carries.
        mutating func mustRespond(_ outcome: FetchSessionPartitionOutcome) -> Bool {
            var must = outcome.recordBytes > 0 || outcome.hasDivergingEpoch
            if highWatermark != outcome.highWatermark {
                must = true
                highWatermark = outcome.highWatermark
            }
            if lastStableOffset != outcome.lastStableOffset {
                must = true
                lastStableOffset = outcome.lastStableOffset
            }
            if logStartOffset != outcome.logStartOffset {
                must = true
                logStartOffset = outcome.logStartOffset
            }
            if outcome.hasError {
                highWatermark = -1
                must = true
            }
            return must
        }
    }

    public struct Session: Sendable {
        public let id: Int32
        /// A follower's session.
        public let privileged: Bool
        public let usesTopicIds: Bool
        public let creationMs: Int64
        public var lastUsedMs: Int64
        /// The epoch the next request must carry.
        public var epoch: Int32
        /// In the order partitions are read: partitions that returned data move to the end, so a response byte
        /// budget does not starve the later ones.
        public internal(set) var partitions: [CachedPartition]
        var index: [FetchSessionKey: Int]
        /// The eviction facts as of the last touch (Kafka keeps its eviction maps up to date on touch only).
        var cachedSize = 0
        var evictableByAll = false
        var evictableByPrivileged = false

        init(
            id: Int32, privileged: Bool, usesTopicIds: Bool, now: Int64, epoch: Int32, partitions: [CachedPartition]
        ) {
            self.id = id
            self.privileged = privileged
            self.usesTopicIds = usesTopicIds
            self.creationMs = now
            self.lastUsedMs = now
            self.epoch = epoch
            self.partitions = partitions
            self.index = [:]
            reindex()
        }

        mutating func reindex() {
            index = Dictionary(partitions.enumerated().map { ($1.key, $0) }, uniquingKeysWith: { first, _ in first })
        }

        /// Kafka's `FetchSession.update`: changed or new partitions, then the forgotten ones.
        mutating func update(
            _ changed: [(FetchSessionKey, FetchSessionRequestData)], forgotten: [FetchSessionKey]
        ) {
            for (key, request) in changed {
                if let i = index[key] {
                    partitions[i].request = request
                } else {
                    index[key] = partitions.count
                    partitions.append(CachedPartition(key: key, request: request))
                }
            }
            if !forgotten.isEmpty {
                let gone = Set(forgotten)
                partitions.removeAll { gone.contains($0.key) }
                reindex()
            }
        }

        var evictionRank: (privileged: Int, size: Int, id: Int32) { (privileged ? 1 : 0, cachedSize, id) }
    }

    public private(set) var sessions: [Int32: Session] = [:]
    public let evictionMs: Int64
    /// New session ids; injected so tests can predict them.
    var nextId: @Sendable () -> Int32

    public init(
        evictionMs: Int64 = defaultEvictionMs,
        idGenerator: @escaping @Sendable () -> Int32 = { .random(in: 1...(.max)) }
    ) {
        self.evictionMs = evictionMs
        self.nextId = idGenerator
    }

    /// Kafka's `JFetchMetadata.nextEpoch`.
    public static func nextEpoch(after epoch: Int32) -> Int32 {
        if epoch < 0 { return finalEpoch }
        return epoch == .max ? 1 : epoch + 1
    }

    /// Kafka's `FetchManager.newContext`. `partitions` are the request's, `forgotten` its
    /// `forgotten_topics_data`; `usesTopicIds` is `version >= 13`. Requests older than v7 pass session 0, epoch -1.
    public mutating func newContext(
        sessionId: Int32, epoch: Int32, privileged: Bool, usesTopicIds: Bool,
        partitions: [(FetchSessionKey, FetchSessionRequestData)], forgotten: [FetchSessionKey], now: Int64
    ) -> FetchSessionContext {
        if epoch == Self.initialEpoch || epoch == Self.finalEpoch {
            // A full request closes the session it names and, unless FINAL, asks for a new one.
            if sessionId != 0 { remove(sessionId) }
            return .full(partitions: partitions, createSession: epoch == Self.initialEpoch)
        }
        guard var session = sessions[sessionId] else { return .error(.sessionIdNotFound) }
        guard session.epoch == epoch else { return .error(.invalidEpoch) }
        guard session.usesTopicIds == usesTopicIds else { return .error(.topicIdMismatch) }
        session.update(partitions, forgotten: forgotten)
        if session.partitions.isEmpty {
            remove(sessionId)
            return .full(partitions: partitions, createSession: false)
        }
        session.epoch = Self.nextEpoch(after: session.epoch)
        sessions[sessionId] = session
        touch(sessionId, now: now)
        return .incremental(sessionId: sessionId, partitions: session.partitions)
    }

    /// After a full fetch with `createSession`: makes a session from the answered partitions (Kafka's
    /// `maybeCreateSession`). Returns its id, or 0 when the cache is full and nothing may be evicted (the reader
    /// then keeps sending full fetches).
    public mutating func createSession(
        privileged: Bool, usesTopicIds: Bool,
        partitions: [(FetchSessionKey, FetchSessionRequestData, FetchSessionPartitionOutcome)], maxEntries: Int,
        now: Int64
    ) -> Int32 {
        guard maxEntries > 0 else { return 0 }
        var unique = Set<FetchSessionKey>()
        var cached: [CachedPartition] = []
        for (key, request, outcome) in partitions where unique.insert(key).inserted {
            cached.append(
                CachedPartition(
                    key: key, request: request, highWatermark: outcome.hasError ? -1 : outcome.highWatermark,
                    lastStableOffset: outcome.lastStableOffset, logStartOffset: outcome.logStartOffset))
        }
        guard sessions.count < maxEntries || tryEvict(privileged: privileged, size: cached.count, now: now) else {
            return 0
        }
        var id = nextId()
        while id <= 0 || sessions[id] != nil { id = nextId() }
        sessions[id] = Session(
            id: id, privileged: privileged, usesTopicIds: usesTopicIds, now: now,
            epoch: Self.nextEpoch(after: Self.initialEpoch), partitions: cached)
        touch(id, now: now)
        return id
    }

    /// Kafka's `IncrementalFetchContext.updateAndGenerateResponseData`: which of the partitions read for an
    /// incremental context the response carries (indices into `read`, in order), updating the session's record of
    /// what it sent and moving partitions that returned data to the end of its order. `read` is the context's
    /// partitions with their outcomes; when the session is gone meanwhile, the selection is still made from them.
    public mutating func incrementalResponse(
        sessionId: Int32, read: [(CachedPartition, FetchSessionPartitionOutcome)]
    ) -> [Int] {
        var selected: [Int] = []
        var updated: [FetchSessionKey: CachedPartition] = [:]
        var withData: Set<FetchSessionKey> = []
        for (i, (partition, outcome)) in read.enumerated() {
            var p = partition
            if p.mustRespond(outcome) { selected.append(i) }
            if outcome.recordBytes > 0 { withData.insert(p.key) }
            updated[p.key] = p
        }
        guard var session = sessions[sessionId] else { return selected }
        var front: [CachedPartition] = []
        var back: [CachedPartition] = []
        for p in session.partitions {
            let next =
                updated[p.key].map { u -> CachedPartition in
                    var merged = p
                    merged.highWatermark = u.highWatermark
                    merged.lastStableOffset = u.lastStableOffset
                    merged.logStartOffset = u.logStartOffset
                    return merged
                } ?? p
            if withData.contains(p.key) { back.append(next) } else { front.append(next) }
        }
        session.partitions = front + back
        session.reindex()
        sessions[sessionId] = session
        return selected
    }

    public mutating func remove(_ sessionId: Int32) {
        sessions.removeValue(forKey: sessionId)
    }

    /// Kafka's `FetchSessionCache.touch`: last use, size and eviction eligibility as of now.
    mutating func touch(_ sessionId: Int32, now: Int64) {
        guard var session = sessions[sessionId] else { return }
        session.lastUsedMs = now
        session.cachedSize = session.partitions.count
        let old = now - session.creationMs > evictionMs
        session.evictableByAll = old
        session.evictableByPrivileged = !session.privileged || old
        sessions[sessionId] = session
    }

    /// Kafka's `FetchSessionCache.tryEvict`.
    mutating func tryEvict(privileged: Bool, size: Int, now: Int64) -> Bool {
        guard let lru = sessions.values.min(by: { ($0.lastUsedMs, $0.id) < ($1.lastUsedMs, $1.id) }) else {
            return false
        }
        if now - lru.lastUsedMs > evictionMs {
            remove(lru.id)
            return true
        }
        let candidates = sessions.values.filter { privileged ? $0.evictableByPrivileged : $0.evictableByAll }
        guard let weakest = candidates.min(by: { $0.evictionRank < $1.evictionRank }) else { return false }
        // The newcomer's key has id 0, below every real id: a tie in privilege and size keeps the incumbent.
        if (privileged ? 1 : 0, size, Int32(0)) < weakest.evictionRank { return false }
        remove(weakest.id)
        return true
    }
}

/// The broker's one `FetchSessionCache`, behind a lock; the clock is the replica manager's.
public final class FetchSessions: Sendable {
    private let cache: Mutex<FetchSessionCache>
    private let clock: @Sendable () -> Int64

    public init(cache: FetchSessionCache = FetchSessionCache(), clock: @escaping @Sendable () -> Int64) {
        self.cache = Mutex(cache)
        self.clock = clock
    }

    public func newContext(
        sessionId: Int32, epoch: Int32, privileged: Bool, usesTopicIds: Bool,
        partitions: [(FetchSessionKey, FetchSessionRequestData)], forgotten: [FetchSessionKey]
    ) -> FetchSessionContext {
        let now = clock()
        return cache.withLock {
            $0.newContext(
                sessionId: sessionId, epoch: epoch, privileged: privileged, usesTopicIds: usesTopicIds,
                partitions: partitions, forgotten: forgotten, now: now)
        }
    }

    public func createSession(
        privileged: Bool, usesTopicIds: Bool,
        partitions: [(FetchSessionKey, FetchSessionRequestData, FetchSessionPartitionOutcome)], maxEntries: Int
    ) -> Int32 {
        let now = clock()
        return cache.withLock {
            $0.createSession(
                privileged: privileged, usesTopicIds: usesTopicIds, partitions: partitions, maxEntries: maxEntries,
                now: now)
        }
    }

    public func incrementalResponse(
        sessionId: Int32, read: [(FetchSessionCache.CachedPartition, FetchSessionPartitionOutcome)]
    ) -> [Int] {
        cache.withLock { $0.incrementalResponse(sessionId: sessionId, read: read) }
    }

    /// Sessions in the cache (Kafka's `NumIncrementalFetchSessions` gauge).
    public var count: Int { cache.withLock { $0.sessions.count } }

    /// Partitions held by all sessions (Kafka's `NumIncrementalFetchPartitionsCached` gauge).
    public var partitionsCached: Int { cache.withLock { $0.sessions.values.reduce(0) { $0 + $1.partitions.count } } }
}
