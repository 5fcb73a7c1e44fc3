import KafkaProtocol
import MetadataImage

/// A BrokerRegistration request (KIP-631), reduced to what the decision needs.
public struct BrokerRegistrationInput: Sendable, Equatable {
    public var brokerId: Int32
    public var incarnationId: UUIDValue
    public var listeners: [BrokerEndpoint]
    public var features: [SupportedFeature]
    public var rack: String?
    public var logDirs: [UUIDValue]

    public init(
        brokerId: Int32, incarnationId: UUIDValue, listeners: [BrokerEndpoint] = [], features: [SupportedFeature] = [],
        rack: String? = nil, logDirs: [UUIDValue] = []
    ) {
        self.brokerId = brokerId
        self.incarnationId = incarnationId
        self.listeners = listeners
        self.features = features
        self.rack = rack
        self.logDirs = logDirs
    }
}

public struct BrokerRegistrationReply: Sendable, Equatable {
    public var errorCode: ErrorCode
    public var errorMessage: String?
    /// The new broker epoch (-1 on error).
    public var brokerEpoch: Int64
}

/// A BrokerHeartbeat request (KIP-631).
public struct BrokerHeartbeatInput: Sendable, Equatable {
    public var brokerId: Int32
    public var brokerEpoch: Int64
    /// The highest metadata offset the broker has replayed.
    public var currentMetadataOffset: Int64
    public var wantFence: Bool
    public var wantShutDown: Bool

    public init(
        brokerId: Int32, brokerEpoch: Int64, currentMetadataOffset: Int64, wantFence: Bool = false,
        wantShutDown: Bool = false
    ) {
        self.brokerId = brokerId
        self.brokerEpoch = brokerEpoch
        self.currentMetadataOffset = currentMetadataOffset
        self.wantFence = wantFence
        self.wantShutDown = wantShutDown
    }
}

public struct BrokerHeartbeatReply: Sendable, Equatable {
    public var errorCode: ErrorCode
    public var isCaughtUp: Bool
    public var isFenced: Bool
    public var shouldShutDown: Bool
}

extension QuorumController {
    /// BrokerRegistration (`ClusterControlManager.registerBroker`). The broker epoch is the offset the
    /// RegisterBrokerRecord will have (`logEndOffset`), as in Kafka. A new registration starts fenced; a broker id
    /// still held by a live session of another incarnation is refused.
    public mutating func registerBroker(
        _ request: BrokerRegistrationInput, logEndOffset: Int64, now: Int64
    ) -> ControllerResult<BrokerRegistrationReply> {
        func refuse(_ code: ErrorCode, _ message: String) -> ControllerResult<BrokerRegistrationReply> {
            ControllerResult(
                records: [], response: BrokerRegistrationReply(errorCode: code, errorMessage: message, brokerEpoch: -1))
        }
        if let existing = image.brokers[request.brokerId], let session = sessions[request.brokerId],
            now - session.lastContactMs <= config.brokerSessionTimeoutMs,
            existing.incarnationId != request.incarnationId
        {
            return refuse(.duplicateBrokerRegistration, "Another broker is registered with that broker id.")
        }
        if let level = image.features["metadata.version"] {
            let supported = request.features.first { $0.name == "metadata.version" }
            if supported == nil || !(supported!.minSupportedVersion...supported!.maxSupportedVersion).contains(level) {
                return refuse(
                    .unsupportedVersion,
                    "Unable to register because the broker does not support finalized version \(level) of "
                        + "metadata.version.")
            }
        }
        var records: [MetadataRecord] = []
        if let existing = image.brokers[request.brokerId], !existing.fenced {
            // The old incarnation may still lead partitions; the new registration is fenced until it catches up.
            moveOff(request.brokerId, into: &records)
        }
        let registration = BrokerRegistration(
            id: request.brokerId, epoch: logEndOffset + Int64(records.count), incarnationId: request.incarnationId,
            endpoints: request.listeners, features: request.features, rack: request.rack, fenced: true,
            inControlledShutdown: false, logDirs: request.logDirs)
        emit(.registerBroker(registration.record), into: &records)
        sessions[request.brokerId] = BrokerSession(lastContactMs: now, registrationOffset: registration.epoch)
        return ControllerResult(
            records: records,
            response: BrokerRegistrationReply(errorCode: .noError, errorMessage: nil, brokerEpoch: registration.epoch))
    }

    /// BrokerHeartbeat (`BrokerHeartbeatManager` + `ReplicationControlManager.processBrokerHeartbeat`): renews
    /// the session; unfences a broker that has replayed its own registration; enters controlled shutdown on
    /// request, moving leaders and ISR membership off the broker, and says `shouldShutDown` once it leads nothing.
    public mutating func heartbeat(_ request: BrokerHeartbeatInput, now: Int64) -> ControllerResult<
        BrokerHeartbeatReply
    > {
        guard let broker = registration(request.brokerId, epoch: request.brokerEpoch),
            var session = sessions[request.brokerId]
        else {
            return ControllerResult(
                records: [],
                response: BrokerHeartbeatReply(
                    errorCode: .staleBrokerEpoch, isCaughtUp: false, isFenced: true, shouldShutDown: false))
        }
        session.lastContactMs = now
        sessions[request.brokerId] = session
        let caughtUp = request.currentMetadataOffset >= session.registrationOffset
        var records: [MetadataRecord] = []
        let id = request.brokerId
        if request.wantShutDown {
            if !broker.fenced && !broker.inControlledShutdown {
                emit(
                    .brokerRegistrationChange(
                        BrokerRegistrationChangeRecord(brokerId: id, brokerEpoch: broker.epoch, inControlledShutdown: 1)
                    ),
                    into: &records)
                moveOff(id, into: &records)
            }
        } else if broker.fenced && caughtUp && !request.wantFence {
            emit(
                .brokerRegistrationChange(
                    BrokerRegistrationChangeRecord(brokerId: id, brokerEpoch: broker.epoch, fenced: -1)),
                into: &records)
            electLeaderless(id, into: &records)
        } else if !broker.fenced && request.wantFence {
            fence(id, into: &records)
        }
        let now = image.brokers[id]!
        let leadsNothing = !image.topics.values.contains { $0.partitions.values.contains { $0.leader == id } }
        return ControllerResult(
            records: records,
            response: BrokerHeartbeatReply(
                errorCode: .noError, isCaughtUp: caughtUp, isFenced: now.fenced,
                shouldShutDown: request.wantShutDown && (now.fenced || leadsNothing)))
    }

    /// Fences every unfenced broker whose session expired (`broker.session.timeout.ms` without a heartbeat),
    /// moving its leaderships and ISR memberships to other brokers first, as Kafka's `handleBrokerFenced`.
    public mutating func tick(now: Int64) -> [MetadataRecord] {
        var records: [MetadataRecord] = []
        for (id, session) in sessions.sorted(by: { $0.key < $1.key })
        where now - session.lastContactMs > config.brokerSessionTimeoutMs {
            if let b = image.brokers[id], !b.fenced { fence(id, into: &records) }
        }
        return records
    }

    /// When `tick` next has something to do: the earliest session expiry among unfenced brokers.
    public var nextSessionExpiry: Int64? {
        sessions.filter { image.brokers[$0.key]?.fenced == false }.map {
            $0.value.lastContactMs + config.brokerSessionTimeoutMs + 1
        }.min()
    }

    mutating func fence(_ id: Int32, into records: inout [MetadataRecord]) {
        guard let b = image.brokers[id] else { return }
        moveOff(id, into: &records)
        emit(
            .brokerRegistrationChange(BrokerRegistrationChangeRecord(brokerId: id, brokerEpoch: b.epoch, fenced: 1)),
            into: &records)
    }

    /// UnregisterBroker (KIP-500 decommissioning): leaders moved off, then the registration removed.
    public mutating func unregisterBroker(_ id: Int32) -> ControllerResult<ErrorCode> {
        guard let b = image.brokers[id] else { return ControllerResult(records: [], response: .brokerIdNotRegistered) }
        var records: [MetadataRecord] = []
        moveOff(id, into: &records)
        emit(.unregisterBroker(UnregisterBrokerRecord(brokerId: id, brokerEpoch: b.epoch)), into: &records)
        sessions[id] = nil
        return ControllerResult(records: records, response: .noError)
    }

    /// AllocateProducerIds (KIP-730, `ProducerIdControlManager`): the next block of
    /// `producerIdBlockSize` ids. Blocks never overlap: each starts at the previous block's end, which the
    /// ProducerIdsRecord makes durable before the broker learns the block.
    public mutating func allocateProducerIds(brokerId: Int32, brokerEpoch: Int64) -> ControllerResult<
        ProducerIdBlockReply
    > {
        guard registration(brokerId, epoch: brokerEpoch) != nil else {
            return ControllerResult(
                records: [], response: ProducerIdBlockReply(errorCode: .staleBrokerEpoch, start: -1, length: -1))
        }
        let start = image.nextProducerId
        guard start <= Int64.max - config.producerIdBlockSize else {
            return ControllerResult(
                records: [], response: ProducerIdBlockReply(errorCode: .unknownServerError, start: -1, length: -1))
        }
        var records: [MetadataRecord] = []
        emit(
            .producerIds(
                ProducerIdsRecord(
                    brokerId: brokerId, brokerEpoch: brokerEpoch, nextProducerId: start + config.producerIdBlockSize)),
            into: &records)
        return ControllerResult(
            records: records,
            response: ProducerIdBlockReply(
                errorCode: .noError, start: start, length: Int32(config.producerIdBlockSize)))
    }
}

public struct ProducerIdBlockReply: Sendable, Equatable {
    public var errorCode: ErrorCode
    public var start: Int64
    public var length: Int32
}
