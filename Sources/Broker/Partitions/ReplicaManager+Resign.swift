// Placeholder until the replication branch lands its implementation (contract item 6): the real method makes
// every local leader stop acting as leader after a ZooKeeper session expiry. Replace this file.
extension ReplicaManager {
    func resignAllLeadership() {}
}
