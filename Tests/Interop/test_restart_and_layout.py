"""Restarts keep topics, configs and data; the on-disk layout and the znodes are Kafka's."""

import json
import re

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource

from clients import confluent_produce, kafka_python_consume
from conftest import create_topic, wait_for_leaders
from kafka_log import read_batches

pytestmark = pytest.mark.needletail_only

TOPIC = "durable"
COUNT = 2_000


@pytest.fixture(scope="module")
def loaded(broker):
    create_topic(broker.bootstrap, TOPIC, partitions=2, config={"retention.ms": "7200000", "cleanup.policy": "delete"})
    msgs = [(b"k%d" % i, b"durable-%d" % i) for i in range(COUNT)]
    acked = confluent_produce(broker.bootstrap, TOPIC, msgs)
    return sorted((m.partition, m.offset, m.value) for m in acked)


def _check_everything_is_back(broker, expected):
    wait_for_leaders(broker.bootstrap, TOPIC, 2)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    res = ConfigResource(ConfigResource.Type.TOPIC, TOPIC)
    assert admin.describe_configs([res])[res].result(timeout=30)["retention.ms"].value == "7200000"
    got = kafka_python_consume(broker.bootstrap, TOPIC, [0, 1], COUNT)
    assert sorted((m.partition, m.offset, m.value) for m in got) == expected


def _zk(cluster):
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=cluster.zk_connect)
    zk.start(timeout=20)
    return zk


def test_clean_restart_keeps_topics_configs_and_data(broker, loaded):
    assert broker.stop() == 0, "SIGTERM should end the broker with exit code 0"
    broker.start()
    _check_everything_is_back(broker, loaded)


def test_kill_9_restart_keeps_topics_configs_and_data(broker, loaded):
    broker.kill9()
    broker.start()
    _check_everything_is_back(broker, loaded)


def test_kill_9_restart_closes_the_old_zookeeper_session_and_registers_with_a_new_broker_epoch(broker, cluster, loaded):
    """Kafka's restarted broker waits for its dead process's session to expire; ours resumes that session with the
    credentials kept in its log directory and closes it, so /brokers/ids/<id> is re-created at once with a new
    czxid (broker epoch): the controller sees a bounced broker, never one that kept its state."""
    zk = _zk(cluster)
    try:
        _, before = zk.get(f"/brokers/ids/{broker.broker_id}")
        session_file = broker.log_dir / "zookeeper-session"
        assert session_file.exists() and (session_file.stat().st_mode & 0o777) == 0o600
        assert f"session.id={before.ephemeralOwner:x}" in session_file.read_text()
        broker.kill9()
        broker.start()
        _, after = zk.get(f"/brokers/ids/{broker.broker_id}")
        assert after.czxid != before.czxid and after.ephemeralOwner != before.ephemeralOwner
        assert f"closed ZooKeeper session 0x{before.ephemeralOwner:x}" in broker.log_tail()
        assert "waiting up to" not in broker.log_tail(), "the broker waited for its old session to expire"
        _check_everything_is_back(broker, loaded)
    finally:
        zk.stop()


def test_partition_directories_hold_kafka_segment_and_index_files(broker, loaded):
    for p in range(2):
        d = broker.log_dir / f"{TOPIC}-{p}"
        names = {f.name for f in d.iterdir()}
        for suffix in (".log", ".index", ".timeindex"):
            assert "00000000000000000000" + suffix in names, f"{d} lacks {suffix}: {sorted(names)}"
        batches, leftover = read_batches(d / "00000000000000000000.log")
        assert leftover == 0 and all(b.crc_ok for b in batches)
        assert sum(b.records for b in batches) == sum(1 for row in loaded if row[0] == p)


def test_clean_shutdown_writes_meta_properties_and_checkpoint_files(broker, cluster, loaded):
    assert broker.stop() == 0
    try:
        meta = dict(line.split("=", 1) for line in (broker.log_dir / "meta.properties").read_text().splitlines()
                    if line and not line.startswith("#"))
        assert meta["version"] == "0"
        assert meta["broker.id"] == str(broker.broker_id)
        zk = _zk(cluster)
        try:
            assert meta["cluster.id"] == json.loads(zk.get("/cluster/id")[0])["id"]
        finally:
            zk.stop()
        for name in ("recovery-point-offset-checkpoint", "replication-offset-checkpoint",
                     "log-start-offset-checkpoint"):
            lines = (broker.log_dir / name).read_text().splitlines()
            assert lines[0] == "0", name
            assert int(lines[1]) == len(lines) - 2, name
            entries = {(t, int(p)): int(o) for t, p, o in (line.split(" ") for line in lines[2:])}
            if name != "log-start-offset-checkpoint":
                for p in range(2):
                    hw = sum(1 for row in loaded if row[0] == p)
                    assert entries.get((TOPIC, p)) == hw, f"{name}: {entries}"
    finally:
        broker.start()


def test_znodes_follow_kafkas_layout(broker, cluster, loaded):
    zk = _zk(cluster)
    try:
        reg = json.loads(zk.get(f"/brokers/ids/{broker.broker_id}")[0])
        assert reg["endpoints"] == [f"PLAINTEXT://{broker.bootstrap}"]
        assert reg["host"] == "127.0.0.1" and reg["port"] == broker.port
        assert reg["version"] >= 4 and re.fullmatch(r"\d+", reg["timestamp"])
        assert reg["listener_security_protocol_map"] == {"PLAINTEXT": "PLAINTEXT"}
        assert zk.get(f"/brokers/ids/{broker.broker_id}")[1].ephemeralOwner != 0

        topic = json.loads(zk.get(f"/brokers/topics/{TOPIC}")[0])
        assert topic["partitions"] == {"0": [broker.broker_id], "1": [broker.broker_id]}
        for p in range(2):
            state = json.loads(zk.get(f"/brokers/topics/{TOPIC}/partitions/{p}/state")[0])
            assert state["leader"] == broker.broker_id and state["isr"] == [broker.broker_id]

        config = json.loads(zk.get(f"/config/topics/{TOPIC}")[0])
        assert config["config"]["retention.ms"] == "7200000"

        controller = json.loads(zk.get("/controller")[0])
        assert controller["brokerid"] == broker.broker_id
        assert int(zk.get("/controller_epoch")[0]) >= 1
        cluster_id = json.loads(zk.get("/cluster/id")[0])
        assert cluster_id["version"] == "1" and len(cluster_id["id"]) == 22
        for path in ("/brokers/seqid", "/config/changes", "/admin/delete_topics", "/isr_change_notification"):
            assert zk.exists(path), path
    finally:
        zk.stop()
