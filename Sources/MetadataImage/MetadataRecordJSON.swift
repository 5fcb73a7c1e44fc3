import JSONText
import KafkaProtocol

/// Kafka's JSON form of metadata and KRaft control records (the generated `*JsonConverter.write` classes that
/// `kafka-dump-log --cluster-metadata-decoder` prints): fields in schema order, names in lower camel case, every
/// field valid at the record's version (tagged or not), uuids as URL-safe base64, bytes as base64, null as null.
public enum MetadataRecordJSON {
    /// `{"type":"TOPIC_RECORD","version":0,"data":{...}}`, as `ClusterMetadataLogMessageParser` prints a value.
    public static func payload(_ record: MetadataRecord, version: Int16) -> String {
        "{\"type\":\"\(record.type.kafkaName)\",\"version\":\(version),\"data\":\(object(record.message, version: version))}"
    }

    /// A control record's message as JSON (its `version` field comes first, as Kafka names it).
    public static func control(_ message: any KafkaMessage) -> String { object(message, version: 0) }

    /// Fields that exist only from some version on, by record type and field name (everything else is in v0+).
    static let sinceVersion: [String: Int16] = [
        "RegisterBrokerRecord.inControlledShutdown": 1, "RegisterBrokerRecord.isMigratingZkBroker": 2,
        "RegisterBrokerRecord.logDirs": 3, "BrokerRegistrationChangeRecord.inControlledShutdown": 1,
        "BrokerRegistrationChangeRecord.logDirs": 2, "PartitionRecord.directories": 1,
        "PartitionRecord.eligibleLeaderReplicas": 2, "PartitionRecord.lastKnownElr": 2,
        "PartitionChangeRecord.directories": 1, "PartitionChangeRecord.eligibleLeaderReplicas": 2,
        "PartitionChangeRecord.lastKnownElr": 2,
    ]

    static func object(_ value: Any, version: Int16) -> String {
        let mirror = Mirror(reflecting: value)
        let typeName = String(describing: type(of: value))
        var parts: [String] = []
        for child in mirror.children {
            guard let label = child.label else { continue }
            if let since = sinceVersion["\(typeName).\(label)"], version < since { continue }
            // Our control records say `recordVersion` where Kafka's schema says `Version`.
            let name = label == "recordVersion" ? "version" : label
            parts.append("\"\(name)\":\(json(child.value, version: version))")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    static func json(_ value: Any, version: Int16) -> String {
        let mirror = Mirror(reflecting: value)
        if mirror.displayStyle == .optional {
            guard let inner = mirror.children.first else { return "null" }
            return json(inner.value, version: version)
        }
        // Exact types for arrays: a dynamic cast would turn an empty [Int32] into an empty [UInt8].
        let t = type(of: value)
        if t == [UInt8].self, let v = value as? [UInt8] { return quote(base64(v)) }
        if t == [Int32].self, let v = value as? [Int32] { return "[" + v.map(String.init).joined(separator: ",") + "]" }
        if t == [UUIDValue].self, let v = value as? [UUIDValue] {
            return "[" + v.map { quote($0.base64URL) }.joined(separator: ",") + "]"
        }
        switch value {
        case let v as String: return quote(v)
        case let v as Bool: return v ? "true" : "false"
        case let v as Int8: return String(v)
        case let v as Int16: return String(v)
        case let v as Int32: return String(v)
        case let v as Int64: return String(v)
        case let v as UInt16: return String(v)
        case let v as Double: return v.isFinite ? "\(v)" : quote("\(v)")
        case let v as UUIDValue: return quote(v.base64URL)
        default: break
        }
        if mirror.displayStyle == .collection {
            return "[" + mirror.children.map { json($0.value, version: version) }.joined(separator: ",") + "]"
        }
        return object(value, version: version)
    }

    static func quote(_ s: String) -> String { JSON.quote(s) }

    static func base64(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        var out = ""
        var i = 0
        while i < bytes.count {
            let b0 = Int(bytes[i])
            let b1 = i + 1 < bytes.count ? Int(bytes[i + 1]) : 0
            let b2 = i + 2 < bytes.count ? Int(bytes[i + 2]) : 0
            out.append(table[b0 >> 2])
            out.append(table[((b0 & 3) << 4) | (b1 >> 4)])
            out.append(i + 1 < bytes.count ? table[((b1 & 15) << 2) | (b2 >> 6)] : "=")
            out.append(i + 2 < bytes.count ? table[b2 & 63] : "=")
            i += 3
        }
        return out
    }

    /// What kafka-dump-log prints after a KRaft control record's metadata (`DumpLogSegments.printControlRecord`),
    /// e.g. ` LeaderChange: {"version":0,"leaderId":1,...}`; nil for the transaction markers and unknown types.
    public static func controlRecordText(key: [UInt8], value: [UInt8]) -> String? {
        guard let type = KRaftControlRecordType(key: key) else { return nil }
        func decode<T: KafkaMessage>(_: T.Type) -> String {
            var r = ProtocolReader(value)
            guard let m = try? T(reading: &r, version: 0) else { return "(unreadable \(type.kafkaName) record)" }
            return control(m)
        }
        switch type {
        case .abort, .commit: return nil
        case .leaderChange: return " LeaderChange: " + decode(LeaderChangeMessage.self)
        case .snapshotHeader: return " SnapshotHeader " + decode(SnapshotHeaderRecord.self)
        case .snapshotFooter: return " SnapshotFooter " + decode(SnapshotFooterRecord.self)
        case .kraftVersion: return " KRaftVersion " + decode(KRaftVersionRecord.self)
        case .kraftVoters: return " KRaftVoters " + decode(VotersRecord.self)
        }
    }

    /// The payload text for a record value: the JSON, or Kafka's "Error at <offset>, skipping. <reason>".
    public static func payload(value: [UInt8]?, offset: Int64) -> String {
        guard let value else { return "Error at \(offset), skipping. null value" }
        do {
            let (record, version) = try MetadataRecord.decode(value)
            return payload(record, version: version)
        } catch {
            return "Error at \(offset), skipping. \(error)"
        }
    }
}
