"""compose/docker-compose-secured.yml run as local processes with the same environment variables.

The key material comes from compose/secrets/create-certs.sh (JKS key stores, a JKS trust store, *_creds password
files, the JAAS file); each broker service's `environment:` is passed as it stands, only with host names, ports and
paths moved from the containers' to this machine's (the /etc/kafka/secrets mount becomes NEEDLETAIL_SECRETS_DIR).
The scram-users service's command creates the admin credential before the brokers start, as in the compose file.
"""

from __future__ import annotations

import calendar
import re
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
import yaml

from conftest import HOST, NEEDLETAIL_BIN, ROOT, free_port

pytestmark = pytest.mark.needletail_only

COMPOSE = ROOT / "compose" / "docker-compose-secured.yml"
CREATE_CERTS = ROOT / "compose" / "secrets" / "create-certs.sh"


class ComposeCluster:
    def __init__(self, brokers, secrets: Path, client_ports: dict[int, int], http_ports: dict[int, int]):
        self.brokers = brokers
        self.secrets = secrets
        self.client_ports = client_ports
        self.http_ports = http_ports

    @property
    def bootstrap(self) -> str:
        return ",".join(f"{HOST}:{p}" for p in self.client_ports.values())

    def conf(self, user: str, password: str) -> dict:
        return {"bootstrap.servers": self.bootstrap, "security.protocol": "SASL_SSL",
                "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": user, "sasl.password": password,
                "ssl.ca.location": str(self.secrets / "ca.pem")}


def _local_environment(env: dict, secrets: Path, zk: str, log_dir: Path, ports: dict[str, int],
                       client_port: int, http_port: int) -> dict[str, str]:
    out = {k: str(v) for k, v in env.items()}
    container_client = re.search(r"CLIENT://0\.0\.0\.0:(\d+)", out["KAFKA_LISTENERS"]).group(1)
    out["KAFKA_ZOOKEEPER_CONNECT"] = zk
    out["KAFKA_LISTENERS"] = f"BROKER://{HOST}:{ports['BROKER']},CLIENT://{HOST}:{client_port}"
    out["KAFKA_ADVERTISED_LISTENERS"] = out["KAFKA_LISTENERS"]
    assert container_client != ""
    out["KAFKA_HTTP_LISTENERS"] = f"HTTP://{HOST}:{http_port}"
    out["KAFKA_LOG_DIRS"] = str(log_dir)
    out["KAFKA_OPTS"] = out["KAFKA_OPTS"].replace("/etc/kafka/secrets", str(secrets))
    out["NEEDLETAIL_SECRETS_DIR"] = str(secrets)
    return out


@pytest.fixture(scope="module")
def compose(cluster, tmp_path_factory) -> ComposeCluster:
    spec = yaml.safe_load(COMPOSE.read_text())
    services = spec["services"]
    names = sorted(n for n in services if n.startswith("broker-"))
    secrets = tmp_path_factory.mktemp("secrets")
    subprocess.run([str(CREATE_CERTS), str(secrets), *names], check=True, capture_output=True, timeout=300)

    command = [a.replace("zookeeper:2181", cluster.zk_connect) for a in services["scram-users"]["entrypoint"]]
    out = subprocess.run([str(NEEDLETAIL_BIN), *command[1:]], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr

    brokers, client_ports, http_ports = [], {}, {}
    for name in names:
        env = services[name]["environment"]
        broker_id = int(env["KAFKA_BROKER_ID"])
        b = cluster.broker(broker_id, start=False)
        client_ports[broker_id], http_ports[broker_id] = free_port(), free_port()
        b.extra_env.update(_local_environment(
            env, secrets, cluster.zk_connect, b.log_dir, {"BROKER": free_port()}, client_ports[broker_id],
            http_ports[broker_id]))
        # The properties file the fixture writes is the image's; every setting here comes from the environment.
        b.props = {"zookeeper.connect": cluster.zk_connect}
        b.start(wait=False)
        brokers.append(b)
    c = ComposeCluster(brokers, secrets, client_ports, http_ports)
    _wait_for_brokers(c, len(names))
    return c


def _wait_for_brokers(c: ComposeCluster, count: int, timeout: float = 120) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(c.conf("admin", "admin-secret"))
    deadline = time.monotonic() + timeout
    while True:
        for b in c.brokers:
            assert b.running(), b.log_tail()
        try:
            if len(admin.list_topics(timeout=5).brokers) == count:
                return
        except Exception:  # noqa: BLE001 - the brokers are still starting
            pass
        if time.monotonic() > deadline:
            raise AssertionError("the compose brokers did not all register:\n" + c.brokers[0].log_tail())
        time.sleep(0.5)


def _cli(*args: str) -> str:
    out = subprocess.run([str(NEEDLETAIL_BIN), *args], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, f"needletail {' '.join(args)}: {out.stderr}{out.stdout}"
    return out.stdout


def _produce(conf: dict, topic: str, n: int) -> list:
    from confluent_kafka import Producer

    errors = []
    p = Producer({**conf, "message.timeout.ms": 30000, "acks": "all"})
    for i in range(n):
        p.produce(topic, value=b"m%d" % i, on_delivery=lambda err, msg: errors.append(err) if err else None)
    assert p.flush(60) == 0
    return errors


def _consume(conf: dict, topic: str, n: int) -> list[bytes]:
    from confluent_kafka import Consumer

    c = Consumer({**conf, "group.id": f"g-{uuid.uuid4().hex[:6]}", "auto.offset.reset": "earliest"})
    c.subscribe([topic])
    got: list[bytes] = []
    deadline = time.monotonic() + 90
    while len(got) < n and time.monotonic() < deadline:
        m = c.poll(1.0)
        if m is not None and m.error() is None:
            got.append(m.value())
    c.close()
    return got


def test_the_super_user_round_trips_through_a_three_way_replicated_topic(compose):
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"compose-{uuid.uuid4().hex[:6]}"
    admin = AdminClient(compose.conf("admin", "admin-secret"))
    admin.create_topics([NewTopic(topic, 3, 3)])[topic].result(60)
    assert _produce(compose.conf("admin", "admin-secret"), topic, 30) == []
    assert sorted(_consume(compose.conf("admin", "admin-secret"), topic, 30)) == sorted(b"m%d" % i for i in range(30))


def test_a_new_scram_user_is_denied_until_an_acl_grants_it(compose):
    from confluent_kafka.admin import AdminClient, NewTopic

    topic = f"compose-acl-{uuid.uuid4().hex[:6]}"
    admin = AdminClient(compose.conf("admin", "admin-secret"))
    admin.create_topics([NewTopic(topic, 1, 3)])[topic].result(60)
    command_config = ["--bootstrap-server", compose.bootstrap, "--command-config", str(compose.secrets / "admin.properties")]
    _cli("configs", *command_config, "--alter", "--add-config", "SCRAM-SHA-512=[iterations=8192,password=alice-secret]",
         "--entity-type", "users", "--entity-name", "alice")
    alice = compose.conf("alice", "alice-secret")
    deadline = time.monotonic() + 30
    while True:
        errors = _produce({**alice, "message.timeout.ms": 5000}, topic, 1)
        if errors and errors[0].name() == "TOPIC_AUTHORIZATION_FAILED":
            break
        assert time.monotonic() < deadline, f"alice was not denied: {errors}"
        time.sleep(0.5)
    _cli("acls", *command_config, "--add", "--allow-principal", "User:alice", "--operation", "Write", "--topic", topic)
    deadline = time.monotonic() + 30
    while _produce(alice, topic, 1) != []:
        assert time.monotonic() < deadline, "the ACL did not take effect"
        time.sleep(0.5)


def test_each_broker_exports_the_expiry_of_its_listener_certificates(compose):
    notafter = subprocess.run(
        ["openssl", "x509", "-in", str(compose.secrets / "broker-1.pem"), "-noout", "-enddate", "-dateopt", "iso_8601"],
        capture_output=True, text=True, check=True).stdout.strip().split("=", 1)[1]
    expected = calendar.timegm(time.strptime(notafter, "%Y-%m-%d %H:%M:%SZ"))
    text = urllib.request.urlopen(f"http://{HOST}:{compose.http_ports[1]}/metrics", timeout=10).read().decode()
    lines = [l for l in text.splitlines() if l.startswith("needletail_ssl_certificate_expiry_timestamp_seconds{")]
    assert sorted(l.split("{")[1].split("}")[0] for l in lines) == ['listener="BROKER"', 'listener="CLIENT"']
    assert all(int(float(l.rsplit(" ", 1)[1])) == expected for l in lines)
