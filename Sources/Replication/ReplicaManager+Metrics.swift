extension ReplicaManager {
    /// ISR shrinks and expansions this broker has written as leader since it started (Kafka's
    /// `IsrShrinksPerSec`/`IsrExpandsPerSec` counts), for `/metrics`.
    public var isrChangeCounts: (shrinks: Int, expands: Int) {
        (environment.isrShrinks.load(ordering: .relaxed), environment.isrExpands.load(ordering: .relaxed))
    }

    /// The largest number of messages a follower replica on this broker trails its leader by (Kafka's
    /// `ReplicaFetcherManager` `MaxLag`), as of each partition's last fetch answer.
    public var replicaFetcherMaxLag: Int64 { replication.withLock { $0 }?.fetchers.maxLag ?? 0 }
}
