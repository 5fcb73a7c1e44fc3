import Foundation
import GroupCoordinator
import JSONText
import KafkaProtocol
import TransactionCoordinator

/// Compact JSON as Jackson's `ObjectNode.toString()` writes it (no spaces, fields in insertion order, strings
/// escaped, bytes as standard Base64).
indirect enum JSONValue: Equatable {
    case string(String)
    case int(Int64)
    case null
    case bytes([UInt8])
    case array([JSONValue])
    case object([(String, JSONValue)])

    static func == (a: JSONValue, b: JSONValue) -> Bool { a.text == b.text }

    static func nullable(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
    static func nullable(_ b: [UInt8]?) -> JSONValue { b.map { .bytes($0) } ?? .null }

    var text: String {
        switch self {
        case .string(let s): Self.quote(s)
        case .int(let i): String(i)
        case .null: "null"
        case .bytes(let b): Self.quote(Data(b).base64EncodedString())
        case .array(let items): "[" + items.map(\.text).joined(separator: ",") + "]"
        case .object(let fields): "{" + fields.map { Self.quote($0.0) + ":" + $0.1.text }.joined(separator: ",") + "}"
        }
    }

    static func quote(_ s: String) -> String { JSON.quote(s) }
}

/// `kafka-dump-log --offsets-decoder`: `__consumer_offsets` record keys and values as Kafka's OffsetsMessageParser
/// prints them — key `{"type":"<key version>","data":{…}}`, value `{"version":"<value version>","data":{…}}`, a
/// tombstone's value `<DELETE>`; consumer-protocol subscriptions and assignments inside group metadata decoded.
/// The bytes are decoded by GroupCoordinator's record types (the module that writes them); this file only renders.
enum OffsetsDecoder {
    struct Failure: Error {
        var message: String
    }

    /// The key and payload text for one record (payload nil when Kafka prints none).
    static func parse(key: [UInt8]?, value: [UInt8]?, offset: Int64) -> (key: String, payload: String?) {
        guard let key else {
            return (
                "Failed to decode message at offset \(offset) using offset topic decoder (message had a missing key)",
                nil
            )
        }
        do {
            let keyVersion = try OffsetsTopicRecord.schemaVersion(of: key)
            let keyJSON: JSONValue
            switch try OffsetsTopicRecord(key: key, value: nil) {
            case .offset(let k, _):
                keyJSON = .object([
                    ("group", .string(k.group)), ("topic", .string(k.topic)), ("partition", .int(Int64(k.partition))),
                ])
            case .group(let group, _):
                keyJSON = .object([("group", .string(group))])
            case .unknown:
                guard let history = try RebalanceHistoryKey(decoding: key) else {
                    return ("Unknown record type \(keyVersion) at offset \(offset), skipping.", nil)
                }
                return rebalanceHistory(history, value: value)
            }
            let keyText = JSONValue.object([("type", .string(String(keyVersion))), ("data", keyJSON)]).text
            guard let value else { return (keyText, "<DELETE>") }
            let valueVersion = try OffsetsTopicRecord.schemaVersion(of: value)
            let data =
                keyVersion == 2
                ? try groupMetadataValue(value, version: valueVersion)
                : try offsetCommitValue(value, version: valueVersion)
            return (keyText, JSONValue.object([("version", .string(String(valueVersion))), ("data", data)]).text)
        } catch let f as Failure {
            return ("Error at offset \(offset), skipping. \(f.message)", nil)
        } catch {
            return ("Error at offset \(offset), skipping. \(error)", nil)
        }
    }

    /// A rebalance history record (our own key version, which Kafka's decoder reports as an unknown record type).
    static func rebalanceHistory(_ k: RebalanceHistoryKey, value: [UInt8]?) -> (key: String, payload: String?) {
        let keyText = JSONValue.object([
            ("type", .string(String(RebalanceHistoryKey.version))),
            ("data", .object([("group", .string(k.group)), ("generation", .int(Int64(k.generation)))])),
        ]).text
        guard let value else { return (keyText, "<DELETE>") }
        guard let e = try? RebalanceHistoryValue.decode(value) else { return (keyText, "<UNREADABLE>") }
        let causes: [JSONValue] = e.causes.map {
            .object([
                ("trigger", .string($0.trigger.rawValue)), ("memberId", .string($0.memberId)),
                ("clientId", .string($0.clientId)), ("clientHost", .string($0.clientHost)),
                ("reason", .nullable($0.clientReason)),
            ])
        }
        let data = JSONValue.object([
            ("startedAt", .int(e.startedAt)), ("joinCompletedAt", .int(e.joinCompletedAt ?? -1)),
            ("completedAt", .int(e.completedAt)), ("members", .int(Int64(e.members))), ("causes", .array(causes)),
            ("removedOnRebalanceTimeout", .array(e.removedOnRebalanceTimeout.map { .string($0) })),
            ("movedCount", .int(Int64(e.movedCount))),
            ("moved", .array(e.moved.map { .string("\($0.topic)-\($0.partition)") })),
        ])
        return (
            keyText,
            JSONValue.object([("version", .string(String(RebalanceHistoryValue.version))), ("data", data)]).text
        )
    }

    /// An offset commit value's fields, as present in `version`.
    static func offsetCommitValue(_ bytes: [UInt8], version: Int16) throws -> JSONValue {
        guard OffsetCommitValue.supportedVersions.contains(version) else {
            throw Failure(message: "Unknown offset commit value version \(version)")
        }
        let v = try OffsetCommitValue(decoding: bytes)
        var fields: [(String, JSONValue)] = [("offset", .int(v.offset))]
        if version >= 3 { fields.append(("leaderEpoch", .int(Int64(v.leaderEpoch)))) }
        fields.append(("metadata", .string(v.metadata)))
        fields.append(("commitTimestamp", .int(v.commitTimestamp)))
        if version == 1 { fields.append(("expireTimestamp", .int(v.expireTimestamp))) }
        return .object(fields)
    }

    /// A group metadata value's fields, as present in `version`; a consumer group's member metadata decoded.
    static func groupMetadataValue(_ bytes: [UInt8], version: Int16) throws -> JSONValue {
        guard GroupMetadataValue.supportedVersions.contains(version) else {
            throw Failure(message: "Unknown group metadata value version \(version)")
        }
        let g = try GroupMetadataValue(decoding: bytes)
        var fields: [(String, JSONValue)] = [
            ("protocolType", .string(g.protocolType)), ("generation", .int(Int64(g.generation))),
            ("protocol", .nullable(g.protocolName)), ("leader", .nullable(g.leader)),
        ]
        if version >= 2 { fields.append(("currentStateTimestamp", .int(g.currentStateTimestamp))) }
        let members: [JSONValue] = g.members.map { member in
            var m: [(String, JSONValue)] = [("memberId", .string(member.memberId))]
            if version >= 3 { m.append(("groupInstanceId", .nullable(member.groupInstanceId))) }
            m.append(("clientId", .string(member.clientId)))
            m.append(("clientHost", .string(member.clientHost)))
            if version >= 1 { m.append(("rebalanceTimeout", .int(Int64(member.rebalanceTimeoutMs)))) }
            m.append(("sessionTimeout", .int(Int64(member.sessionTimeoutMs))))
            if g.protocolType == "consumer" {
                m.append(("subscription", (try? Self.subscription(member.subscription)) ?? .bytes(member.subscription)))
                m.append(("assignment", (try? Self.assignment(member.assignment)) ?? .bytes(member.assignment)))
            } else {
                m.append(("subscription", .bytes(member.subscription)))
                m.append(("assignment", .bytes(member.assignment)))
            }
            return .object(m)
        }
        fields.append(("members", .array(members)))
        return .object(fields)
    }

    static func subscription(_ bytes: [UInt8]) throws -> JSONValue {
        let (version, s) = try ConsumerProtocolSubscription.decode(bytes)
        var fields: [(String, JSONValue)] = [
            ("topics", .array(s.topics.map { .string($0) })), ("userData", .nullable(s.userData)),
        ]
        if version >= 1 {
            fields.append(
                (
                    "ownedPartitions",
                    .array(
                        s.ownedPartitions.map {
                            .object([
                                ("topic", .string($0.topic)),
                                ("partitions", .array($0.partitions.map { .int(Int64($0)) })),
                            ])
                        })
                ))
        }
        if version >= 2 { fields.append(("generationId", .int(Int64(s.generationId)))) }
        if version >= 3 { fields.append(("rackId", .nullable(s.rackId))) }
        return .object(fields)
    }

    static func assignment(_ bytes: [UInt8]) throws -> JSONValue {
        let (_, a) = try ConsumerProtocolAssignment.decode(bytes)
        return .object([
            (
                "assignedPartitions",
                .array(
                    a.assignedPartitions.map {
                        .object([
                            ("topic", .string($0.topic)), ("partitions", .array($0.partitions.map { .int(Int64($0)) })),
                        ])
                    })
            ),
            ("userData", .nullable(a.userData)),
        ])
    }
}

/// `kafka-dump-log --transaction-log-decoder`: `__transaction_state` keys and values as Kafka's
/// TransactionLogMessageParser prints them — key `{"type":"0","data":{"transactionalId":…}}`, value
/// `{"version":"<v>","data":{…}}` with the message's field names, a tombstone's value `<DELETE>`. The bytes are decoded
/// by TransactionCoordinator's record types.
enum TransactionLogDecoder {
    static func parse(key: [UInt8]?, value: [UInt8]?, offset: Int64) -> (key: String, payload: String?) {
        guard let key else {
            return (
                "Failed to decode message at offset \(offset) using transaction log decoder (message had a missing key)",
                nil
            )
        }
        do {
            guard let id = try TransactionLogKey.decode(key) else {
                let version = key.count >= 2 ? Int16(key[0]) << 8 | Int16(key[1]) : -1
                return ("Unknown record type \(version) at offset \(offset), skipping.", nil)
            }
            let keyText = JSONValue.object([
                ("type", .string("0")), ("data", .object([("transactionalId", .string(id))])),
            ]).text
            guard let value else { return (keyText, "<DELETE>") }
            let v = try TransactionLogValue(decoding: value)
            let version = Int16(value[0]) << 8 | Int16(value[1])
            var byTopic: [(String, [Int32])] = []
            for tp in v.partitions {
                if let i = byTopic.firstIndex(where: { $0.0 == tp.topic }) {
                    byTopic[i].1.append(tp.partition)
                } else {
                    byTopic.append((tp.topic, [tp.partition]))
                }
            }
            let partitions: JSONValue =
                v.state == .empty && v.partitions.isEmpty
                ? .null
                : .array(
                    byTopic.map {
                        .object([("topic", .string($0.0)), ("partitionIds", .array($0.1.map { .int(Int64($0)) }))])
                    })
            let data = JSONValue.object([
                ("producerId", .int(v.producerId)), ("producerEpoch", .int(Int64(v.producerEpoch))),
                ("transactionTimeoutMs", .int(Int64(v.transactionTimeoutMs))),
                ("transactionStatus", .int(Int64(v.state.rawValue))), ("transactionPartitions", partitions),
                ("transactionLastUpdateTimestampMs", .int(v.lastUpdateTimestampMs)),
                ("transactionStartTimestampMs", .int(v.startTimestampMs)),
            ])
            return (keyText, JSONValue.object([("version", .string(String(version))), ("data", data)]).text)
        } catch {
            return ("Error at offset \(offset), skipping. \(error)", nil)
        }
    }
}
