"""A KRaft cluster with separate roles: one controller-only node (process.roles=controller, the whole metadata
quorum) and two broker-only nodes (process.roles=broker, observers of the quorum). The brokers register with the
controller over their one channel to it, forward admin writes to it, replicate data between themselves and appear
as observers in DescribeQuorum; the controller serves no client.

One cluster for the whole module, its tests in order; the last one kills a broker.
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
from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaAdminClient

from conftest import HOST, NEEDLETAIL_BIN, TMP_ROOT, free_port, run_kcat, wait_until

pytestmark = pytest.mark.needletail_only

CONTROLLER = 1
BROKERS = (2, 3)
NODES = (CONTROLLER, *BROKERS)


def needletail(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEEDLETAIL_BIN), *args], capture_output=True, text=True, timeout=timeout)


class SplitCluster:
    def __init__(self, directory: Path):
        self.directory = directory
        self.controller_port = free_port()
        self.broker_ports = {n: free_port() for n in BROKERS}
        voters = f"{CONTROLLER}@{HOST}:{self.controller_port}"
        cluster_id = needletail("storage", "random-uuid").stdout.strip()
        common = (f"controller.quorum.voters={voters}\ncontroller.listener.names=CONTROLLER\n"
                  "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n")
        self.configs: dict[int, Path] = {}
        self.processes: dict[int, subprocess.Popen | None] = {n: None for n in NODES}
        texts = {CONTROLLER: (f"process.roles=controller\nnode.id={CONTROLLER}\n" + common
                              + f"listeners=CONTROLLER://{HOST}:{self.controller_port}\n"
                              # Fence a silent broker sooner than Kafka's 9 s, so the kill test stays short.
                              + f"broker.session.timeout.ms=4000\nlog.dirs={directory}/data-{CONTROLLER}\n")}
        for n in BROKERS:
            texts[n] = (f"process.roles=broker\nnode.id={n}\n" + common
                        + f"listeners=PLAINTEXT://{HOST}:{self.broker_ports[n]}\n"
                        + f"advertised.listeners=PLAINTEXT://{HOST}:{self.broker_ports[n]}\n"
                        + "inter.broker.listener.name=PLAINTEXT\nbroker.heartbeat.interval.ms=500\n"
                        + "offsets.topic.replication.factor=2\ntransaction.state.log.replication.factor=2\n"
                        + "transaction.state.log.min.isr=1\ngroup.initial.rebalance.delay.ms=0\n"
                        + f"replica.lag.time.max.ms=10000\nlog.dirs={directory}/data-{n}\n")
        for n, text in texts.items():
            config = directory / f"node-{n}.properties"
            config.write_text(text)
            out = needletail("storage", "format", "-t", cluster_id, "-c", str(config))
            assert out.returncode == 0, out.stderr
            self.configs[n] = config

    def log(self, n: int) -> Path:
        return self.directory / f"node-{n}.log"

    def start(self, n: int) -> None:
        self.processes[n] = subprocess.Popen([str(NEEDLETAIL_BIN), "broker", str(self.configs[n])],
                                             stdout=self.log(n).open("ab"), stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)

    def kill9(self, n: int) -> None:
        p = self.processes[n]
        if p and p.poll() is None:
            p.kill()
            p.wait()

    def stop_all(self) -> None:
        for n in (*BROKERS, CONTROLLER):
            p = self.processes[n]
            if p and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(30)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()

    def bootstrap(self, nodes=BROKERS) -> str:
        return ",".join(f"{HOST}:{self.broker_ports[n]}" for n in nodes)

    def logs(self) -> str:
        return "\n".join(f"--- node {n}\n" + self.log(n).read_text(errors="replace")[-2500:] for n in NODES
                         if self.log(n).exists())

    def brokers(self, via: int) -> list[int]:
        try:
            md = AdminClient({"bootstrap.servers": self.bootstrap([via])}).list_topics(timeout=5)
        except Exception:
            return []
        return sorted(md.brokers)

    def leaders(self, topic: str, via: int) -> dict[int, int]:
        try:
            md = AdminClient({"bootstrap.servers": self.bootstrap([via])}).list_topics(topic=topic, timeout=5)
        except Exception:
            return {}
        t = md.topics.get(topic)
        if t is None or t.error is not None:
            return {}
        return {p.id: p.leader for p in t.partitions.values()}


@pytest.fixture(scope="module")
def split():
    directory = Path(tempfile.mkdtemp(prefix="kraft-split-", dir=TMP_ROOT))
    cluster = SplitCluster(directory)
    for n in NODES:
        cluster.start(n)
    # Both brokers registered with the controller and were unfenced: each lists both.
    for n in BROKERS:
        wait_until(lambda n=n: cluster.brokers(n) == list(BROKERS), 60, cluster.logs)
    yield cluster
    cluster.stop_all()
    shutil.rmtree(directory, ignore_errors=True)


def test_kcat_lists_the_two_brokers_and_not_the_controller(split):
    out = run_kcat(["-b", split.bootstrap([BROKERS[0]]), "-L", "-m", "10"])
    assert out.returncode == 0, out.stderr
    text = out.stdout.decode()
    assert " 2 brokers:" in text, text
    for n in BROKERS:
        assert f"broker {n} at {HOST}:{split.broker_ports[n]}" in text
    assert f"broker {CONTROLLER} at" not in text


def test_topics_with_replication_factor_2_are_created_through_either_broker(split):
    for via in BROKERS:
        name = f"split-created-via-{via}-{uuid.uuid4().hex[:6]}"
        admin = AdminClient({"bootstrap.servers": split.bootstrap([via])})
        admin.create_topics([NewTopic(name, 2, 2)], operation_timeout=30)[name].result(timeout=60)
        for n in BROKERS:
            leaders = wait_until(lambda n=n: split.leaders(name, n), 30, split.logs)
            assert sorted(leaders) == [0, 1] and set(leaders.values()) <= set(BROKERS)


def test_acks_all_records_come_back_from_a_replicated_topic(split):
    name = f"split-acks-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": split.bootstrap()})
    admin.create_topics(
        [NewTopic(name, 2, 2, config={"min.insync.replicas": "2"})], operation_timeout=30)[name].result(timeout=60)
    wait_until(lambda: len(split.leaders(name, BROKERS[1])) == 2, 30, split.logs)
    producer = Producer({"bootstrap.servers": split.bootstrap(), "acks": "all", "enable.idempotence": True})
    failures = []
    for i in range(200):
        producer.produce(name, key=str(i).encode(), value=f"v{i}".encode(),
                         on_delivery=lambda err, _msg: err and failures.append(err))
    assert producer.flush(60) == 0
    assert failures == []
    consumer = Consumer({"bootstrap.servers": split.bootstrap(), "group.id": f"g-{name}",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([name])
    seen = set()
    deadline = time.monotonic() + 60
    while len(seen) < 200 and time.monotonic() < deadline:
        msg = consumer.poll(1.0)
        if msg is not None and msg.error() is None:
            seen.add(msg.value().decode())
    consumer.close()
    assert seen == {f"v{i}" for i in range(200)}


def test_describe_quorum_shows_one_voter_and_the_brokers_as_observers(split):
    def observers():
        admin = KafkaAdminClient(bootstrap_servers=split.bootstrap([BROKERS[0]]))
        try:
            return admin.describe_metadata_quorum()
        finally:
            admin.close()

    described = wait_until(
        lambda: (q := observers()) and len(q["topics"][0]["partitions"][0]["observers"]) == 2 and q, 30, split.logs)
    partition = described["topics"][0]["partitions"][0]
    assert partition["leader_id"] == CONTROLLER
    assert [v["replica_id"] for v in partition["current_voters"]] == [CONTROLLER]
    assert sorted(o["replica_id"] for o in partition["observers"]) == list(BROKERS)

    out = needletail("metadata-quorum", "--bootstrap-server", split.bootstrap([BROKERS[1]]), "describe",
                     "--replication")
    assert out.returncode == 0, out.stderr
    rows = {line.split()[0]: line.split()[-1] for line in out.stdout.splitlines()[1:] if line.strip()}
    assert rows == {str(CONTROLLER): "Leader", **{str(n): "Observer" for n in BROKERS}}, out.stdout

    # The controller answers the tool directly too (--bootstrap-controller: DescribeQuorum and, for the cluster id,
    # DescribeCluster for controllers, KIP-919).
    out = needletail("metadata-quorum", "--bootstrap-controller", f"{HOST}:{split.controller_port}", "describe",
                     "--status")
    assert out.returncode == 0, out.stderr
    status = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)}
    assert status["LeaderId"] == str(CONTROLLER) and len(status["ClusterId"]) == 22, out.stdout


def test_the_controller_serves_no_client_requests(split):
    # Kafka's controllers answer ApiVersions without Metadata: librdkafka gives up at once.
    out = run_kcat(["-b", f"{HOST}:{split.controller_port}", "-L", "-m", "5"], timeout=30)
    assert out.returncode != 0
    assert b"not supported" in out.stderr, out.stderr


def test_kill_9_of_a_broker_moves_its_leaderships_to_the_other(split):
    name = f"split-kill-{uuid.uuid4().hex[:6]}"
    admin = AdminClient({"bootstrap.servers": split.bootstrap()})
    admin.create_topics([NewTopic(name, 4, 2)], operation_timeout=30)[name].result(timeout=60)
    survivor, victim = BROKERS
    before = wait_until(lambda: (l := split.leaders(name, survivor)) and len(l) == 4 and l, 30, split.logs)
    assert victim in before.values()
    split.kill9(victim)
    after = wait_until(
        lambda: (l := split.leaders(name, survivor)) and set(l.values()) == {survivor} and l, 60, split.logs)
    assert sorted(after) == [0, 1, 2, 3]
    assert wait_until(lambda: split.brokers(survivor) == [survivor], 30, split.logs)
