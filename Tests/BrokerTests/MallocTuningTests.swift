import Testing

@testable import Broker

@Suite("malloc tuning")
struct MallocTuningTests {
    @Test("the broker keeps freed memory for reuse unless the operator tunes malloc through the environment")
    func operatorSettingsWin() {
        #expect(!MallocTuning.operatorTunesMalloc(["PATH": "/usr/bin", "KAFKA_HEAP_OPTS": "-Xmx1G"]))
        #expect(MallocTuning.operatorTunesMalloc(["GLIBC_TUNABLES": "glibc.malloc.arena_max=2"]))
        #expect(MallocTuning.operatorTunesMalloc(["MALLOC_ARENA_MAX": "2"]))
        #expect(!MallocTuning.operatorTunesMalloc(["GLIBC_TUNABLES": "glibc.rtld.optional_static_tls=512"]))
    }
}
