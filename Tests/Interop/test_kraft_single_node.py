"""A single KRaft node (process.roles=broker,controller, one voter) is a working Kafka, with real clients.

One node is formatted and started for the module (no ZooKeeper). Admin writes go to the in-process KRaft controller,
which appends metadata records; the broker follows the committed log into its metadata cache and replicas.
"""

from __future__ import annotations

import asyncio
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

from clients import aiokafka_consume, confluent_consume, confluent_produce, kafka_python_consume, kcat_consume
from conftest import HOST, NEEDLETAIL_BIN, TMP_ROOT, free_port, run_kcat, wait_for_leaders, wait_until

pytestmark = pytest.mark.needletail_only


def needletail(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEEDLETAIL_BIN), *args], capture_output=True, text=True, timeout=timeout)


class KRaftNode:
    def __init__(self, directory: Path):
        self.directory = directory
        self.port, self.controller_port = free_port(), free_port()
        self.bootstrap = f"{HOST}:{self.port}"
        self.config = directory / "server.properties"
        self.config.write_text(
            "process.roles=broker,controller\n"
            "node.id=1\n"
            f"controller.quorum.voters=1@{HOST}:{self.controller_port}\n"
            f"listeners=PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}\n"
            f"advertised.listeners=PLAINTEXT://{HOST}:{self.port}\n"
            "inter.broker.listener.name=PLAINTEXT\n"
            "controller.listener.names=CONTROLLER\n"
            f"log.dirs={directory}/data\n"
            "offsets.topic.replication.factor=1\n"
            "offsets.topic.num.partitions=3\n"
            "transaction.state.log.replication.factor=1\n"
            "transaction.state.log.min.isr=1\n"
            "transaction.state.log.num.partitions=3\n"
            "group.initial.rebalance.delay.ms=0\n")
        self.log = directory / "node.log"
        self.process: subprocess.Popen | None = None

    def format(self):
        cluster_id = needletail("storage", "random-uuid").stdout.strip()
        out = needletail("storage", "format", "-t", cluster_id, "-c", str(self.config))
        assert out.returncode == 0, out.stderr

    def start(self):
        self.process = subprocess.Popen([str(NEEDLETAIL_BIN), "broker", str(self.config)],
                                        stdout=self.log.open("ab"), stderr=subprocess.STDOUT)
        wait_until(self.is_ready, 60, self.tail)

    def is_ready(self) -> bool:
        assert self.process.poll() is None, f"the node exited: {self.tail()}"
        from confluent_kafka.admin import AdminClient
        try:
            md = AdminClient({"bootstrap.servers": self.bootstrap}).list_topics(timeout=2)
        except Exception:
            return False
        return 1 in md.brokers

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def node():
    d = Path(tempfile.mkdtemp(prefix="kraft-node-", dir=TMP_ROOT))
    n = KRaftNode(d)
    n.format()
    n.start()
    yield n
    n.stop()
    shutil.rmtree(d, ignore_errors=True)


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def cli(*args: str) -> subprocess.CompletedProcess:
    return needletail(*args, timeout=120)


def test_the_node_registers_itself_and_names_a_live_broker_as_controller(node):
    from confluent_kafka.admin import AdminClient

    md = AdminClient({"bootstrap.servers": node.bootstrap}).list_topics(timeout=10)
    assert list(md.brokers) == [1] and md.brokers[1].port == node.port
    assert md.controller_id == 1
    from kafka import KafkaAdminClient
    admin = KafkaAdminClient(bootstrap_servers=node.bootstrap)
    try:
        cluster = admin.describe_cluster()
    finally:
        admin.close()
    assert cluster["controller_id"] == 1 and [b["broker_id"] for b in cluster["brokers"]] == [1]


def test_topics_cli_creates_lists_describes_and_deletes_through_the_controller(node):
    name = fresh("cli")
    out = cli("topics", "--bootstrap-server", node.bootstrap, "--create", "--topic", name, "--partitions", "3",
              "--replication-factor", "1", "--config", "retention.ms=3600000")
    assert out.returncode == 0, out.stderr
    assert f"Created topic {name}." in out.stdout
    listed = cli("topics", "--bootstrap-server", node.bootstrap, "--list")
    assert name in listed.stdout.split()
    described = cli("topics", "--bootstrap-server", node.bootstrap, "--describe", "--topic", name)
    assert described.returncode == 0, described.stderr
    assert "PartitionCount: 3" in described.stdout and "retention.ms=3600000" in described.stdout
    assert described.stdout.count("Leader: 1") == 3

    again = cli("topics", "--bootstrap-server", node.bootstrap, "--create", "--topic", name)
    assert again.returncode != 0 and "already exists" in again.stdout + again.stderr

    grown = cli("topics", "--bootstrap-server", node.bootstrap, "--alter", "--topic", name, "--partitions", "5")
    assert grown.returncode == 0, grown.stderr
    wait_for_leaders(node.bootstrap, name, 5)

    deleted = cli("topics", "--bootstrap-server", node.bootstrap, "--delete", "--topic", name)
    assert deleted.returncode == 0, deleted.stderr
    wait_until(lambda: name not in cli("topics", "--bootstrap-server", node.bootstrap, "--list").stdout.split(),
               30, f"{name} still listed")


def test_topic_configs_are_altered_through_the_controller(node):
    from confluent_kafka.admin import AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewTopic

    admin = AdminClient({"bootstrap.servers": node.bootstrap})
    name = fresh("cfg")
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(30)
    resource = ConfigResource(ConfigResource.Type.TOPIC, name, incremental_configs=[
        ConfigEntry("cleanup.policy", "compact", incremental_operation=AlterConfigOpType.SET)])
    admin.incremental_alter_configs([resource])[resource].result(30)
    described = admin.describe_configs([ConfigResource(ConfigResource.Type.TOPIC, name)])
    entries = list(described.values())[0].result(30)
    assert entries["cleanup.policy"].value == "compact"


@pytest.mark.parametrize("writer", ["kcat", "confluent-kafka", "kafka-python", "aiokafka"])
def test_every_client_produces_and_the_others_read_it_back(node, writer):
    topic = fresh(f"rt-{writer}")
    assert cli("topics", "--bootstrap-server", node.bootstrap, "--create", "--topic", topic, "--partitions",
               "1").returncode == 0
    wait_for_leaders(node.bootstrap, topic, 1)
    messages = [(f"k{i}".encode(), f"{writer}-{i}".encode()) for i in range(50)]
    if writer == "kcat":
        out = subprocess.run(["kcat", "-P", "-b", node.bootstrap, "-t", topic, "-p", "0", "-K", "\t"],
                             input=b"".join(k + b"\t" + v + b"\n" for k, v in messages), capture_output=True,
                             timeout=120)
        assert out.returncode == 0, out.stderr
    elif writer == "confluent-kafka":
        confluent_produce(node.bootstrap, topic, [(k, v, None, 0) for k, v in messages])
    elif writer == "kafka-python":
        from kafka import KafkaProducer
        producer = KafkaProducer(bootstrap_servers=node.bootstrap, acks="all")
        try:
            for f in [producer.send(topic, key=k, value=v, partition=0) for k, v in messages]:
                f.get(timeout=60)
        finally:
            producer.close()
    else:
        from aiokafka import AIOKafkaProducer

        async def run():
            producer = AIOKafkaProducer(bootstrap_servers=node.bootstrap, acks="all")
            await producer.start()
            try:
                await asyncio.gather(*[await producer.send(topic, key=k, value=v, partition=0) for k, v in messages])
            finally:
                await producer.stop()

        asyncio.run(run())
    want = [v for _, v in messages]
    assert [m.value for m in kcat_consume(node.bootstrap, topic)] == want
    assert [m.value for m in confluent_consume(node.bootstrap, topic, [0], 50)] == want
    assert [m.value for m in kafka_python_consume(node.bootstrap, topic, [0], 50)] == want
    assert [m.value for m in aiokafka_consume(node.bootstrap, topic, [0], 50)] == want


def test_a_consumer_group_commits_offsets_in_consumer_offsets_created_by_the_controller(node):
    from confluent_kafka import Consumer

    topic, group = fresh("grp"), fresh("g")
    assert cli("topics", "--bootstrap-server", node.bootstrap, "--create", "--topic", topic, "--partitions",
               "2").returncode == 0
    wait_for_leaders(node.bootstrap, topic, 2)
    confluent_produce(node.bootstrap, topic, [(None, b"m%d" % i, None, i % 2) for i in range(20)])
    consumer = Consumer({"bootstrap.servers": node.bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False})
    try:
        consumer.subscribe([topic])
        seen = []
        deadline = time.monotonic() + 60
        while len(seen) < 20 and time.monotonic() < deadline:
            for m in consumer.consume(20, 1.0):
                assert m.error() is None, m.error()
                seen.append(m.value())
        assert len(seen) == 20
        consumer.commit(asynchronous=False)
    finally:
        consumer.close()
    described = cli("consumer-groups", "--bootstrap-server", node.bootstrap, "--describe", "--group", group)
    assert described.returncode == 0, described.stderr
    rows = [line.split() for line in described.stdout.splitlines() if line.startswith(group)]
    assert sorted((r[1], r[2], r[3]) for r in rows) == [(topic, "0", "10"), (topic, "1", "10")]
    listed = cli("topics", "--bootstrap-server", node.bootstrap, "--list")
    assert "__consumer_offsets" in listed.stdout.split()


def test_a_transactional_producer_commits_and_read_committed_sees_only_committed(node):
    from confluent_kafka import Producer

    topic = fresh("txn")
    assert cli("topics", "--bootstrap-server", node.bootstrap, "--create", "--topic", topic).returncode == 0
    wait_for_leaders(node.bootstrap, topic, 1)
    p = Producer({"bootstrap.servers": node.bootstrap, "transactional.id": fresh("tx"), "linger.ms": 5})
    p.init_transactions(60)
    p.begin_transaction()
    for i in range(10):
        p.produce(topic, value=b"committed-%d" % i)
    p.commit_transaction(60)
    p.begin_transaction()
    p.produce(topic, value=b"aborted")
    p.flush(30)
    p.abort_transaction(60)
    # kcat is librdkafka and reads read_committed by default.
    out = run_kcat(["-b", node.bootstrap, "-C", "-t", topic, "-e", "-q", "-f", "%s\\n"])
    assert out.stdout.split() == [b"committed-%d" % i for i in range(10)]


def test_a_restart_keeps_topics_and_data(node):
    topic = fresh("restart")
    assert cli("topics", "--bootstrap-server", node.bootstrap, "--create", "--topic", topic).returncode == 0
    wait_for_leaders(node.bootstrap, topic, 1)
    confluent_produce(node.bootstrap, topic, [(None, b"before-%d" % i, None, 0) for i in range(5)])
    node.stop()
    node.start()
    wait_until(lambda: topic in cli("topics", "--bootstrap-server", node.bootstrap, "--list").stdout.split(), 30,
               f"{topic} is gone after the restart")
    assert [m.value for m in kcat_consume(node.bootstrap, topic)] == [b"before-%d" % i for i in range(5)]
