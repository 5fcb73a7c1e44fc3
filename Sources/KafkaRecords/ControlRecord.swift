/// A transaction marker (control record): key `version int16 = 0, type int16`, value
/// `version int16 = 0, coordinatorEpoch int32`.
public struct ControlRecord: Sendable, Equatable {
    public enum MarkerType: Int16, Sendable {
        case abort = 0
        case commit = 1
    }

    public var type: MarkerType
    public var coordinatorEpoch: Int32

    public init(type: MarkerType, coordinatorEpoch: Int32) {
        self.type = type
        self.coordinatorEpoch = coordinatorEpoch
    }

    public var key: [UInt8] {
        var k: [UInt8] = []
        k.appendBE(Int16(0))
        k.appendBE(type.rawValue)
        return k
    }

    public var value: [UInt8] {
        var v: [UInt8] = []
        v.appendBE(Int16(0))
        v.appendBE(coordinatorEpoch)
        return v
    }

    /// Reads a marker from a control record's key and value; throws `invalidRecord` when malformed.
    public init(key: [UInt8]?, value: [UInt8]?) throws {
        guard let key, key.count >= 4, let value, value.count >= 6 else {
            throw RecordValidationError.invalidRecord("malformed control record")
        }
        let (k, v) = (key, value)
        let type = k.withUnsafeBytes { loadBE($0, 2, as: Int16.self) }
        guard let marker = MarkerType(rawValue: type) else {
            throw RecordValidationError.invalidRecord("unknown control record type \(type)")
        }
        self.type = marker
        coordinatorEpoch = v.withUnsafeBytes { loadBE($0, 2, as: Int32.self) }
    }

    /// One uncompressed control batch holding this marker, as the transaction coordinator's WriteTxnMarkers
    /// makes the leader write: control and transactional bits set, one record.
    public func batch(producerId: Int64, producerEpoch: Int16, timestamp: Int64, partitionLeaderEpoch: Int32 = -1)
        throws -> [UInt8]
    {
        var b = RecordBatchBuilder(
            partitionLeaderEpoch: partitionLeaderEpoch, producerId: producerId, producerEpoch: producerEpoch,
            isTransactional: true, isControl: true)
        b.append(timestamp: timestamp, key: key, value: value)
        return try b.build()
    }
}
