import Authorization

/// ACL storage in Kafka's ZooKeeper layout (`AclAuthorizer` + `ZkAclStore`), shared by the broker (CreateAcls,
/// DeleteAcls, the cache) and `needletail acls --authorizer-properties zookeeper.connect=…`.
extension KafkaZkClient {
    /// Every ACL under `/kafka-acl` and `/kafka-acl-extended/prefixed` (`AclAuthorizer.loadCache`).
    public func allAcls() async throws -> AclSnapshot {
        var snapshot = AclSnapshot()
        for patternType in [PatternType.literal, .prefixed] {
            for type in ResourceType.concrete {
                let directory = AclZNodePaths.typeDirectory(patternType, type)
                let names: [String]
                do {
                    names = try await session.children(directory)
                } catch ZooKeeperError.noNode {
                    continue
                }
                for name in names {
                    let pattern = ResourcePattern(type, name, patternType)
                    snapshot.set(pattern, try await acls(for: pattern).entries)
                }
            }
        }
        return snapshot
    }

    /// One pattern's ACLs and the node's version (nil when the node does not exist).
    public func acls(for pattern: ResourcePattern) async throws -> (entries: Set<AccessControlEntry>, version: Int32?) {
        let path = AclZNodePaths.path(pattern)
        do {
            let (data, stat) = try await session.get(path)
            do {
                return (try AclJSON.decode(data), stat.version)
            } catch {
                throw KafkaZkError.corruptZNode(path: path, error: .malformed(error.description))
            }
        } catch ZooKeeperError.noNode {
            return ([], nil)
        }
    }

    /// Changes one pattern's ACLs with a conditional write on the znode version, retried on a concurrent change
    /// (`AclAuthorizer.updateResourceAcls`), then queues a change notification so every broker re-reads it.
    /// Returns the entries before and after.
    @discardableResult
    public func updateAcls(
        for pattern: ResourcePattern, _ transform: @Sendable (Set<AccessControlEntry>) -> Set<AccessControlEntry>
    ) async throws -> (before: Set<AccessControlEntry>, after: Set<AccessControlEntry>) {
        let path = AclZNodePaths.path(pattern)
        for _ in 0..<50 {
            let (current, version) = try await acls(for: pattern)
            let updated = transform(current)
            if updated == current { return (current, current) }
            do {
                if updated.isEmpty {
                    if let version { try await session.delete(path, version: version) }
                } else if let version {
                    _ = try await session.set(path, data: AclJSON.encode(updated), version: version)
                } else {
                    _ = try await session.createRecursive(path, data: AclJSON.encode(updated))
                }
            } catch ZooKeeperError.badVersion {
                continue
            } catch ZooKeeperError.nodeExists {
                continue
            } catch ZooKeeperError.noNode {
                continue
            }
            _ = try await session.createRecursive(
                "\(AclZNodePaths.changeQueue(pattern.patternType))/\(AclZNodePaths.changePrefix)",
                data: AclZNodePaths.encodeChange(pattern), mode: .persistentSequential)
            return (current, updated)
        }
        throw KafkaZkError.aclUpdateConflict(path: path)
    }

    /// The children of an ACL change queue (sorted by sequence) plus a watch for new ones.
    public func watchAclChanges(queue: String) async throws -> (changes: [String], watch: ZooKeeperWatch) {
        try await session.ensurePath(queue)
        let (children, watch) = try await session.childrenAndWatch(queue)
        let prefix = AclZNodePaths.changePrefix
        let sorted = children.sorted { a, b in
            ((Int64(a.dropFirst(prefix.count)) ?? .max), a) < ((Int64(b.dropFirst(prefix.count)) ?? .max), b)
        }
        return (sorted, watch)
    }

    /// The pattern a change notification names and the node's creation time (ms), or nil if already purged.
    public func aclChange(queue: String, child: String) async throws -> (pattern: ResourcePattern, ctime: Int64)? {
        let path = "\(queue)/\(child)"
        do {
            let (data, stat) = try await session.get(path)
            do {
                return (try AclZNodePaths.decodeChange(queue: queue, data), stat.ctime)
            } catch {
                throw KafkaZkError.corruptZNode(path: path, error: .malformed(error.description))
            }
        } catch ZooKeeperError.noNode {
            return nil
        }
    }

    /// Deletes a processed change notification (Kafka purges those older than 15 minutes).
    public func deleteAclChange(queue: String, child: String) async throws {
        do {
            try await session.delete("\(queue)/\(child)")
        } catch ZooKeeperError.noNode {
        }
    }
}
