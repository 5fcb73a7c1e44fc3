import Coordination
import Foundation
import Logging

/// `<first log dir>/zookeeper-session`: the id and password of this broker's current ZooKeeper session.
///
/// A broker killed with `kill -9` leaves its session alive on the server for up to `zookeeper.session.timeout.ms`
/// (18 s by default), and with it `/brokers/ids/<id>`; Kafka's restarted broker waits for that expiry before it can
/// register. Needletail's restarted broker resumes the abandoned session with these credentials and closes it, so
/// the server deletes its ephemeral nodes at once; it then registers with a fresh session. The new registration has
/// a new czxid, i.e. a new broker epoch, so the controller handles the restart as a bounced broker (KIP-380) and
/// never as one that kept its state. The file is written with mode 0600 (the password resumes the session) and
/// removed after a clean shutdown.
struct ZooKeeperSessionFile: Sendable {
    let path: String

    init(logDir: String) {
        path = logDir + "/zookeeper-session"
    }

    func load() -> ZooKeeperSessionCredentials? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return ZooKeeperSessionCredentials(fileContents: String(decoding: data, as: UTF8.self))
    }

    /// Replaces the file atomically (write to a temporary file, then rename).
    func save(_ credentials: ZooKeeperSessionCredentials?, logger: Logger) {
        guard let credentials else { return }
        let temporary = path + ".tmp"
        let created = FileManager.default.createFile(
            atPath: temporary, contents: Data(credentials.fileContents.utf8), attributes: [.posixPermissions: 0o600])
        guard created, rename(temporary, path) == 0 else {
            logger.warning("could not write \(path); a restart after a crash will wait for the old session to expire")
            return
        }
    }

    func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Closes the session a previous process of this broker left behind, if the file names one; logs the outcome.
    func closeAbandonedSession(connectString: String, sessionTimeoutMs: Int, logger: Logger) async {
        guard let previous = load() else { return }
        let id = "0x" + String(UInt64(bitPattern: previous.sessionId), radix: 16)
        let outcome = await ZooKeeperSession.closeAbandoned(
            previous, connectString: connectString, sessionTimeout: .milliseconds(sessionTimeoutMs),
            timeout: .seconds(5))
        switch outcome {
        case .closed:
            logger.info("closed ZooKeeper session \(id) left by this broker's previous process; its znodes are gone")
        case .expired:
            logger.info("ZooKeeper session \(id) of this broker's previous process has already expired")
        case .unknown(let reason):
            logger.warning("could not close ZooKeeper session \(id) of the previous process (\(reason))")
        }
        remove()
    }
}
