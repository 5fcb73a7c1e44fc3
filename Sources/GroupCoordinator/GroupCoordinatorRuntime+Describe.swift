import KafkaProtocol

extension GroupCoordinatorRuntime {
    /// DescribeGroups' answer for many groups in one actor step (the web console shows every group coordinated
    /// here; one hop per group cost a thousand suspensions per answer). Groups not coordinated here, or dead, are
    /// left out.
    public func describeAll(_ groupIds: [String]) -> [String: GroupDescription] {
        var out: [String: GroupDescription] = [:]
        out.reserveCapacity(groupIds.count)
        for id in groupIds {
            let (error, group) = describe(groupId: id)
            guard error == .noError, group.state != .dead else { continue }
            out[id] = group
        }
        return out
    }
}
