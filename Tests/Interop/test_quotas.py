"""Client byte-rate quotas from ZooKeeper in Kafka's layout (`/config/clients/<client-id>`, written here with kazoo
as `kafka-configs --zookeeper` would): the broker reports `throttle_time_ms` and a producer over its quota is held
near its rate; `/metrics` shows the quota sensors as the jmx_exporter quota rules render Kafka's
`kafka.server:type=Produce|Fetch|Request,user=…,client-id=…` MBeans. Generous bounds only: the assertion is
"throttled, and not wildly over", never a latency."""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka import Producer

from conftest import HOST, create_topic, free_port, wait_until

pytestmark = pytest.mark.needletail_only

QUOTA = 100_000  # bytes per second
TOTAL = 2_000_000


@pytest.fixture(scope="module")
def broker(cluster):
    return cluster.broker(1, {"http.listeners": f"HTTP://{HOST}:{free_port()}"})


def _quota_samples(broker) -> dict[tuple[str, tuple], float]:
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    port = int(broker.props["http.listeners"].rsplit(":", 1)[1])
    with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=10) as r:
        text = r.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(text) if f.name.startswith("kafka_server_quota_")
            for s in f.samples}


def test_a_producer_over_its_client_quota_is_throttled_near_its_byte_rate(broker, cluster):
    from kazoo.client import KazooClient

    topic = "quota-topic"
    create_topic(broker.bootstrap, topic)
    zk = KazooClient(hosts=cluster.zk_connect)
    zk.start(timeout=30)
    try:
        zk.create("/config/clients/quota-app",
                  json.dumps({"version": 1, "config": {"producer_byte_rate": str(QUOTA)}}).encode(), makepath=True)
        zk.create("/config/changes/config_change_",
                  json.dumps({"version": 2, "entity_path": "clients/quota-app"}).encode(), sequence=True,
                  makepath=True)
    finally:
        zk.stop()
    throttles: list[int] = []

    def stats(text: str) -> None:
        for b in json.loads(text).get("brokers", {}).values():
            throttles.append(b.get("throttle", {}).get("max", 0))

    # The quota reaches the broker through the /config/changes notification; wait until a burst is throttled.
    def throttled_probe() -> bool:
        p = Producer({"bootstrap.servers": broker.bootstrap, "client.id": "quota-app", "linger.ms": 0,
                      "statistics.interval.ms": 200, "stats_cb": stats})
        for _ in range(20):
            p.produce(topic, b"x" * 50_000)
            p.poll(0)
        p.flush(60)
        p.poll(0.5)
        return any(t > 0 for t in throttles)

    wait_until(throttled_probe, 60, "throttle_time_ms reported to the producer")

    p = Producer({"bootstrap.servers": broker.bootstrap, "client.id": "quota-app", "linger.ms": 5,
                  "batch.size": 100_000})
    payload = b"y" * 10_000
    errors: list = []
    started = time.monotonic()
    for _ in range(TOTAL // len(payload)):
        while True:
            try:
                p.produce(topic, payload, on_delivery=lambda err, msg: errors.append(err) if err else None)
                break
            except BufferError:
                p.poll(0.1)
        p.poll(0)
    assert p.flush(120) == 0
    assert not errors, errors[:3]
    elapsed = time.monotonic() - started
    rate = TOTAL / elapsed
    print(f"[quota] {TOTAL} bytes in {elapsed:.1f} s = {rate:,.0f} B/s against a {QUOTA:,} B/s quota")
    # The window credits up to ten seconds of quota at the start, so the measured rate may exceed the quota;
    # an unthrottled producer on this machine does tens of MB/s.
    assert rate < 4 * QUOTA


def test_configs_sets_and_describes_client_and_user_quotas_as_kafka_configs_does(broker, cluster):
    import subprocess

    from kazoo.client import KazooClient

    from conftest import NEEDLETAIL_BIN

    def configs(*args: str) -> str:
        out = subprocess.run([str(NEEDLETAIL_BIN), "configs", "--bootstrap-server", broker.bootstrap, *args],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr + out.stdout
        return out.stdout

    assert configs("--entity-type", "clients", "--entity-name", "app2", "--alter", "--add-config",
                   "producer_byte_rate=1024,consumer_byte_rate=2048") == "Completed updating config for client app2.\n"
    assert configs("--entity-type", "users", "--entity-name", "alice", "--alter", "--add-config",
                   "request_percentage=50") == "Completed updating config for user alice.\n"
    assert configs("--entity-type", "clients", "--entity-name", "app2", "--describe") == (
        "Quota configs for client-id 'app2' are consumer_byte_rate=2048.0, producer_byte_rate=1024.0\n")
    zk = KazooClient(hosts=cluster.zk_connect)
    zk.start(timeout=30)
    try:
        stored = json.loads(zk.get("/config/clients/app2")[0])
        assert stored == {"version": 1, "config": {"consumer_byte_rate": "2048", "producer_byte_rate": "1024"}}
        assert json.loads(zk.get("/config/users/alice")[0])["config"] == {"request_percentage": "50.0"}
        changes = [json.loads(zk.get(f"/config/changes/{c}")[0]) for c in zk.get_children("/config/changes")]
        assert {"version": 2, "entity_path": "clients/app2"} in changes
    finally:
        zk.stop()
    assert configs("--entity-type", "clients", "--entity-name", "app2", "--alter", "--delete-config",
                   "consumer_byte_rate") == "Completed updating config for client app2.\n"
    assert configs("--entity-type", "clients", "--entity-name", "app2", "--describe") == (
        "Quota configs for client-id 'app2' are producer_byte_rate=1024.0\n")


def _api_versions_v1_throttle(sock, correlation: int, client_id: str) -> int:
    import struct

    import kafka_wire as w

    sock.sendall(w.frame(w.header_v1(18, 1, correlation, client_id=client_id)))
    response = w.read_frame(sock)
    assert struct.unpack(">i", response[:4])[0] == correlation
    error_code, count = struct.unpack(">hi", response[4:10])
    assert error_code == 0
    return struct.unpack(">i", response[10 + 6 * count:14 + 6 * count])[0]


def test_a_client_flooding_api_versions_under_a_1_percent_request_quota_gets_throttle_time(broker):
    import socket
    import subprocess

    from conftest import NEEDLETAIL_BIN

    out = subprocess.run([str(NEEDLETAIL_BIN), "configs", "--bootstrap-server", broker.bootstrap, "--alter",
                          "--add-config", "request_percentage=1", "--entity-type", "clients", "--entity-name",
                          "flood-app"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    host, port = broker.bootstrap.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        throttles = []

        def flooded() -> bool:
            for _ in range(200):
                throttles.append(_api_versions_v1_throttle(sock, len(throttles), "flood-app"))
            return max(throttles) > 0

        wait_until(flooded, 120, lambda: f"no throttle_time_ms in {len(throttles)} ApiVersions responses")
    # Kafka caps a request-quota throttle at one quota window (1 s).
    assert 0 < max(throttles) <= 1000
    # Another client id on a fresh connection is not throttled.
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        assert _api_versions_v1_throttle(sock, 1, "calm-app") == 0


def test_quota_sensors_of_active_clients_appear_on_the_metrics_page_with_kafkas_tags(broker, cluster):
    from kazoo.client import KazooClient

    topic = "metered-topic"
    create_topic(broker.bootstrap, topic)
    zk = KazooClient(hosts=cluster.zk_connect)
    zk.start(timeout=30)
    try:
        zk.create("/config/clients/metered-app",
                  json.dumps({"version": 1, "config": {"producer_byte_rate": "50000"}}).encode(), makepath=True)
        zk.create("/config/changes/config_change_",
                  json.dumps({"version": 2, "entity_path": "clients/metered-app"}).encode(), sequence=True,
                  makepath=True)
    finally:
        zk.stop()
    metered = ("kafka_server_quota_throttle_time", (("clientId", "metered-app"), ("resource", "Produce")))

    def throttled() -> bool:
        p = Producer({"bootstrap.servers": broker.bootstrap, "client.id": "metered-app", "linger.ms": 0})
        for _ in range(10):
            p.produce(topic, b"m" * 50_000)
        p.flush(60)
        return _quota_samples(broker).get(metered, 0) > 0

    wait_until(throttled, 60, "a throttle time on the metered client's sensor")
    # A producer with no quota of its own is measured too once producer quotas exist, tagged by client id only
    # (Kafka's tags for a client that no user entity covers), and never throttled.
    p = Producer({"bootstrap.servers": broker.bootstrap, "client.id": "free-app", "linger.ms": 0})
    p.produce(topic, b"f" * 10_000)
    p.flush(30)
    samples = _quota_samples(broker)
    assert samples[("kafka_server_quota_byte_rate", (("clientId", "metered-app"), ("resource", "Produce")))] > 0
    assert samples[("kafka_server_quota_byte_rate", (("clientId", "free-app"), ("resource", "Produce")))] > 0
    assert samples[("kafka_server_quota_throttle_time", (("clientId", "free-app"), ("resource", "Produce")))] == 0
    # No user tag without a user quota: the label set is what the jmx_exporter rule gives the MBean.
    assert not any(dict(labels).get("user") for _, labels in samples)
