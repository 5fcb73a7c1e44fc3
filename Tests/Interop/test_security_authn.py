"""Authentication with real clients on one broker that has every kind of listener.

PLAINTEXT (inter-broker and setup), SSL (PKCS12 key store), MTLS (SSL with ssl.client.auth=required, a PEM key
store file, a PEM trust store and ssl.principal.mapping.rules), SASL_SSL (inline PEM key and chain, PLAIN users from
listener.name.sasl_ssl.plain.sasl.jaas.config) and SASL_PLAINTEXT (PLAIN users from the JAAS file named by
-Djava.security.auth.login.config in KAFKA_OPTS, as Confluent's images take it). SCRAM users live in ZooKeeper:
one created with `needletail configs --zookeeper`, one with `--bootstrap-server` (AlterUserScramCredentials), one
written by hand in Kafka's format. Certificates are made at test time with openssl.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import socket
import ssl
import struct
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

import kafka_wire as w
from conftest import HOST, NEEDLETAIL_BIN, create_topic, free_port, run_kcat

pytestmark = pytest.mark.needletail_only

PASSWORDS = {"alice": "alice-secret", "admin": "admin-secret"}
MECHANISMS = ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]
# (listener, mechanism or None for TLS alone)
ROUTES = [("SSL", None)] + [(l, m) for l in ("SASL_SSL", "SASL_PLAINTEXT") for m in MECHANISMS]
# The mapping rule takes CN for DNs with an OU; other DNs have no principal and are refused (no DEFAULT).
MAPPING_RULES = "RULE:^CN=(.*?),OU=.*$/$1/L"


def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def _make_certs(d: Path) -> None:
    _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
             "-subj", "/CN=needletail-test-ca", cwd=d)
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    for name, subject, ext in [
        ("broker", "/CN=localhost", ["-extfile", "san.ext"]),
        ("client", "/C=US/ST=Unknown/L=Unknown/O=Unknown/OU=Unknown/CN=WriteUser", []),
        ("stranger", "/O=Elsewhere/CN=stranger", []),
    ]:
        _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
                 "-subj", subject, cwd=d)
        _openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                 "-out", f"{name}.pem", "-days", "2", *ext, cwd=d)
    _openssl("pkcs12", "-export", "-in", "broker.pem", "-inkey", "broker.key", "-certfile", "ca.pem",
             "-out", "broker.p12", "-passout", "pass:store-secret", cwd=d)
    (d / "broker-keystore.pem").write_text((d / "broker.key").read_text() + (d / "broker.pem").read_text())


def _inline(pem: str) -> str:
    """A PEM value written over several lines with backslash continuations, as Kafka's docs show it."""
    return "\\\n    ".join(line for line in pem.strip().splitlines())


class Secured:
    def __init__(self, broker, certs: Path, ports: dict[str, int]):
        self.broker = broker
        self.certs = certs
        self.ports = ports

    def bootstrap(self, listener: str) -> str:
        return f"{HOST}:{self.ports[listener]}"


@pytest.fixture(scope="module")
def secured(cluster, tmp_path_factory) -> Secured:
    certs = tmp_path_factory.mktemp("certs")
    _make_certs(certs)
    ports = {name: free_port() for name in ("SSL", "MTLS", "SASL_SSL", "SASL_PLAINTEXT")}
    jaas = certs / "kafka_server_jaas.conf"
    jaas.write_text(
        "KafkaServer {\n"
        "  org.apache.kafka.common.security.plain.PlainLoginModule required\n"
        '  username="admin" password="admin-secret"\n'
        '  user_admin="admin-secret"\n'
        '  user_alice="alice-secret";\n'
        "};\n")
    b = cluster.broker(1, start=False)
    listeners = [f"PLAINTEXT://{HOST}:{b.port}"] + [f"{n}://{HOST}:{p}" for n, p in ports.items()]
    b.props.update({
        "listeners": ",".join(listeners),
        "advertised.listeners": ",".join(listeners),
        "listener.security.protocol.map":
            "PLAINTEXT:PLAINTEXT,SSL:SSL,MTLS:SSL,SASL_SSL:SASL_SSL,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "inter.broker.listener.name": "PLAINTEXT",
        "ssl.keystore.type": "PKCS12",
        "ssl.keystore.location": str(certs / "broker.p12"),
        "ssl.keystore.password": "store-secret",
        "listener.name.mtls.ssl.keystore.type": "PEM",
        "listener.name.mtls.ssl.keystore.location": str(certs / "broker-keystore.pem"),
        "listener.name.mtls.ssl.client.auth": "required",
        "listener.name.mtls.ssl.truststore.type": "PEM",
        "listener.name.mtls.ssl.truststore.location": str(certs / "ca.pem"),
        "ssl.principal.mapping.rules": MAPPING_RULES,
        "listener.name.sasl_ssl.ssl.keystore.type": "PEM",
        "listener.name.sasl_ssl.ssl.keystore.certificate.chain": _inline((certs / "broker.pem").read_text()),
        "listener.name.sasl_ssl.ssl.keystore.key": _inline((certs / "broker.key").read_text()),
        "sasl.enabled.mechanisms": ",".join(MECHANISMS),
        "listener.name.sasl_ssl.plain.sasl.jaas.config":
            'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" '
            'password="admin-secret" user_admin="admin-secret" user_alice="alice-secret";',
    })
    b.extra_env["KAFKA_OPTS"] = f"-Djava.security.auth.login.config={jaas}"
    b.start()
    # SCRAM users: alice with both mechanisms through --zookeeper, as before any broker runs.
    out = subprocess.run(
        [str(NEEDLETAIL_BIN), "configs", "--zookeeper", cluster.zk_connect, "--alter", "--add-config",
         "SCRAM-SHA-256=[iterations=8192,password=alice-secret],SCRAM-SHA-512=[password=alice-secret]",
         "--entity-type", "users", "--entity-name", "alice"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Completed updating config for entity: user-principal 'alice'." in out.stdout
    s = Secured(b, certs, ports)
    _wait_until_scram_works(s, "alice", "alice-secret", "SCRAM-SHA-512")
    return s


def _wait_until_scram_works(s: Secured, user: str, password: str, mechanism: str, timeout: float = 30) -> None:
    """Credentials reach the broker through a ZooKeeper change notification; wait until a login succeeds."""
    deadline = time.monotonic() + timeout
    while True:
        if _login(s.ports["SASL_PLAINTEXT"], mechanism, user, password) == 0:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{user} cannot log in with {mechanism} after {timeout}s")
        time.sleep(0.2)


# --------------------------------------------------------------------------------------------------------------
# Client settings per library.

def _confluent_conf(s: Secured, listener: str, mechanism: str | None, user: str = "alice",
                    password: str | None = None) -> dict:
    conf = {"bootstrap.servers": s.bootstrap(listener), "security.protocol": listener}
    if listener in ("SSL", "SASL_SSL", "MTLS"):
        conf["ssl.ca.location"] = str(s.certs / "ca.pem")
    if mechanism:
        conf.update({"sasl.mechanisms": mechanism, "sasl.username": user,
                     "sasl.password": password if password is not None else PASSWORDS[user]})
    return conf


def _confluent_round_trip(conf: dict, topic: str, n: int = 20) -> list[bytes]:
    from confluent_kafka import Consumer, Producer

    p = Producer({**conf, "message.timeout.ms": 20000})
    for i in range(n):
        p.produce(topic, value=b"m%d" % i)
    assert p.flush(30) == 0
    c = Consumer({**conf, "group.id": f"g-{uuid.uuid4().hex[:6]}", "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    got: list[bytes] = []
    deadline = time.monotonic() + 60
    while len(got) < n and time.monotonic() < deadline:
        m = c.poll(1.0)
        if m is not None and m.error() is None:
            got.append(m.value())
    c.close()
    return got


def _kafka_python_kwargs(s: Secured, listener: str, mechanism: str | None, user: str = "alice",
                         password: str | None = None) -> dict:
    kw = {"bootstrap_servers": s.bootstrap(listener), "security_protocol": listener}
    if listener in ("SSL", "SASL_SSL"):
        kw.update({"ssl_cafile": str(s.certs / "ca.pem"), "ssl_check_hostname": True})
    if mechanism:
        kw.update({"sasl_mechanism": mechanism, "sasl_plain_username": user,
                   "sasl_plain_password": password if password is not None else PASSWORDS[user]})
    return kw


def _aiokafka_kwargs(s: Secured, listener: str, mechanism: str | None, user: str = "alice",
                     password: str | None = None) -> dict:
    from aiokafka.helpers import create_ssl_context

    kw = {"bootstrap_servers": s.bootstrap(listener), "security_protocol": listener}
    if listener in ("SSL", "SASL_SSL"):
        kw["ssl_context"] = create_ssl_context(cafile=str(s.certs / "ca.pem"))
    if mechanism:
        kw.update({"sasl_mechanism": mechanism, "sasl_plain_username": user,
                   "sasl_plain_password": password if password is not None else PASSWORDS[user]})
    return kw


def _kcat_args(s: Secured, listener: str, mechanism: str | None, user: str = "alice",
               password: str | None = None) -> list[str]:
    args = ["-b", s.bootstrap(listener), "-X", f"security.protocol={listener}"]
    if listener in ("SSL", "SASL_SSL"):
        args += ["-X", f"ssl.ca.location={s.certs / 'ca.pem'}"]
    if mechanism:
        args += ["-X", f"sasl.mechanisms={mechanism}", "-X", f"sasl.username={user}",
                 "-X", f"sasl.password={password if password is not None else PASSWORDS[user]}"]
    return args


def _route_id(route) -> str:
    return f"{route[0]}-{route[1] or 'TLS'}"


@pytest.fixture
def topic(secured, topic_name) -> str:
    create_topic(secured.broker.bootstrap, topic_name)
    return topic_name


# --------------------------------------------------------------------------------------------------------------
# Round trips.

@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_confluent_kafka_produces_and_consumes_over_the_secured_listener(secured, topic, route):
    got = _confluent_round_trip(_confluent_conf(secured, *route), topic)
    assert got == [b"m%d" % i for i in range(20)]


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_kafka_python_produces_and_consumes_over_the_secured_listener(secured, topic, route):
    from kafka import KafkaConsumer, KafkaProducer

    kw = _kafka_python_kwargs(secured, *route)
    p = KafkaProducer(**kw)
    for i in range(10):
        p.send(topic, b"kp%d" % i)
    p.flush(30)
    p.close()
    c = KafkaConsumer(topic, auto_offset_reset="earliest", consumer_timeout_ms=15000, **kw)
    got = []
    for m in c:
        got.append(m.value)
        if len(got) == 10:
            break
    c.close()
    assert got == [b"kp%d" % i for i in range(10)]


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_aiokafka_produces_and_consumes_over_the_secured_listener(secured, topic, route):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    async def run() -> list[bytes]:
        p = AIOKafkaProducer(**_aiokafka_kwargs(secured, *route))
        await p.start()
        try:
            for i in range(10):
                await p.send_and_wait(topic, b"ai%d" % i)
        finally:
            await p.stop()
        c = AIOKafkaConsumer(topic, auto_offset_reset="earliest", **_aiokafka_kwargs(secured, *route))
        await c.start()
        got: list[bytes] = []
        try:
            deadline = time.monotonic() + 30
            while len(got) < 10 and time.monotonic() < deadline:
                batch = await c.getmany(timeout_ms=1000)
                for records in batch.values():
                    got += [r.value for r in records]
        finally:
            await c.stop()
        return got

    assert asyncio.run(run()) == [b"ai%d" % i for i in range(10)]


@pytest.mark.kcat
@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_kcat_produces_and_consumes_over_the_secured_listener(secured, topic, route):
    args = _kcat_args(secured, *route)
    out = run_kcat([*args, "-P", "-t", topic], input_bytes=b"".join(b"kc%d\n" % i for i in range(10)))
    assert out.returncode == 0, out.stderr.decode()
    out = run_kcat([*args, "-C", "-t", topic, "-o", "beginning", "-c", "10", "-e"])
    assert out.returncode == 0, out.stderr.decode()
    assert out.stdout.decode().split() == [f"kc{i}" for i in range(10)]


# --------------------------------------------------------------------------------------------------------------
# Failures.

@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-512"])
@pytest.mark.parametrize("client", ["confluent-kafka", "kafka-python", "aiokafka", "kcat"])
def test_a_wrong_password_fails_for_every_client(secured, client, mechanism):
    listener = "SASL_SSL"
    if client == "confluent-kafka":
        from confluent_kafka.admin import AdminClient
        from confluent_kafka import KafkaException

        admin = AdminClient(_confluent_conf(secured, listener, mechanism, password="wrong"))
        with pytest.raises(KafkaException):
            admin.list_topics(timeout=3)
    elif client == "kafka-python":
        from kafka import KafkaAdminClient
        from kafka.errors import KafkaError

        with pytest.raises(KafkaError):
            KafkaAdminClient(**_kafka_python_kwargs(secured, listener, mechanism, password="wrong"),
                             request_timeout_ms=3000, api_version_auto_timeout_ms=3000).close()
    elif client == "aiokafka":
        from aiokafka import AIOKafkaProducer
        from aiokafka.errors import KafkaError

        async def attempt() -> None:
            p = AIOKafkaProducer(**_aiokafka_kwargs(secured, listener, mechanism, password="wrong"),
                                 request_timeout_ms=10000)
            try:
                await p.start()
            finally:
                await p.stop()

        with pytest.raises(KafkaError):
            asyncio.run(attempt())
    else:
        out = run_kcat([*_kcat_args(secured, listener, mechanism, password="wrong"), "-L", "-m", "3"], timeout=60)
        assert out.returncode != 0
        assert b"Authentication failed" in out.stderr or b"authentication" in out.stderr.lower()


def test_mtls_refuses_a_client_without_a_certificate_and_maps_the_certificate_dn(secured, topic):
    from confluent_kafka.admin import AdminClient
    from confluent_kafka import KafkaException

    base = {"bootstrap.servers": secured.bootstrap("MTLS"), "security.protocol": "SSL",
            "ssl.ca.location": str(secured.certs / "ca.pem")}
    with pytest.raises(KafkaException):
        AdminClient(base).list_topics(timeout=3)
    # A certificate whose DN matches no mapping rule gives no principal: refused too.
    stranger = {**base, "ssl.certificate.location": str(secured.certs / "stranger.pem"),
                "ssl.key.location": str(secured.certs / "stranger.key")}
    with pytest.raises(KafkaException):
        AdminClient(stranger).list_topics(timeout=3)
    client = {**base, "ssl.certificate.location": str(secured.certs / "client.pem"),
              "ssl.key.location": str(secured.certs / "client.key")}
    assert _confluent_round_trip(client, topic, 5) == [b"m%d" % i for i in range(5)]
    assert "principal User:writeuser" in secured.broker.log_tail(200000)


def _kafka_scram_credential(mechanism: str, password: str, salt: bytes, iterations: int) -> str:
    """Kafka's `/config/users` string, computed independently of the broker (RFC 5802 with hashlib)."""
    algo = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}[mechanism]
    salted = hashlib.pbkdf2_hmac(algo, password.encode(), salt, iterations)
    client_key = hmac.new(salted, b"Client Key", algo).digest()
    stored_key = hashlib.new(algo, client_key).digest()
    server_key = hmac.new(salted, b"Server Key", algo).digest()
    b64 = lambda b: base64.b64encode(b).decode()
    return f"salt={b64(salt)},stored_key={b64(stored_key)},server_key={b64(server_key)},iterations={iterations}"


def test_a_scram_znode_written_by_hand_in_kafkas_format_authenticates(secured, cluster, topic):
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=cluster.zk_connect)
    zk.start(timeout=30)
    try:
        config = {"SCRAM-SHA-512": _kafka_scram_credential("SCRAM-SHA-512", "carol-secret", b"salty-salt", 4096),
                  "producer_byte_rate": "1048576"}
        zk.ensure_path("/config/users")
        zk.create("/config/users/carol", json.dumps({"version": 1, "config": config}).encode())
        zk.create("/config/changes/config_change_", json.dumps({"version": 2, "entity_path": "users/carol"}).encode(),
                  sequence=True, makepath=True)
    finally:
        zk.stop()
    _wait_until_scram_works(secured, "carol", "carol-secret", "SCRAM-SHA-512")
    conf = _confluent_conf(secured, "SASL_SSL", "SCRAM-SHA-512", user="alice")
    conf.update({"sasl.username": "carol", "sasl.password": "carol-secret"})
    assert _confluent_round_trip(conf, topic, 5) == [b"m%d" % i for i in range(5)]


# --------------------------------------------------------------------------------------------------------------
# Raw frames before authentication.

def _frame(api_key: int, version: int, correlation: int, body: bytes, flexible: bool = False) -> bytes:
    client = b"raw"
    header = struct.pack(">hhih", api_key, version, correlation, len(client)) + client
    if flexible:
        header += b"\x00"
    payload = header + body
    return struct.pack(">i", len(payload)) + payload


def _recv_frame(sock: socket.socket) -> bytes:
    size = struct.unpack(">i", _recv_exact(sock, 4))[0]
    return _recv_exact(sock, size)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError("closed")
        data += chunk
    return data


def _kstring(s: str) -> bytes:
    return struct.pack(">h", len(s)) + s.encode()


def _raw_plain_login(port: int, user: str, password: str) -> int:
    """Handshake v1 + SaslAuthenticate v1 with PLAIN over a plain socket; returns SaslAuthenticate's error code."""
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(_frame(17, 1, 1, _kstring("PLAIN")))
        _recv_frame(sock)
        token = b"\0" + user.encode() + b"\0" + password.encode()
        sock.sendall(_frame(36, 1, 2, struct.pack(">i", len(token)) + token))
        body = _recv_frame(sock)[4:]
        return struct.unpack(">h", body[:2])[0]


def _raw_scram_login(port: int, mechanism: str, user: str, password: str) -> int:
    algo = {"SCRAM-SHA-256": "sha256", "SCRAM-SHA-512": "sha512"}[mechanism]
    nonce = base64.b64encode(os.urandom(18)).decode().replace("=", "")
    first_bare = f"n={user},r={nonce}"
    with socket.create_connection((HOST, port), timeout=10) as sock:
        sock.sendall(_frame(17, 1, 1, _kstring(mechanism)))
        _recv_frame(sock)

        def authenticate(token: bytes, correlation: int) -> tuple[int, bytes]:
            sock.sendall(_frame(36, 1, correlation, struct.pack(">i", len(token)) + token))
            body = _recv_frame(sock)[4:]
            code = struct.unpack(">h", body[:2])[0]
            msg_len = struct.unpack(">h", body[2:4])[0]
            rest = body[4 + max(msg_len, 0):]
            size = struct.unpack(">i", rest[:4])[0]
            return code, rest[4:4 + size]

        code, server_first = authenticate(("n,," + first_bare).encode(), 2)
        if code != 0:
            return code
        fields = dict(item.split("=", 1) for item in server_first.decode().split(","))
        salted = hashlib.pbkdf2_hmac(algo, password.encode(), base64.b64decode(fields["s"]), int(fields["i"]))
        without_proof = f"c=biws,r={fields['r']}"
        auth_message = f"{first_bare},{server_first.decode()},{without_proof}".encode()
        client_key = hmac.new(salted, b"Client Key", algo).digest()
        signature = hmac.new(hashlib.new(algo, client_key).digest(), auth_message, algo).digest()
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        code, _ = authenticate(f"{without_proof},p={base64.b64encode(proof).decode()}".encode(), 3)
        return code


def _login(port: int, mechanism: str, user: str, password: str) -> int:
    if mechanism == "PLAIN":
        return _raw_plain_login(port, user, password)
    return _raw_scram_login(port, mechanism, user, password)


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_a_10_mb_frame_before_authentication_closes_the_connection_without_a_memory_spike(secured):
    pid = secured.broker.proc.pid
    before = _rss_kib(pid)
    for _ in range(5):
        with socket.create_connection((HOST, secured.ports["SASL_PLAINTEXT"]), timeout=10) as sock:
            sock.sendall(struct.pack(">i", 10 * 1024 * 1024) + b"\x00\x11\x00\x01" + b"x" * 65536)
            closed = False
            try:
                sock.sendall(b"y" * (1024 * 1024))
                closed = sock.recv(1) == b""
            except (ConnectionResetError, BrokenPipeError):
                closed = True
            assert closed
    grown = _rss_kib(pid) - before
    assert grown < 8 * 1024, f"broker RSS grew by {grown} KiB"
    assert "Failing SASL authentication due to invalid receive size" in secured.broker.log_tail(200000)


def test_requests_other_than_api_versions_and_handshake_close_an_unauthenticated_connection(secured):
    with socket.create_connection((HOST, secured.ports["SASL_PLAINTEXT"]), timeout=10) as sock:
        sock.sendall(w.api_versions_v0(1))
        assert len(_recv_frame(sock)) > 8
        sock.sendall(w.metadata_v1(2))
        with pytest.raises((ConnectionError, ConnectionResetError)):
            _recv_frame(sock)


def test_handshake_v0_then_raw_plain_token_authenticates_as_old_clients_do(secured):
    with socket.create_connection((HOST, secured.ports["SASL_PLAINTEXT"]), timeout=10) as sock:
        sock.sendall(_frame(17, 0, 1, _kstring("PLAIN")))
        body = _recv_frame(sock)[4:]
        assert struct.unpack(">h", body[:2])[0] == 0
        token = b"\0alice\0alice-secret"
        sock.sendall(struct.pack(">i", len(token)) + token)
        assert _recv_frame(sock) == b""  # PLAIN's empty final token, framed raw
        sock.sendall(w.metadata_v1(3))
        assert struct.unpack(">i", _recv_frame(sock)[:4])[0] == 3


def test_1000_failed_logins_leave_other_clients_unaffected(secured, topic):
    failures = []

    def attack(count: int) -> None:
        for _ in range(count):
            code = _raw_plain_login(secured.ports["SASL_PLAINTEXT"], "alice", "guess")
            failures.append(code)

    threads = [threading.Thread(target=attack, args=(125,)) for _ in range(8)]
    for t in threads:
        t.start()
    got = _confluent_round_trip(_confluent_conf(secured, "SASL_PLAINTEXT", "SCRAM-SHA-256"), topic, 20)
    for t in threads:
        t.join()
    assert failures.count(58) == 1000  # SASL_AUTHENTICATION_FAILED every time
    assert got == [b"m%d" % i for i in range(20)]
    assert _raw_plain_login(secured.ports["SASL_PLAINTEXT"], "alice", "alice-secret") == 0


def test_random_frames_over_tls_before_authentication_leave_the_broker_serving(secured, topic):
    from test_fuzz import _mutate, _valid_requests

    rng = random.Random(1368)
    context = ssl.create_default_context(cafile=str(secured.certs / "ca.pem"))
    valid = _valid_requests(topic) + [_frame(17, 1, 9, _kstring("PLAIN")), _frame(17, 0, 9, _kstring("SCRAM-SHA-256"))]
    sent = 0
    for _ in range(200):
        try:
            with socket.create_connection((HOST, secured.ports["SASL_SSL"]), timeout=5) as raw:
                with context.wrap_socket(raw, server_hostname="localhost") as sock:
                    for _ in range(rng.randint(1, 25)):
                        frame = rng.choice(valid)
                        sock.sendall(_mutate(rng, frame) if rng.random() < 0.8 else frame)
                        sent += 1
        except (OSError, ssl.SSLError):
            pass
    assert sent > 200
    assert secured.broker.running()
    got = _confluent_round_trip(_confluent_conf(secured, "SASL_SSL", "SCRAM-SHA-256"), topic, 5)
    assert got == [b"m%d" % i for i in range(5)]


def _broken_sasl_exchange(rng: random.Random) -> list[bytes]:
    """One connection's worth of a SASL exchange gone wrong: what a confused or hostile client sends before it has
    authenticated (lying length fields, truncated and oversized tokens, garbage where a SCRAM message belongs)."""
    mechanism = rng.choice(["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512", "GSSAPI", "", "x" * 300])
    handshake_version = rng.choice([0, 1])
    frames = [_frame(17, handshake_version, 1, _kstring(mechanism))]
    if handshake_version == 0:
        # Raw token framing (no Kafka header): a size that lies, an empty token, or garbage.
        frames.append(rng.choice([
            struct.pack(">i", rng.choice([0x7FFFFFFF, 0x40000000, 600_000, -1])) + rng.randbytes(rng.randint(0, 64)),
            struct.pack(">i", 0),
            rng.randbytes(rng.randint(1, 200)),
        ]))
        return frames
    token = rng.choice([
        b"n,,n=alice,r=" + rng.randbytes(rng.randint(0, 64)),  # SCRAM client-first with a binary nonce
        b"n,,n=,r=",
        b"p=,c=,r=" * rng.randint(1, 50),  # a client-final before any client-first
        b"\0alice\0" + rng.randbytes(rng.randint(0, 32)),  # PLAIN with a garbage password
        b"\0\0\0",
        rng.randbytes(rng.randint(0, 2048)),
    ])
    declared = rng.choice([len(token), len(token), 0x7FFFFFF0, -5, len(token) + 1000])
    body = struct.pack(">i", declared) + token
    if rng.random() < 0.3:
        body = body[:rng.randrange(len(body) + 1)]  # truncated, with an honest frame size
    frames.append(_frame(36, rng.choice([0, 1, 2]), 2, body, flexible=False))
    if rng.random() < 0.3:
        frames.append(struct.pack(">i", rng.choice([0x7FFFFFFF, 10 * 1024 * 1024])) + b"\x00\x24\x00\x01")
    return frames


def test_broken_sasl_exchanges_over_sasl_ssl_keep_memory_flat_and_the_broker_serving(secured, topic):
    rng = random.Random(368)
    context = ssl.create_default_context(cafile=str(secured.certs / "ca.pem"))
    pid = secured.broker.proc.pid
    before = _rss_kib(pid)
    connections = 0
    for _ in range(300):
        try:
            with socket.create_connection((HOST, secured.ports["SASL_SSL"]), timeout=5) as raw:
                if rng.random() < 0.1:  # not TLS at all on a TLS port
                    raw.sendall(rng.randbytes(rng.randint(1, 4096)))
                    raw.recv(1)
                    continue
                with context.wrap_socket(raw, server_hostname="localhost") as sock:
                    connections += 1
                    for frame in _broken_sasl_exchange(rng):
                        sock.sendall(frame)
                    sock.recv(65536)
        except (OSError, ssl.SSLError):
            pass
    grown = _rss_kib(pid) - before
    print(f"broken SASL_SSL exchanges: {connections} TLS connections, broker RSS grew {grown} KiB")
    assert connections > 200
    assert secured.broker.running()
    # Nothing was allocated on an unauthenticated peer's say-so: the lying sizes (up to 2 GiB) never became buffers.
    assert grown < 16 * 1024, f"broker RSS grew by {grown} KiB over {connections} broken SASL_SSL exchanges"
    got = _confluent_round_trip(_confluent_conf(secured, "SASL_SSL", "SCRAM-SHA-512"), topic, 5)
    assert got == [b"m%d" % i for i in range(5)]
    assert _login(secured.ports["SASL_PLAINTEXT"], "SCRAM-SHA-256", "alice", "alice-secret") == 0


# --------------------------------------------------------------------------------------------------------------
# Our own CLI over secured listeners.

def _cli(*args: str, input_text: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEEDLETAIL_BIN), *args], input=input_text, capture_output=True, text=True,
                          timeout=120)


def test_configs_creates_a_scram_user_through_the_broker_and_the_cli_tools_log_in_as_it(secured, topic, tmp_path):
    admin = tmp_path / "admin.properties"
    admin.write_text(
        "security.protocol=SASL_SSL\n"
        "sasl.mechanism=SCRAM-SHA-512\n"
        'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required '
        'username="alice" password="alice-secret";\n'
        f"ssl.truststore.type=PEM\nssl.truststore.location={secured.certs / 'ca.pem'}\n")
    bootstrap = secured.bootstrap("SASL_SSL")
    out = _cli("configs", "--bootstrap-server", bootstrap, "--command-config", str(admin), "--alter",
               "--add-config", "SCRAM-SHA-256=[iterations=8192,password=dave-secret]",
               "--entity-type", "users", "--entity-name", "dave")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "Completed updating config for user dave."
    out = _cli("configs", "--bootstrap-server", bootstrap, "--command-config", str(admin), "--describe",
               "--entity-type", "users", "--entity-name", "dave")
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "SCRAM credential configs for user-principal 'dave' are SCRAM-SHA-256=iterations=8192"
    _wait_until_scram_works(secured, "dave", "dave-secret", "SCRAM-SHA-256")

    dave = tmp_path / "dave.properties"
    dave.write_text(
        "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=SCRAM-SHA-256\n"
        'sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required '
        'username="dave" password="dave-secret";\n')
    plain = secured.bootstrap("SASL_PLAINTEXT")
    out = _cli("console-producer", "--bootstrap-server", plain, "--topic", topic, "--producer.config", str(dave),
               input_text="one\ntwo\nthree\n")
    assert out.returncode == 0, out.stderr
    out = _cli("console-consumer", "--bootstrap-server", bootstrap, "--topic", topic, "--from-beginning",
               "--max-messages", "3", "--consumer.config", str(admin))
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["one", "two", "three"]

    out = _cli("configs", "--bootstrap-server", bootstrap, "--command-config", str(admin), "--alter",
               "--delete-config", "SCRAM-SHA-256", "--entity-type", "users", "--entity-name", "dave")
    assert out.returncode == 0, out.stderr
    wrong = tmp_path / "wrong.properties"
    wrong.write_text(admin.read_text().replace('password="alice-secret"', 'password="nope"'))
    out = _cli("configs", "--bootstrap-server", bootstrap, "--command-config", str(wrong), "--describe",
               "--entity-type", "users")
    assert out.returncode != 0


# --------------------------------------------------------------------------------------------------------------
# Sarama: PLAIN after a v0 handshake (raw tokens), SCRAM through SaslAuthenticate.

@pytest.fixture(scope="module")
def sarama_sasl(tmp_path_factory) -> Path:
    import shutil

    gopath_system = "/usr/share/gocode"
    if shutil.which("go") is None or not Path(gopath_system, "src/github.com/Shopify/sarama").is_dir():
        pytest.fail("golang-go and golang-github-shopify-sarama-dev are required (tools/test installs them)")
    work = tmp_path_factory.mktemp("sarama-sasl")
    package = work / "src" / "saramasasl"
    package.mkdir(parents=True)
    shutil.copy(Path(__file__).parent / "sarama_sasl" / "main.go", package / "main.go")
    binary = work / "sarama-sasl"
    env = dict(os.environ, GO111MODULE="off", GOPATH=f"{work}:{gopath_system}", GOCACHE=str(work / "cache"),
               GOFLAGS="")
    built = subprocess.run(["go", "build", "-o", str(binary), "."], cwd=package, env=env, capture_output=True,
                           text=True, timeout=600)
    assert built.returncode == 0, built.stderr[-3000:]
    return binary


@pytest.mark.parametrize("route", [r for r in ROUTES if r[1]], ids=_route_id)
def test_sarama_produces_and_consumes_over_the_secured_listener(secured, topic, route, sarama_sasl):
    listener, mechanism = route
    args = [str(sarama_sasl), secured.bootstrap(listener), topic, mechanism, "alice", PASSWORDS["alice"]]
    if listener == "SASL_SSL":
        args.append(str(secured.certs / "ca.pem"))
    run = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and run.stdout.strip().endswith("ok"), run.stdout + run.stderr[-2000:]
    wrong = subprocess.run(args[:5] + ["wrong"] + args[6:], capture_output=True, text=True, timeout=120)
    assert wrong.returncode != 0


# --------------------------------------------------------------------------------------------------------------
# Inter-broker traffic over SASL_SSL with SCRAM (the secured tools/cluster variant's shape).

def test_two_brokers_replicate_over_a_sasl_ssl_inter_broker_listener(secured, cluster, tmp_path_factory):
    from confluent_kafka.admin import AdminClient, NewTopic

    certs = secured.certs
    root = tmp_path_factory.mktemp("interbroker")
    zk = f"{cluster.zk_hosts}{cluster.chroot}-ib"
    out = subprocess.run(
        [str(NEEDLETAIL_BIN), "configs", "--zookeeper", zk, "--alter", "--add-config",
         "SCRAM-SHA-512=[iterations=8192,password=broker-secret]", "--entity-type", "users", "--entity-name", "broker"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    brokers = []
    for broker_id in (11, 12):
        b = cluster.broker(broker_id, start=False)
        secure_port = free_port()
        listeners = f"PLAINTEXT://{HOST}:{b.port},SASL_SSL://{HOST}:{secure_port}"
        b.props.update({
            "zookeeper.connect": zk, "log.dirs": str(root / f"b{broker_id}"),
            "listeners": listeners, "advertised.listeners": listeners,
            "inter.broker.listener.name": "SASL_SSL",
            "sasl.enabled.mechanisms": "SCRAM-SHA-512", "sasl.mechanism.inter.broker.protocol": "SCRAM-SHA-512",
            "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config":
                'org.apache.kafka.common.security.scram.ScramLoginModule required username="broker" '
                'password="broker-secret";',
            "ssl.keystore.type": "PEM", "ssl.keystore.location": str(certs / "broker-keystore.pem"),
            "ssl.truststore.type": "PEM", "ssl.truststore.location": str(certs / "ca.pem"),
            # The brokers' own connections to each other are held to the listener's protocol and suite too.
            "ssl.enabled.protocols": "TLSv1.2", "ssl.cipher.suites": "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
            "offsets.topic.replication.factor": "2", "default.replication.factor": "2",
        })
        brokers.append(b)
    for b in brokers:
        b.start()
    bootstrap = ",".join(b.bootstrap for b in brokers)
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic("replicated", 1, 2, config={"min.insync.replicas": "2"})])["replicated"].result(60)
    conf = {"bootstrap.servers": bootstrap, "acks": "all"}
    # Leaders exist only if the controller reached both brokers over SASL_SSL, and acks=all with
    # min.insync.replicas=2 succeeds only once the follower fetched over SASL_SSL.
    assert _confluent_round_trip(conf, "replicated", 5) == [b"m%d" % i for i in range(5)]
    for b in brokers:
        b.stop()


def test_inter_broker_tls_without_a_common_protocol_is_refused_with_a_clear_log_line(secured, cluster,
                                                                                     tmp_path_factory):
    from confluent_kafka.admin import AdminClient, NewTopic

    from conftest import wait_until

    certs = secured.certs
    root = tmp_path_factory.mktemp("tls-mismatch")
    zk = f"{cluster.zk_hosts}{cluster.chroot}-tls-mismatch"
    brokers = []
    # Broker 15 speaks only TLS 1.3, broker 16's listener only TLS 1.2: no handshake between them can succeed.
    for broker_id, protocols in ((15, "TLSv1.3"), (16, "TLSv1.2")):
        b = cluster.broker(broker_id, start=False)
        ssl_port = free_port()
        listeners = f"PLAINTEXT://{HOST}:{b.port},SSL://{HOST}:{ssl_port}"
        b.props.update({
            "zookeeper.connect": zk, "log.dirs": str(root / f"b{broker_id}"),
            "listeners": listeners, "advertised.listeners": listeners, "inter.broker.listener.name": "SSL",
            "ssl.keystore.type": "PEM", "ssl.keystore.location": str(certs / "broker-keystore.pem"),
            "ssl.truststore.type": "PEM", "ssl.truststore.location": str(certs / "ca.pem"),
            "ssl.enabled.protocols": protocols,
        })
        brokers.append(b)
    for b in brokers:
        b.start()
    admin = AdminClient({"bootstrap.servers": brokers[0].bootstrap})
    admin.create_topics([NewTopic("mismatch", 2, 2)])["mismatch"].result(60)

    def refused() -> list[str]:
        lines = []
        for b in brokers:
            lines += [line for line in b.stdout_path.read_text(errors="replace").splitlines()
                      if "handshake failed" in line]
        return lines

    # The controller's requests (and any follower's fetches) to the other broker are refused at the handshake,
    # and both sides say why: the client names the TLS failure, the listener logs Kafka's "Failed authentication".
    wait_until(lambda: any("TLS handshake failed" in line for line in refused())
               and any("Failed authentication" in line for line in refused()), 60, "handshake failures logged")
    assert any("PROTOCOL" in line.upper() for line in refused()), refused()[:4]
    for b in brokers:
        b.stop()
