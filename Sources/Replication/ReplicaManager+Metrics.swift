extension ReplicaManager {
    /// ISR shrinks and expansions this broker has written as leader since it started (Kafka's
    /// `IsrShrinksPerSec`/`IsrExpandsPerSec` counts), for `/metrics`.
    public var isrChangeCounts: (shrinks: Int, expands: Int) {
        (environment.isrShrinks.load(ordering: .relaxed), environment.isrExpands.load(ordering: .relaxed))
    }
}
