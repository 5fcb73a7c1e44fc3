import Foundation
import JSONText

/// The bytes Kafka keeps in ZooKeeper for ACLs (`AclEntry.toJsonCompatibleMap` / `fromBytes`, and the change
/// notifications of `ZkAclChangeStore`), so ACLs written by Kafka's own tools take effect here and the reverse.
public enum AclJSON {
    public struct DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }

    /// A resource node's data. Kafka serialises a `java.util.HashMap` with Jackson, so keys come out in hash-bucket
    /// order: `{"acls":[{"principal":..,"permissionType":..,"host":..,"operation":..}],"version":1}`.
    public static func encode(_ entries: Set<AccessControlEntry>) -> [UInt8] {
        let items = entries.sorted().map { e in
            "{\"principal\":\(quote(e.principal)),\"permissionType\":\(quote(e.permission.pascalName)),"
                + "\"host\":\(quote(e.host)),\"operation\":\(quote(e.operation.pascalName))}"
        }
        return Array("{\"acls\":[\(items.joined(separator: ","))],\"version\":1}".utf8)
    }

    /// Reads a resource node's data in any key order; empty data means no ACLs (as `AclEntry.fromBytes`).
    public static func decode(_ bytes: [UInt8]) throws(DecodingError) -> Set<AccessControlEntry> {
        if bytes.isEmpty { return [] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any] else {
            throw DecodingError("ACL data is not a JSON object")
        }
        guard (object["version"] as? NSNumber)?.intValue == 1 else {
            throw DecodingError("unsupported ACL data version \(object["version"] ?? "none")")
        }
        guard let acls = object["acls"] as? [[String: Any]] else { throw DecodingError("ACL data without acls") }
        var out = Set<AccessControlEntry>()
        for item in acls {
            guard let principal = item["principal"] as? String, principal.contains(":"),
                let host = item["host"] as? String,
                let operationName = item["operation"] as? String,
                let operation = AclOperation(parsing: operationName),
                let permissionName = item["permissionType"] as? String,
                let permission = AclPermissionType(parsing: permissionName)
            else { throw DecodingError("malformed ACL entry \(item)") }
            out.insert(.init(principal: principal, host: host, operation: operation, permission: permission))
        }
        return out
    }

    /// The data of a `/kafka-acl-changes/acl_changes_N` node: `TOPIC:orders` (`ResourceType.toString` plus the
    /// name; Kafka reads the type case-insensitively).
    public static func encodeLiteralChange(_ pattern: ResourcePattern) -> [UInt8] {
        Array("\(pattern.type.name):\(pattern.name)".utf8)
    }

    public static func decodeLiteralChange(_ bytes: [UInt8]) throws(DecodingError) -> ResourcePattern {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let colon = text.firstIndex(of: ":"), let type = ResourceType(parsing: String(text[..<colon])) else {
            throw DecodingError("expected a string in format ResourceType:ResourceName but got \(text)")
        }
        return ResourcePattern(type, String(text[text.index(after: colon)...]), .literal)
    }

    /// The data of a `/kafka-acl-extended-changes/acl_changes_N` node (Kafka's `ExtendedAclChangeEvent`).
    public static func encodeExtendedChange(_ pattern: ResourcePattern) -> [UInt8] {
        Array(
            ("{\"version\":1,\"resourceType\":\(quote(pattern.type.name)),\"name\":\(quote(pattern.name)),"
                + "\"patternType\":\(quote(pattern.patternType.name))}").utf8)
    }

    public static func decodeExtendedChange(_ bytes: [UInt8]) throws(DecodingError) -> ResourcePattern {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let typeName = object["resourceType"] as? String, let type = ResourceType(parsing: typeName),
            let name = object["name"] as? String,
            let patternName = object["patternType"] as? String, let pattern = PatternType(parsing: patternName)
        else { throw DecodingError("Failed to parse ACL change event \(String(decoding: bytes, as: UTF8.self))") }
        if let version = (object["version"] as? NSNumber)?.intValue, version > 1 {
            throw DecodingError("Acl change event received for unsupported version: \(version)")
        }
        return ResourcePattern(type, name, pattern)
    }

    /// A JSON string literal as Jackson writes it.
    static func quote(_ s: String) -> String { JSON.quote(s) }
}

/// Where ACLs live in ZooKeeper (`ZkAclStore`): literal patterns under `/kafka-acl/<Type>/<name>`, prefixed ones
/// under `/kafka-acl-extended/prefixed/<Type>/<name>`, each store with its own change-notification queue.
public enum AclZNodePaths {
    public static let literalRoot = "/kafka-acl"
    public static let extendedRoot = "/kafka-acl-extended"
    public static let literalChanges = "/kafka-acl-changes"
    public static let extendedChanges = "/kafka-acl-extended-changes"
    public static let changePrefix = "acl_changes_"

    /// The root of a pattern type's store (`/kafka-acl` or `/kafka-acl-extended/prefixed`).
    public static func root(_ patternType: PatternType) -> String {
        patternType == .literal ? literalRoot : "\(extendedRoot)/\(patternType.name.lowercased())"
    }

    public static func typeDirectory(_ patternType: PatternType, _ type: ResourceType) -> String {
        "\(root(patternType))/\(type.pascalName)"
    }

    public static func path(_ pattern: ResourcePattern) -> String {
        "\(typeDirectory(pattern.patternType, pattern.type))/\(pattern.name)"
    }

    public static func changeQueue(_ patternType: PatternType) -> String {
        patternType == .literal ? literalChanges : extendedChanges
    }

    public static func encodeChange(_ pattern: ResourcePattern) -> [UInt8] {
        pattern.patternType == .literal
            ? AclJSON.encodeLiteralChange(pattern) : AclJSON.encodeExtendedChange(pattern)
    }

    public static func decodeChange(queue: String, _ bytes: [UInt8]) throws(AclJSON.DecodingError) -> ResourcePattern {
        if queue == literalChanges { return try AclJSON.decodeLiteralChange(bytes) }
        return try AclJSON.decodeExtendedChange(bytes)
    }
}
