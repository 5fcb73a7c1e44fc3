/// One refused check, as the broker remembers it for `acls explain` (Kafka logs the same facts on
/// `kafka.authorizer.logger`).
public struct Denial: Sendable, Equatable {
    public var request: AuthorizationRequest
    /// The API whose check failed (`Fetch`, `JoinGroup`, …).
    public var api: String
    /// Milliseconds since the epoch.
    public var timeMs: Int64

    public init(request: AuthorizationRequest, api: String, timeMs: Int64) {
        self.request = request
        self.api = api
        self.timeMs = timeMs
    }

    /// Kafka's audit line (`AclAuthorizer.logAuditMessage`).
    public var auditLine: String {
        "Principal = \(request.principal) is Denied Operation = \(request.operation.pascalName) from host = "
            + "\(request.host) on resource = \(request.resource.type.pascalName):LITERAL:\(request.resource.name) "
            + "for request = \(api) with resourceRefCount = 1"
    }
}

/// The most recent denials, oldest dropped first. A value; the broker keeps one under a lock.
public struct DenialRing: Sendable, Equatable {
    public let capacity: Int
    public private(set) var entries: [Denial] = []

    public init(capacity: Int = 256) { self.capacity = max(1, capacity) }

    public mutating func record(_ denial: Denial) {
        if entries.count == capacity { entries.removeFirst() }
        entries.append(denial)
    }
}

/// The text of `needletail acls explain`: the decision, the reason, every ACL on the resource with whether it
/// applies, the operations that imply the one asked, the command that would grant it, and recent denials.
public enum AclExplanation {
    public static func text(
        for request: AuthorizationRequest, authorizer: Authorizer, recentDenials: [Denial] = [],
        bootstrapHint: String = "--bootstrap-server <broker>"
    ) -> String {
        let decision = authorizer.authorize(request)
        let r = request.resource
        var lines: [String] = []
        lines.append(
            "\(decision.allowed ? "ALLOWED" : "DENIED"): \(request.principal) from "
                + "\(request.host == AccessControlEntry.wildcardHost ? "any host" : "host \(request.host)") "
                + "\(request.operation.name) on \(r.type.name) '\(r.name)'")
        switch decision.reason {
        case .superUser:
            lines.append("Reason: \(request.principal) is in super.users.")
        case .noAclFound(let allowEveryone):
            lines.append(
                "Reason: no ACL names this resource, and allow.everyone.if.no.acl.found=\(allowEveryone).")
        case .denied(let by):
            lines.append("Reason: a DENY ACL matches, and DENY beats any ALLOW: \(by.pattern) \(by.entry)")
        case .allowed(let by):
            let via = by.entry.operation == request.operation ? "" : " (\(by.entry.operation.name) implies it)"
            lines.append("Reason: an ALLOW ACL matches\(via): \(by.pattern) \(by.entry)")
        case .noMatchingAllow:
            lines.append("Reason: ACLs exist for this resource but none allows this principal, host and operation.")
        }
        let implied = request.operation.impliedBy.filter { $0 != request.operation }
        lines.append(
            "Operations that grant \(request.operation.name): \(([request.operation] + implied).map(\.name).joined(separator: ", "))"
        )
        if decision.resourceAcls.isEmpty {
            lines.append("ACLs on this resource: none")
        } else {
            lines.append("ACLs on this resource (literal name, literal '*', and prefixes):")
            for b in decision.resourceAcls {
                let principalMatches =
                    b.entry.principal == request.principal || b.entry.principal == AccessControlEntry.wildcardPrincipal
                let hostMatches = b.entry.host == request.host || b.entry.host == AccessControlEntry.wildcardHost
                let opMatches =
                    b.entry.permission == .deny
                    ? [request.operation, .all].contains(b.entry.operation)
                    : request.operation.impliedBy.contains(b.entry.operation)
                let applies = principalMatches && hostMatches && opMatches
                lines.append("\t\(applies ? "applies" : "does not apply"): \(b.pattern) \(b.entry)")
            }
        }
        if !decision.allowed {
            let flag = patternFlag(ResourcePattern(r.type, r.name))
            if case .denied(let by) = decision.reason {
                lines.append(
                    "To grant it, first remove the DENY: needletail acls \(bootstrapHint) --remove "
                        + "--deny-principal \(shellQuote(by.entry.principal)) --operation \(by.entry.operation.pascalName) "
                        + "\(by.entry.host == "*" ? "" : "--deny-host \(by.entry.host) ")"
                        + "\(by.pattern.patternType == .prefixed ? "--resource-pattern-type prefixed " : "")"
                        + "\(patternFlag(by.pattern))")
            } else {
                lines.append(
                    "To grant it: needletail acls \(bootstrapHint) --add --allow-principal "
                        + "\(shellQuote(request.principal)) --operation \(request.operation.pascalName) \(flag)")
            }
        }
        let mine = recentDenials.filter { $0.request.principal == request.principal && $0.request.resource == r }
        if !mine.isEmpty {
            lines.append("Recent denials of \(request.principal) on this resource:")
            for d in mine.suffix(10) { lines.append("\t\(d.auditLine)") }
        }
        return lines.joined(separator: "\n")
    }

    static func patternFlag(_ p: ResourcePattern) -> String {
        switch p.type {
        case .topic: "--topic \(shellQuote(p.name))"
        case .group: "--group \(shellQuote(p.name))"
        case .cluster: "--cluster"
        case .transactionalId: "--transactional-id \(shellQuote(p.name))"
        default: "--\(p.type.name.lowercased().replacingUnderscores()) \(shellQuote(p.name))"
        }
    }

    static func shellQuote(_ s: String) -> String {
        s.allSatisfy { $0.isLetter || $0.isNumber || "-_.:".contains($0) } ? s : "'\(s)'"
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String { String(map { $0 == "_" ? "-" : $0 }) }
}
