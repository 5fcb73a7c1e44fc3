"""KRaft mode: admin writes sent to any node of a three-node KRaft cluster reach the active controller.

A node whose controller is not the active one forwards CreateTopics, DeleteTopics, CreatePartitions, AlterConfigs,
IncrementalAlterConfigs and AllocateProducerIds to the active controller's controller listener (Kafka's
broker-to-controller forwarding, answered by `ControllerApis`), then answers its client once its own metadata
image shows the result. One cluster of three combined nodes (process.roles=broker,controller) for the module.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic as CkNewTopic
from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic

from conftest import HOST, NEEDLETAIL_BIN, TMP_ROOT, free_port, wait_until

pytestmark = pytest.mark.needletail_only


def needletail(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEEDLETAIL_BIN), *args], capture_output=True, text=True, timeout=timeout)


class KRaftCluster:
    def __init__(self, directory: Path):
        self.directory = directory
        self.broker_ports = {n: free_port() for n in (1, 2, 3)}
        controller_ports = {n: free_port() for n in (1, 2, 3)}
        voters = ",".join(f"{n}@{HOST}:{p}" for n, p in controller_ports.items())
        cluster_id = needletail("storage", "random-uuid").stdout.strip()
        self.processes: dict[int, subprocess.Popen] = {}
        self.logs = {n: directory / f"node-{n}.log" for n in (1, 2, 3)}
        for n in (1, 2, 3):
            config = directory / f"node-{n}.properties"
            config.write_text(
                f"process.roles=broker,controller\nnode.id={n}\ncontroller.quorum.voters={voters}\n"
                f"listeners=PLAINTEXT://{HOST}:{self.broker_ports[n]},CONTROLLER://{HOST}:{controller_ports[n]}\n"
                f"controller.listener.names=CONTROLLER\nlog.dirs={directory}/data-{n}\n"
                f"offsets.topic.replication.factor=1\ntransaction.state.log.replication.factor=1\n"
                f"transaction.state.log.min.isr=1\n")
            out = needletail("storage", "format", "-t", cluster_id, "-c", str(config))
            assert out.returncode == 0, out.stderr
            self.processes[n] = subprocess.Popen([str(NEEDLETAIL_BIN), "broker", str(config)],
                                                 stdout=self.logs[n].open("ab"), stderr=subprocess.STDOUT)

    def bootstrap(self, n: int) -> str:
        return f"{HOST}:{self.broker_ports[n]}"

    def tail(self) -> str:
        return "\n".join(f"--- node {n}\n" + log.read_text()[-1500:] for n, log in self.logs.items() if log.exists())

    def leader(self) -> int | None:
        out = needletail("metadata-quorum", "--bootstrap-server", self.bootstrap(1), "describe", "--status")
        for line in out.stdout.splitlines():
            if line.startswith("LeaderId:") and line.split(":", 1)[1].strip() not in ("", "-1"):
                return int(line.split(":", 1)[1])
        return None

    def stop(self):
        for p in self.processes.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.processes.values():
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture(scope="module")
def kraft():
    directory = Path(tempfile.mkdtemp(prefix="kraft-fwd-", dir=TMP_ROOT))
    cluster = KRaftCluster(directory)
    try:
        wait_until(cluster.leader, 60, cluster.tail)
        # The active controller is up once a creation through it succeeds.
        wait_until(lambda: needletail("topics", "--bootstrap-server", cluster.bootstrap(cluster.leader()),
                                      "--create", "--topic", "ready", "--if-not-exists").returncode == 0,
                   60, cluster.tail, interval=0.5)
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(directory, ignore_errors=True)


def pinned_admin(bootstrap: str) -> KafkaAdminClient:
    """A kafka-python admin client whose every request goes to the node it bootstrapped from, the one under
    test, even where Kafka's clients would pick the controller Metadata names or the least loaded broker."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=40000)
    admin._controller_id = "bootstrap-0"
    admin._manager.least_loaded_node = lambda: "bootstrap-0"
    return admin


def topic_partitions(bootstrap: str, name: str) -> int | None:
    # All topics, not this one: a Metadata request naming a missing topic would auto-create it.
    md = AdminClient({"bootstrap.servers": bootstrap}).list_topics(timeout=10)
    t = md.topics.get(name)
    if t is None or t.error is not None:
        return None
    return len(t.partitions)


def test_each_node_creates_alters_extends_and_deletes_a_topic_through_the_active_controller(kraft):
    leader = kraft.leader()
    for n in (1, 2, 3):
        bootstrap = kraft.bootstrap(n)
        name = f"forwarded-{n}-{uuid.uuid4().hex[:6]}"
        admin = pinned_admin(bootstrap)
        try:
            admin.create_topics([NewTopic(name, 1, 1, topic_configs={"cleanup.policy": "compact"})])
            # The node answered once its own image had the topic: it is there at once.
            assert topic_partitions(bootstrap, name) == 1, f"node {n} (leader {leader})"

            resource = ConfigResource(ConfigResourceType.TOPIC, name, configs={"retention.ms": "123456"})
            admin.alter_configs([resource], incremental=False)
            admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, name,
                                                configs={"max.message.bytes": "65536"})], incremental=True)
            described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name)])
            configs = {k: v["value"] for k, v in described["topic"][name].items()}
            assert configs.get("retention.ms") == "123456", configs
            assert configs.get("max.message.bytes") == "65536", configs
            assert configs.get("cleanup.policy") == "compact", configs

            admin.create_partitions({name: NewPartitions(3)})
            assert topic_partitions(bootstrap, name) == 3

            admin.delete_topics([name])
            wait_until(lambda: topic_partitions(bootstrap, name) is None, 30, f"{name} still listed on node {n}")
        finally:
            admin.close()


def test_the_cli_and_confluent_kafka_create_and_delete_topics_through_every_node(kraft):
    for n in (1, 2, 3):
        bootstrap = kraft.bootstrap(n)
        cli_topic, ck_topic = f"cli-{n}-{uuid.uuid4().hex[:6]}", f"ck-{n}-{uuid.uuid4().hex[:6]}"
        out = needletail("topics", "--bootstrap-server", bootstrap, "--create", "--topic", cli_topic,
                         "--partitions", "2", "--replication-factor", "1")
        assert out.returncode == 0, out.stdout + out.stderr
        assert f"Created topic {cli_topic}." in out.stdout
        admin = AdminClient({"bootstrap.servers": bootstrap})
        admin.create_topics([CkNewTopic(ck_topic, 2, 1)], operation_timeout=30)[ck_topic].result(timeout=60)
        assert topic_partitions(bootstrap, ck_topic) == 2
        for future in admin.delete_topics([cli_topic, ck_topic], operation_timeout=30).values():
            future.result(timeout=60)


def test_idempotent_and_transactional_producers_on_a_non_controller_node_get_producer_ids(kraft):
    leader = kraft.leader()
    n = next(m for m in (1, 2, 3) if m != leader)
    bootstrap = kraft.bootstrap(n)
    topic = f"pid-{uuid.uuid4().hex[:6]}"
    admin = pinned_admin(bootstrap)
    try:
        admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        admin.close()

    idempotent = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    delivered = []
    idempotent.produce(topic, b"idempotent", on_delivery=lambda err, msg: delivered.append(err))
    assert idempotent.flush(60) == 0
    assert delivered == [None]

    transactional = Producer({"bootstrap.servers": bootstrap, "transactional.id": f"fwd-{uuid.uuid4().hex[:6]}"})
    transactional.init_transactions(60)
    transactional.begin_transaction()
    transactional.produce(topic, b"transactional")
    transactional.commit_transaction(60)
