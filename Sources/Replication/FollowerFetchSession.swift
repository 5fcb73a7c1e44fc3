import LogStorage

// The follower's side of a KIP-227 fetch session with one leader (Kafka's client `FetchSessionHandler`, which
// `ReplicaFetcherThread` uses too): it remembers what the leader's session holds, sends only partitions whose fetch
// parameters changed plus the ones to forget, and falls back to a full fetch whenever the session is lost.

/// A follower's fetch session with one leader, as a value: `build` before each fetch, then `handleResponse` or
/// `handleError`.
struct FollowerFetchSession: Sendable, Equatable {
    /// FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, FETCH_SESSION_TOPIC_ID_ERROR.
    static let sessionErrorCodes: Set<Int16> = [70, 71, 106]

    /// 0: none yet.
    private(set) var sessionId: Int32 = 0
    /// 0 (INITIAL): the next fetch is full and asks for a session.
    private(set) var nextEpoch: Int32 = FetchSessionCache.initialEpoch
    /// What the leader's session holds after the last request was built.
    private(set) var sessionPartitions: [TopicPartition: FollowerFetchRequest.Partition] = [:]

    var nextIsFull: Bool { nextEpoch == FetchSessionCache.initialEpoch || nextEpoch == FetchSessionCache.finalEpoch }

    /// The next request for `wanted` (the partitions to fetch now, sorted): every partition when full; otherwise
    /// the added and changed ones, and the removed ones in `forgotten`.
    mutating func build(_ wanted: FollowerFetchRequest) -> FollowerFetchRequest {
        var request = wanted
        request.sessionId = sessionId
        request.sessionEpoch = nextEpoch
        let next = Dictionary(wanted.partitions.map { ($0.topicPartition, $0) }, uniquingKeysWith: { a, _ in a })
        if !nextIsFull {
            request.partitions = wanted.partitions.filter { sessionPartitions[$0.topicPartition] != $0 }
            request.forgotten = sessionPartitions.keys.filter { next[$0] == nil }.sorted()
        }
        sessionPartitions = next
        return request
    }

    /// Kafka's `FetchSessionHandler.handleResponse`: false when the response is unusable (a session error or
    /// partitions the session does not hold); the next fetch is then full.
    mutating func handleResponse(_ response: FollowerFetchResponse, to request: FollowerFetchRequest) -> Bool {
        if response.errorCode != 0 {
            if response.errorCode == 70 {  // FETCH_SESSION_ID_NOT_FOUND: start afresh
                sessionId = 0
                nextEpoch = FetchSessionCache.initialEpoch
            } else {  // close the session and open a new one in the same full request
                nextEpoch = FetchSessionCache.initialEpoch
            }
            return false
        }
        if request.sessionEpoch == FetchSessionCache.initialEpoch
            || request.sessionEpoch == FetchSessionCache.finalEpoch
        {
            // A full response must answer exactly the requested partitions.
            let answered = Set(response.partitions.map(\.topicPartition))
            guard answered == Set(request.partitions.map(\.topicPartition)) else {
                sessionId = 0
                nextEpoch = FetchSessionCache.initialEpoch
                return false
            }
            sessionId = response.sessionId
            nextEpoch = response.sessionId == 0 ? FetchSessionCache.initialEpoch : 1
            return true
        }
        guard response.partitions.allSatisfy({ sessionPartitions[$0.topicPartition] != nil }) else {
            nextEpoch = FetchSessionCache.initialEpoch
            return false
        }
        if response.sessionId == 0 {
            sessionId = 0
            nextEpoch = FetchSessionCache.initialEpoch
        } else {
            nextEpoch = FetchSessionCache.nextEpoch(after: nextEpoch)
        }
        return true
    }

    /// Kafka's `FetchSessionHandler.handleError`: the request failed (connection lost, timeout); the next fetch is
    /// full, closing the old session.
    mutating func handleError() {
        nextEpoch = FetchSessionCache.initialEpoch
    }
}
