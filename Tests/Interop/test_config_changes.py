"""Config changes the Kafka way on a three-broker cluster: every write (`needletail configs`, AlterConfigs,
AlterClientQuotas, AlterUserScramCredentials) leaves `/config/changes/config_change_<seq>` with Kafka's JSON, and
every broker follows that queue and applies the named entity at once (Kafka's `ZkConfigManager`), instead of
re-reading on a timer. Waits use wait_until; nothing asserts a latency."""

from __future__ import annotations

import json
import subprocess

import pytest
from confluent_kafka import Producer

from conftest import HOST, NEEDLETAIL_BIN, free_port, wait_for_leaders, wait_until
from test_security_authn import _raw_scram_login

pytestmark = pytest.mark.needletail_only

BROKERS = (1, 2, 3)


class Trio:
    def __init__(self, cluster, brokers, sasl_ports):
        self.cluster = cluster
        self.brokers = brokers
        self.sasl_ports = sasl_ports

    @property
    def bootstrap(self) -> str:
        return ",".join(b.bootstrap for b in self.brokers.values())


@pytest.fixture(scope="module")
def trio(cluster) -> Trio:
    brokers, ports = {}, {}
    for broker_id in BROKERS:
        b = cluster.broker(broker_id, start=False)
        ports[broker_id] = free_port()
        listeners = f"PLAINTEXT://{HOST}:{b.port},SASL_PLAINTEXT://{HOST}:{ports[broker_id]}"
        b.props.update({
            "listeners": listeners, "advertised.listeners": listeners, "inter.broker.listener.name": "PLAINTEXT",
            "sasl.enabled.mechanisms": "SCRAM-SHA-256",
        })
        brokers[broker_id] = b
    for b in brokers.values():
        b.start()
    return Trio(cluster, brokers, ports)


def _configs(*args: str) -> subprocess.CompletedProcess:
    out = subprocess.run([str(NEEDLETAIL_BIN), "configs", *args], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out


def _last_notification(cluster) -> dict:
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=cluster.zk_connect)
    zk.start(timeout=30)
    try:
        children = sorted(zk.get_children("/config/changes"))
        assert all(c.startswith("config_change_") and len(c) == len("config_change_") + 10 for c in children)
        data, _ = zk.get(f"/config/changes/{children[-1]}")
        return json.loads(data)
    finally:
        zk.stop()


def _logins(trio: Trio, user: str, password: str) -> list[int]:
    return [_raw_scram_login(port, "SCRAM-SHA-256", user, password) for port in trio.sasl_ports.values()]


def test_a_scram_password_changed_through_one_broker_works_on_all_three_and_the_old_one_stops(trio):
    _configs("--zookeeper", trio.cluster.zk_connect, "--alter", "--add-config",
             "SCRAM-SHA-256=[iterations=4096,password=erin-old]", "--entity-type", "users", "--entity-name", "erin")
    assert _last_notification(trio.cluster) == {"version": 2, "entity_path": "users/erin"}
    wait_until(lambda: _logins(trio, "erin", "erin-old") == [0, 0, 0], 30, "erin logs in on every broker")

    _configs("--bootstrap-server", trio.brokers[1].bootstrap, "--alter", "--add-config",
             "SCRAM-SHA-256=[password=erin-new]", "--entity-type", "users", "--entity-name", "erin")
    assert _last_notification(trio.cluster) == {"version": 2, "entity_path": "users/erin"}
    wait_until(lambda: _logins(trio, "erin", "erin-new") == [0, 0, 0], 30,
               lambda: f"new password on brokers 1-3: {_logins(trio, 'erin', 'erin-new')}")
    # SASL_AUTHENTICATION_FAILED (58) everywhere for the old password.
    assert _logins(trio, "erin", "erin-old") == [58, 58, 58]


def test_a_cluster_wide_broker_config_set_through_one_broker_is_in_force_on_the_others(trio):
    _configs("--bootstrap-server", trio.brokers[1].bootstrap, "--entity-type", "brokers", "--entity-default",
             "--alter", "--add-config", "message.max.bytes=2000000")
    assert _last_notification(trio.cluster) == {"version": 2, "entity_path": "brokers/<default>"}

    def described_on(broker_id: int) -> str:
        return _configs("--bootstrap-server", trio.brokers[broker_id].bootstrap, "--entity-type", "brokers",
                        "--entity-name", str(broker_id), "--describe", "--all").stdout

    for broker_id in (2, 3):
        wait_until(lambda: "message.max.bytes=2000000" in described_on(broker_id), 30,
                   lambda: f"broker {broker_id}: {described_on(broker_id)[:2000]}")


def test_a_client_quota_set_through_one_broker_throttles_a_producer_on_another(trio):
    topic = "quota-on-three"
    out = subprocess.run([str(NEEDLETAIL_BIN), "topics", "--bootstrap-server", trio.brokers[1].bootstrap, "--create",
                          "--topic", topic, "--replica-assignment", "3"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    wait_for_leaders(trio.brokers[3].bootstrap, topic, 1)
    _configs("--bootstrap-server", trio.brokers[1].bootstrap, "--alter", "--add-config",
             "producer_byte_rate=50000", "--entity-type", "clients", "--entity-name", "slow-app")
    assert _last_notification(trio.cluster) == {"version": 2, "entity_path": "clients/slow-app"}
    throttles: list[int] = []

    def stats(text: str) -> None:
        for b in json.loads(text).get("brokers", {}).values():
            throttles.append(b.get("throttle", {}).get("max", 0))

    def throttled() -> bool:
        p = Producer({"bootstrap.servers": trio.brokers[3].bootstrap, "client.id": "slow-app", "linger.ms": 0,
                      "statistics.interval.ms": 200, "stats_cb": stats})
        for _ in range(20):
            p.produce(topic, b"x" * 50_000)
            p.poll(0)
        p.flush(60)
        p.poll(0.5)
        return any(t > 0 for t in throttles)

    wait_until(throttled, 60, "throttle_time_ms reported by broker 3 to the producer")
