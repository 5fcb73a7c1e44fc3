"""JKS and PKCS12 stores, ssl.enabled.protocols and ssl.cipher.suites, with real clients.

One broker with four TLS listeners, its key pair made with keytool in a JKS key store and signed by an openssl CA,
as Kafka's documentation does it (keytool -genkeypair / -certreq / -importcert):
- JKS: JKS key store, JKS trust store, ssl.client.auth=required;
- P12TRUST: the same key store, a PKCS12 trust store, ssl.client.auth=required;
- TLS13: ssl.enabled.protocols=TLSv1.3;
- TLS12: ssl.enabled.protocols=TLSv1.2 with one cipher suite.
"""

from __future__ import annotations

import socket
import ssl
import subprocess
import uuid
from pathlib import Path

import pytest

from conftest import HOST, create_topic, free_port, run_kcat

pytestmark = pytest.mark.needletail_only

STORE_PASSWORD = "store-secret"
KEY_PASSWORD = "key-secret"
TRUST_PASSWORD = "trust-secret"
ONLY_SUITE = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"


def _run(*args: str, cwd: Path) -> None:
    out = subprocess.run(list(args), cwd=cwd, capture_output=True, text=True)
    assert out.returncode == 0, f"{' '.join(args)}: {out.stderr}"


def _make_stores(d: Path) -> None:
    _run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
         "-days", "2", "-subj", "/CN=needletail-test-ca", cwd=d)
    (d / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    keytool = ["keytool", "-noprompt", "-keystore", "broker.jks", "-storepass", STORE_PASSWORD]
    _run(*keytool, "-genkeypair", "-alias", "broker", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
         "-validity", "2", "-storetype", "JKS", "-keypass", KEY_PASSWORD, cwd=d)
    _run(*keytool, "-certreq", "-alias", "broker", "-keypass", KEY_PASSWORD, "-file", "broker.csr", cwd=d)
    _run("openssl", "x509", "-req", "-in", "broker.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "broker-signed.pem", "-days", "2", "-extfile", "san.ext", cwd=d)
    _run(*keytool, "-importcert", "-alias", "ca", "-file", "ca.pem", cwd=d)
    _run(*keytool, "-importcert", "-alias", "broker", "-keypass", KEY_PASSWORD, "-file", "broker-signed.pem", cwd=d)
    for store_type, name in (("JKS", "trust.jks"), ("PKCS12", "trust.p12")):
        _run("keytool", "-noprompt", "-importcert", "-alias", "ca", "-file", "ca.pem", "-keystore", name,
             "-storetype", store_type, "-storepass", TRUST_PASSWORD, cwd=d)
    _run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "client.key", "-out", "client.csr",
         "-subj", "/CN=jks-client", cwd=d)
    _run("openssl", "x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "client.pem", "-days", "2", cwd=d)


class Stores:
    def __init__(self, broker, certs: Path, ports: dict[str, int]):
        self.broker = broker
        self.certs = certs
        self.ports = ports

    def bootstrap(self, listener: str) -> str:
        return f"{HOST}:{self.ports[listener]}"

    def mtls(self, listener: str) -> dict:
        return {"bootstrap.servers": self.bootstrap(listener), "security.protocol": "SSL",
                "ssl.ca.location": str(self.certs / "ca.pem"),
                "ssl.certificate.location": str(self.certs / "client.pem"),
                "ssl.key.location": str(self.certs / "client.key")}


@pytest.fixture(scope="module")
def stores(cluster, tmp_path_factory) -> Stores:
    certs = tmp_path_factory.mktemp("stores")
    _make_stores(certs)
    ports = {name: free_port() for name in ("JKS", "P12TRUST", "TLS13", "TLS12")}
    b = cluster.broker(1, start=False)
    listeners = [f"PLAINTEXT://{HOST}:{b.port}"] + [f"{n}://{HOST}:{p}" for n, p in ports.items()]
    b.props.update({
        "listeners": ",".join(listeners),
        "advertised.listeners": ",".join(listeners),
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT," + ",".join(f"{n}:SSL" for n in ports),
        "inter.broker.listener.name": "PLAINTEXT",
        "ssl.keystore.type": "JKS",
        "ssl.keystore.location": str(certs / "broker.jks"),
        "ssl.keystore.password": STORE_PASSWORD,
        "ssl.key.password": KEY_PASSWORD,
        "listener.name.jks.ssl.client.auth": "required",
        "listener.name.jks.ssl.truststore.type": "JKS",
        "listener.name.jks.ssl.truststore.location": str(certs / "trust.jks"),
        "listener.name.jks.ssl.truststore.password": TRUST_PASSWORD,
        "listener.name.p12trust.ssl.client.auth": "required",
        "listener.name.p12trust.ssl.truststore.type": "PKCS12",
        "listener.name.p12trust.ssl.truststore.location": str(certs / "trust.p12"),
        "listener.name.p12trust.ssl.truststore.password": TRUST_PASSWORD,
        "listener.name.tls13.ssl.enabled.protocols": "TLSv1.3",
        "listener.name.tls12.ssl.enabled.protocols": "TLSv1.2",
        "listener.name.tls12.ssl.cipher.suites": ONLY_SUITE,
    })
    b.start()
    return Stores(b, certs, ports)


def _round_trip(conf: dict, topic: str, n: int = 10) -> list[bytes]:
    from confluent_kafka import Consumer, Producer

    p = Producer({**conf, "message.timeout.ms": 20000})
    for i in range(n):
        p.produce(topic, value=b"m%d" % i)
    assert p.flush(30) == 0
    c = Consumer({**conf, "group.id": f"g-{uuid.uuid4().hex[:6]}", "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    got: list[bytes] = []
    for _ in range(60):
        m = c.poll(1.0)
        if m is not None and m.error() is None:
            got.append(m.value())
        if len(got) == n:
            break
    c.close()
    return got


@pytest.mark.parametrize("listener", ["JKS", "P12TRUST"])
def test_confluent_kafka_round_trips_with_mtls_against_jks_and_pkcs12_stores(stores, topic_name, listener):
    create_topic(stores.broker.bootstrap, topic_name)
    assert _round_trip(stores.mtls(listener), topic_name) == [b"m%d" % i for i in range(10)]


@pytest.mark.parametrize("listener", ["JKS", "P12TRUST"])
def test_kcat_lists_metadata_with_mtls_and_is_refused_without_a_certificate(stores, listener):
    conf = stores.mtls(listener)
    args = ["-b", conf["bootstrap.servers"], "-X", "security.protocol=SSL", "-X", f"ssl.ca.location={conf['ssl.ca.location']}"]
    with_cert = args + ["-X", f"ssl.certificate.location={conf['ssl.certificate.location']}",
                        "-X", f"ssl.key.location={conf['ssl.key.location']}"]
    out = run_kcat([*with_cert, "-L", "-m", "10"], timeout=60)
    assert out.returncode == 0, out.stderr
    assert b"1 brokers" in out.stdout
    refused = run_kcat([*args, "-L", "-m", "3"], timeout=60)
    assert refused.returncode != 0


def _handshake(port: int, maximum: ssl.TLSVersion | None = None, ciphers: str | None = None) -> str:
    """The negotiated protocol of a TLS handshake, or raises ssl.SSLError."""
    ctx = ssl.create_default_context(cafile=None)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if maximum is not None:
        ctx.maximum_version = maximum
    if ciphers is not None:
        ctx.set_ciphers(ciphers)
    with socket.create_connection((HOST, port), timeout=10) as raw:
        with ctx.wrap_socket(raw) as tls:
            return tls.version()


def test_a_client_limited_to_tls_1_2_fails_against_a_tls_1_3_only_listener(stores):
    assert _handshake(stores.ports["TLS13"]) == "TLSv1.3"
    with pytest.raises(ssl.SSLError):
        _handshake(stores.ports["TLS13"], maximum=ssl.TLSVersion.TLSv1_2)


def test_ssl_cipher_suites_limits_the_tls_1_2_suites_offered(stores):
    assert _handshake(stores.ports["TLS12"]) == "TLSv1.2"
    assert _handshake(stores.ports["TLS12"], ciphers="ECDHE-RSA-AES256-GCM-SHA384") == "TLSv1.2"
    with pytest.raises(ssl.SSLError):
        _handshake(stores.ports["TLS12"], ciphers="ECDHE-RSA-AES128-GCM-SHA256")


@pytest.mark.parametrize("key,value,message", [
    ("ssl.keystore.password", "wrong", "Keystore was tampered with, or password was incorrect"),
    ("ssl.key.password", "wrong", "Cannot recover key"),
    ("listener.name.tls13.ssl.enabled.protocols", "SSLv3", "unsupported protocol SSLv3"),
])
def test_a_wrong_store_setting_stops_the_broker_with_one_clear_line(stores, cluster, key, value, message):
    b = cluster.broker(2, start=False)
    b.props.update({k: v for k, v in stores.broker.props.items()
                    if k.startswith(("ssl.", "listener.name.")) or k == "listener.security.protocol.map"})
    listeners = [f"PLAINTEXT://{HOST}:{b.port}", f"TLS13://{HOST}:{free_port()}"]
    b.props.update({"listeners": ",".join(listeners), "advertised.listeners": ",".join(listeners), key: value})
    b.start(wait=False)
    assert b.proc.wait(timeout=60) == 1
    lines = [line for line in b.log_tail().splitlines() if message in line]
    assert len(lines) == 1, b.log_tail()


def _make_client_stores(d: Path) -> None:
    """A client key pair in a keytool-made JKS key store signed by the CA, and the same key and chain as PKCS12."""
    if (d / "cli.jks").exists():
        return
    keytool = ["keytool", "-noprompt", "-keystore", "cli.jks", "-storepass", STORE_PASSWORD]
    _run(*keytool, "-genkeypair", "-alias", "cli", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=cli-tool",
         "-validity", "2", "-storetype", "JKS", "-keypass", KEY_PASSWORD, cwd=d)
    _run(*keytool, "-certreq", "-alias", "cli", "-keypass", KEY_PASSWORD, "-file", "cli.csr", cwd=d)
    _run("openssl", "x509", "-req", "-in", "cli.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
         "-out", "cli-signed.pem", "-days", "2", cwd=d)
    _run(*keytool, "-importcert", "-alias", "ca", "-file", "ca.pem", cwd=d)
    _run(*keytool, "-importcert", "-alias", "cli", "-keypass", KEY_PASSWORD, "-file", "cli-signed.pem", cwd=d)
    _run("keytool", "-noprompt", "-importkeystore", "-srckeystore", "cli.jks", "-srcstorepass", STORE_PASSWORD,
         "-srcalias", "cli", "-srckeypass", KEY_PASSWORD, "-destkeystore", "cli.p12", "-deststoretype", "PKCS12",
         "-deststorepass", STORE_PASSWORD, "-destkeypass", STORE_PASSWORD, cwd=d)


@pytest.mark.parametrize("store_type", ["JKS", "PKCS12"])
def test_the_cli_connects_with_mtls_using_keytool_made_stores_in_its_command_config(stores, store_type, tmp_path):
    from conftest import NEEDLETAIL_BIN

    _make_client_stores(stores.certs)
    suffix = "jks" if store_type == "JKS" else "p12"
    lines = [
        "security.protocol=SSL",
        f"ssl.truststore.type={store_type}",
        f"ssl.truststore.location={stores.certs / f'trust.{suffix}'}",
        f"ssl.truststore.password={TRUST_PASSWORD}",
        f"ssl.keystore.type={store_type}",
        f"ssl.keystore.location={stores.certs / f'cli.{suffix}'}",
        f"ssl.keystore.password={STORE_PASSWORD}",
    ]
    if store_type == "JKS":
        lines.append(f"ssl.key.password={KEY_PASSWORD}")
    config = tmp_path / "client.properties"
    config.write_text("\n".join(lines) + "\n")
    topic = f"cli-{store_type.lower()}-{uuid.uuid4().hex[:6]}"
    create_topic(stores.broker.bootstrap, topic)
    out = subprocess.run([str(NEEDLETAIL_BIN), "topics", "--bootstrap-server", stores.bootstrap("JKS"),
                          "--command-config", str(config), "--list"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert topic in out.stdout.split()
    # A wrong trust store password is reported, not silently ignored.
    config.write_text(config.read_text().replace(f"ssl.truststore.password={TRUST_PASSWORD}",
                                                 "ssl.truststore.password=wrong"))
    out = subprocess.run([str(NEEDLETAIL_BIN), "topics", "--bootstrap-server", stores.bootstrap("JKS"),
                          "--command-config", str(config), "--list"], capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "truststore" in (out.stderr + out.stdout).lower()
