import KRaftController
import MetadataImage

extension KRaftActiveController {
    /// AlterConfigs' whole-set replacement as the controller's incremental operations: SET every given key,
    /// DELETE every stored key not given, computed against the controller's own image in the same step.
    func replaceConfigs(_ resource: ConfigResourceKey, _ configs: [String: String], validateOnly: Bool = false)
        async throws(BrokerError) -> TopicErrorReply
    {
        try await decide { c, _, _ in
            let stored = c.image.configs[resource] ?? [:]
            var operations = configs.sorted { $0.key < $1.key }.map {
                ConfigOperation(name: $0.key, kind: .set, value: $0.value)
            }
            for key in stored.keys.sorted() where configs[key] == nil {
                operations.append(ConfigOperation(name: key, kind: .delete, value: nil))
            }
            return c.incrementalAlterConfigs(resource: resource, operations: operations, validateOnly: validateOnly)
        }
    }
}
