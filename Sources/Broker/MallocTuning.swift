import CMalloc

/// glibc's malloc maps memory above its mmap threshold (128 KB at first) on every allocation and unmaps it on
/// free, and trims the top of each arena once a little of it is free. A broker allocates and frees megabyte
/// buffers all the time (produce frames, decompressed batches for validation, fetch responses), so with the
/// defaults every such buffer is faulted in and zeroed afresh: a 200k × 1 KB zstd produce spent about 0.9 CPU-s
/// in page faults, 0.15 s without. Buffers up to 32 MB now come from the arenas, and up to 64 MB free at an
/// arena's top stays there for reuse. Skipped when the operator tunes malloc through the environment.
enum MallocTuning {
    static let mmapThreshold: Int32 = 32 << 20
    static let trimThreshold: Int32 = 64 << 20

    static func apply(environment: [String: String]) {
        guard !operatorTunesMalloc(environment) else { return }
        _ = nt_malloc_keep_freed_memory(mmapThreshold, trimThreshold)
    }

    static func operatorTunesMalloc(_ environment: [String: String]) -> Bool {
        environment["GLIBC_TUNABLES"]?.contains("glibc.malloc.") == true
            || environment.keys.contains { $0.hasPrefix("MALLOC_") }
    }
}
