// Hand-written beside the generated Generated/Fetch.swift.

extension FetchRequest {
    /// The fetching replica's broker id (-1 for consumers), wherever the request version carries it: `replicaId`
    /// up to v14, `replicaState.replicaId` (tag 1) from v15.
    public func effectiveReplicaId(version: Int16) -> Int32 {
        version >= 15 ? replicaState.replicaId : replicaId
    }
}
