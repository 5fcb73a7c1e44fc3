"""KIP-368 re-authentication (`connections.max.reauth.ms`) on a SASL_PLAINTEXT listener.

SaslAuthenticate v1 tells the client its session lifetime; a client that re-authenticates before then (librdkafka
2.2+, which the confluent-kafka wheels bundle) keeps its connection, and a client that does not is disconnected at
its first request after the session expired, as Kafka's `SaslServerAuthenticator` does. A password changed in
ZooKeeper makes the next re-authentication fail. The waits are session lifetimes, not asserted timings.
"""

from __future__ import annotations

import json
import socket
import struct
import subprocess
import time

import pytest

from conftest import HOST, NEEDLETAIL_BIN, create_topic, wait_until

pytestmark = pytest.mark.needletail_only

REAUTH_MS = 3000
PLAIN_JAAS = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" '
              'password="admin-secret" user_admin="admin-secret" user_pat="pat-secret";')


class Reauth:
    def __init__(self, broker, sasl_port: int):
        self.broker = broker
        self.sasl_port = sasl_port

    @property
    def sasl_bootstrap(self) -> str:
        return f"{HOST}:{self.sasl_port}"


def _set_scram(zk_connect: str, user: str, password: str) -> None:
    out = subprocess.run(
        [str(NEEDLETAIL_BIN), "configs", "--zookeeper", zk_connect, "--alter", "--add-config",
         f"SCRAM-SHA-256=[iterations=4096,password={password}]", "--entity-type", "users", "--entity-name", user],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


@pytest.fixture(scope="module")
def reauth(cluster) -> Reauth:
    from conftest import free_port

    sasl_port = free_port()
    b = cluster.broker(1, start=False)
    listeners = f"PLAINTEXT://{HOST}:{b.port},SASL_PLAINTEXT://{HOST}:{sasl_port}"
    b.props.update({
        "listeners": listeners,
        "advertised.listeners": listeners,
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN,SCRAM-SHA-256",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": PLAIN_JAAS,
        "connections.max.reauth.ms": str(REAUTH_MS),
    })
    b.start()
    _set_scram(cluster.zk_connect, "rita", "rita-secret")
    _set_scram(cluster.zk_connect, "sam", "sam-secret")
    create_topic(b.bootstrap, "reauth")
    return Reauth(b, sasl_port)


# Raw frames: SaslHandshake v1 and SaslAuthenticate v1 (whose response ends with session_lifetime_ms).

def _frame(api_key: int, version: int, correlation: int, body: bytes) -> bytes:
    client = b"raw"
    payload = struct.pack(">hhih", api_key, version, correlation, len(client)) + client + body
    return struct.pack(">i", len(payload)) + payload


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _recv_frame(sock: socket.socket) -> bytes:
    return _recv_exact(sock, struct.unpack(">i", _recv_exact(sock, 4))[0])


def _plain_login(sock: socket.socket, user: str, password: str, correlation: int) -> tuple[int, int]:
    """Returns SaslAuthenticate's (error_code, session_lifetime_ms)."""
    sock.sendall(_frame(17, 1, correlation, struct.pack(">h", 5) + b"PLAIN"))
    _recv_frame(sock)
    token = b"\0" + user.encode() + b"\0" + password.encode()
    sock.sendall(_frame(36, 1, correlation + 1, struct.pack(">i", len(token)) + token))
    body = _recv_frame(sock)[4:]
    code, msg_len = struct.unpack(">hh", body[:4])
    rest = body[4 + max(msg_len, 0):]
    auth_len = struct.unpack(">i", rest[:4])[0]
    lifetime = struct.unpack(">q", rest[4 + max(auth_len, 0):][:8])[0]
    return code, lifetime


def _metadata(sock: socket.socket, correlation: int) -> bytes:
    sock.sendall(_frame(3, 1, correlation, struct.pack(">i", -1)))
    return _recv_frame(sock)


def test_saslauthenticate_reports_the_session_lifetime_and_an_expired_session_is_closed(reauth):
    with socket.create_connection((HOST, reauth.sasl_port), timeout=10) as sock:
        code, lifetime = _plain_login(sock, "pat", "pat-secret", 1)
        assert (code, lifetime) == (0, REAUTH_MS)
        assert struct.unpack(">i", _metadata(sock, 3)[:4])[0] == 3
        # A client that does not re-authenticate: its first request after the lifetime closes the connection.
        time.sleep(REAUTH_MS / 1000 + 1)
        with pytest.raises((ConnectionError, OSError)):
            _metadata(sock, 4)


def test_a_raw_client_that_reauthenticates_before_the_deadline_keeps_its_connection(reauth):
    with socket.create_connection((HOST, reauth.sasl_port), timeout=10) as sock:
        assert _plain_login(sock, "pat", "pat-secret", 1) == (0, REAUTH_MS)
        correlation = 10
        for _ in range(3):
            time.sleep(REAUTH_MS / 2000)
            assert _plain_login(sock, "pat", "pat-secret", correlation) == (0, REAUTH_MS)
            time.sleep(REAUTH_MS / 2000)
            assert struct.unpack(">i", _metadata(sock, correlation + 2)[:4])[0] == correlation + 2
            correlation += 3


def _scram_producer(reauth: Reauth, user: str, password: str, stats: list, errors: list):
    from confluent_kafka import Producer

    return Producer({
        "bootstrap.servers": reauth.sasl_bootstrap, "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanisms": "SCRAM-SHA-256", "sasl.username": user, "sasl.password": password,
        "statistics.interval.ms": 500, "stats_cb": lambda s: stats.append(json.loads(s)),
        "error_cb": lambda e: errors.append(e), "linger.ms": 0,
    })


def _produce_for(p, seconds: float, delivered: list, failed: list) -> None:
    def report(err, msg):
        (failed if err else delivered).append(err or msg.offset())

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        p.produce("reauth", b"v", on_delivery=report)
        p.poll(0.2)
    p.flush(30)


def test_confluent_kafka_reauthenticates_on_the_same_connection_and_keeps_producing(reauth):
    import confluent_kafka

    assert confluent_kafka.libversion()[1] >= 0x020200ff, "KIP-368 needs librdkafka 2.2 or later"
    stats: list = []
    errors: list = []
    delivered: list = []
    failed: list = []
    p = _scram_producer(reauth, "rita", "rita-secret", stats, errors)
    # Three session lifetimes of steady produce requests on one connection.
    _produce_for(p, 3 * REAUTH_MS / 1000 + 1, delivered, failed)
    p.poll(1)
    assert not failed, failed[:3]
    assert not errors, errors[:3]
    assert len(delivered) > 10
    learned = [b for b in stats[-1]["brokers"].values() if b.get("nodeid", -1) >= 0]
    assert learned, stats[-1]["brokers"].keys()
    # Had the broker closed the session, librdkafka would have reconnected: one connect, no disconnect.
    assert learned[0]["connects"] == 1
    assert learned[0]["disconnects"] == 0


def test_a_changed_scram_password_makes_the_reauthentication_fail(reauth, cluster):
    stats: list = []
    errors: list = []
    delivered: list = []
    failed: list = []
    p = _scram_producer(reauth, "sam", "sam-secret", stats, errors)
    _produce_for(p, 1, delivered, failed)
    assert delivered and not failed and not errors
    _set_scram(cluster.zk_connect, "sam", "sam-changed")

    def auth_error() -> bool:
        p.poll(0.2)
        return any("auth" in str(e).lower() for e in errors)

    # The next re-authentication (within one lifetime) uses the old password and is refused.
    wait_until(auth_error, 4 * REAUTH_MS / 1000, "an authentication error after the password change")


# --------------------------------------------------------------------------------------------------------------
# The brokers' own connections (replica fetcher, controller requests) re-authenticate as Kafka's clients do.

def _established_from(port: int) -> set[tuple[str, str]]:
    """The (local, peer) address pairs of established TCP connections to `port` on this host."""
    out = subprocess.run(["ss", "-Htn", "state", "established", f"( dport = :{port} )"],
                         capture_output=True, text=True, timeout=10, check=True)
    pairs = set()
    for line in out.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 4:
            pairs.add((fields[-2], fields[-1]))
    return pairs


def test_inter_broker_sasl_connections_reauthenticate_in_place_and_replication_keeps_going(cluster, tmp_path_factory):
    from confluent_kafka import Producer
    from confluent_kafka.admin import AdminClient, NewTopic
    from conftest import free_port

    zk = f"{cluster.zk_hosts}{cluster.chroot}-ib"
    _set_scram(zk, "broker", "broker-secret")
    root = tmp_path_factory.mktemp("interbroker")
    brokers, sasl_ports = [], []
    for broker_id in (21, 22):
        b = cluster.broker(broker_id, start=False)
        sasl_port = free_port()
        listeners = f"PLAINTEXT://{HOST}:{b.port},SASL_PLAINTEXT://{HOST}:{sasl_port}"
        b.props.update({
            "zookeeper.connect": zk, "log.dirs": str(root / f"b{broker_id}"),
            "listeners": listeners, "advertised.listeners": listeners,
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
            "inter.broker.listener.name": "SASL_PLAINTEXT",
            "sasl.enabled.mechanisms": "SCRAM-SHA-256", "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-256",
            "listener.name.sasl_plaintext.scram-sha-256.sasl.jaas.config":
                'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" '
                'password="broker-secret";',
            "connections.max.reauth.ms": str(REAUTH_MS),
            "offsets.topic.replication.factor": "2", "default.replication.factor": "2",
        })
        brokers.append(b)
        sasl_ports.append(sasl_port)
    for b in brokers:
        b.start()
    bootstrap = ",".join(b.bootstrap for b in brokers)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("ib-reauth", 2, 2, config={"min.insync.replicas": "2"})])["ib-reauth"].result(60)
    failed: list = []
    delivered: list = []

    def report(err, msg):
        (failed if err else delivered).append(err or msg.offset())

    p = Producer({"bootstrap.servers": bootstrap, "acks": "all", "message.timeout.ms": 30000, "linger.ms": 0})
    # acks=all with min.insync.replicas=2 succeeds only while both followers fetch over SASL_PLAINTEXT.
    for i in range(10):
        p.produce("ib-reauth", value=b"m%d" % i, partition=i % 2, on_delivery=report)
    assert p.flush(60) == 0 and not failed, failed[:3]
    before = set().union(*(_established_from(port) for port in sasl_ports))
    assert before, "no inter-broker connection to the SASL listeners"
    # Three session lifetimes of steady replication.
    deadline = time.monotonic() + 3 * REAUTH_MS / 1000 + 1
    i = 0
    while time.monotonic() < deadline:
        p.produce("ib-reauth", value=b"r%d" % i, partition=i % 2, on_delivery=report)
        p.poll(0.1)
        i += 1
    assert p.flush(60) == 0 and not failed, failed[:3]
    after = set().union(*(_established_from(port) for port in sasl_ports))
    # Each connection open before is still open: none was closed for an expired session and reopened.
    assert before <= after, (before - after, after)
    for b in brokers:
        log = b.stdout_path.read_text(errors="replace")
        assert "session expired" not in log, b.log_tail()
    for b in brokers:
        b.stop()
