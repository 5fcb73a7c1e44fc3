"""Burrow (Debian's burrow 1.2.1, LinkedIn's lag monitor), run against a live broker at its default Kafka version
(0.8.2: it reads __consumer_offsets with Fetch v0, so every batch is down-converted to magic 0) and at 0.10.2. It
decodes our offset commit records and reports lag = log end offset - committed offset over its HTTP API."""
from __future__ import annotations

import json
import shutil
import subprocess
import urllib.request
import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

import kafka_wire
from conftest import create_topic, free_port, wait_until


def burrow_config(zookeeper: str, bootstrap: str, http_port: int, kafka_version: str | None) -> str:
    zk_hosts = zookeeper.split("/")[0].split(",")
    profile = f'kafka-version="{kafka_version}"' if kafka_version else ""
    return f"""
[general]
pidfile="burrow.pid"
[logging]
level="info"
[zookeeper]
servers=[{", ".join(json.dumps(h) for h in zk_hosts)}]
timeout=6
root-path="/burrow-{uuid.uuid4().hex[:6]}"
[client-profile.default]
client-id="burrow"
{profile}
[cluster.local]
class-name="kafka"
servers=["{bootstrap}"]
client-profile="default"
topic-refresh=2
offset-refresh=2
[consumer.local]
class-name="kafka"
cluster="local"
servers=["{bootstrap}"]
client-profile="default"
group-blacklist=""
group-whitelist=""
start-latest=false
[httpserver.default]
address="127.0.0.1:{http_port}"
[storage.default]
class-name="inmemory"
workers=2
intervals=10
expire-group=604800
min-distance=1
"""


def lag(http_port: int, group: str) -> dict | None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/v3/kafka/local/consumer/{group}/lag",
                                    timeout=5) as r:
            status = json.load(r).get("status") or {}
    except OSError:
        return None
    parts = {p["partition"]: p for p in status.get("partitions") or [] if p.get("end")}
    return parts or None


@pytest.mark.parametrize("kafka_version", [None, "0.10.2"], ids=["default-version", "0.10.2"])
def test_burrow_reads_committed_offsets_and_reports_lag(broker, zookeeper, tmp_path, topic_name, kafka_version):
    if shutil.which("Burrow") is None:
        pytest.fail("Burrow is required (Debian package burrow; tools/test installs it)")
    create_topic(broker.bootstrap, topic_name, partitions=2)
    p = Producer({"bootstrap.servers": broker.bootstrap})
    for i in range(100):
        p.produce(topic_name, value=b"m%d" % i, partition=i % 2)
    p.flush(30)
    http_port = free_port()
    (tmp_path / "burrow.toml").write_text(burrow_config(zookeeper, broker.bootstrap, http_port, kafka_version))
    def start_burrow():
        return subprocess.Popen(["Burrow", "--config-dir", str(tmp_path)], cwd=tmp_path,
                                stdout=open(tmp_path / "burrow.log", "a"), stderr=subprocess.STDOUT)

    burrow = start_burrow()
    group = f"burrow-{uuid.uuid4().hex[:6]}"
    try:
        def committed_and_seen():
            nonlocal burrow
            # Burrow exits when its first metadata request for __consumer_offsets finds the topic still being
            # created (Sarama retries three times, 250 ms apart; a loaded machine takes longer to create 50
            # partitions). An operator's supervisor restarts it; so does the test.
            if burrow.poll() is not None:
                burrow = start_burrow()
                return False
            # Burrow drops commits for topics its cluster module has not listed yet, so commit until it sees one.
            c = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group, "enable.auto.commit": False})
            c.commit(offsets=[TopicPartition(topic_name, 0, 20), TopicPartition(topic_name, 1, 45)],
                     asynchronous=False)
            c.close()
            seen = lag(http_port, group)
            return seen is not None and set(seen) == {0, 1}

        wait_until(committed_and_seen, 60, lambda: f"Burrow lag for {group}: {lag(http_port, group)}; log: "
                   + (tmp_path / "burrow.log").read_text()[-2000:], interval=1)
        seen = lag(http_port, group)
        # Burrow asked for __consumer_offsets by name before any group existed: the topic must still be the
        # coordinator's (50 partitions), not an auto-created ordinary one.
        offsets = kafka_wire.metadata("127.0.0.1", broker.port, ["__consumer_offsets"])["topics"]["__consumer_offsets"]
        assert offsets["internal"] and len(offsets["partitions"]) == 50
        assert seen[0]["end"]["offset"] == 20 and seen[1]["end"]["offset"] == 45
        assert seen[0]["current_lag"] == 30 and seen[1]["current_lag"] == 5
    finally:
        burrow.terminate()
        burrow.wait(timeout=30)
