"""A three-node KRaft cluster (three combined nodes, process.roles=broker,controller) is a three-broker Kafka:
every broker registers with the active controller over BrokerRegistration/BrokerHeartbeat, the controller fences
a broker whose heartbeats stop for broker.session.timeout.ms and moves its leaderships away, leaders shrink and
grow ISRs through AlterPartition, and real clients produce and consume across failures.

One cluster for the whole module, its tests in order. Topics are created through the node whose controller is
active: forwarding admin writes from any broker to the active controller is separate work.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewTopic
from kafka import KafkaConsumer

from conftest import HOST, NEEDLETAIL_BIN, TMP_ROOT, free_port, record_timing, run_kcat, wait_until

pytestmark = pytest.mark.needletail_only

NODES = (1, 2, 3)
# Kafka's defaults, which the failover figures are about.
SESSION_TIMEOUT_S = 9.0
ELECTION_TIMEOUT_S = 1.0
FETCH_TIMEOUT_S = 2.0


def needletail(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEEDLETAIL_BIN), *args], capture_output=True, text=True, timeout=timeout)


class KRaftCluster:
    def __init__(self, directory: Path):
        self.directory = directory
        self.broker_ports = {n: free_port() for n in NODES}
        self.controller_ports = {n: free_port() for n in NODES}
        voters = ",".join(f"{n}@{HOST}:{p}" for n, p in self.controller_ports.items())
        self.cluster_id = needletail("storage", "random-uuid").stdout.strip()
        self.processes: dict[int, subprocess.Popen | None] = {n: None for n in NODES}
        self.configs: dict[int, Path] = {}
        for n in NODES:
            config = directory / f"node-{n}.properties"
            config.write_text(
                f"process.roles=broker,controller\nnode.id={n}\ncontroller.quorum.voters={voters}\n"
                f"listeners=PLAINTEXT://{HOST}:{self.broker_ports[n]},CONTROLLER://{HOST}:{self.controller_ports[n]}\n"
                f"advertised.listeners=PLAINTEXT://{HOST}:{self.broker_ports[n]}\n"
                f"controller.listener.names=CONTROLLER\nlog.dirs={directory}/data-{n}\n"
                f"group.initial.rebalance.delay.ms=0\nreplica.lag.time.max.ms=10000\n")
            out = needletail("storage", "format", "-t", self.cluster_id, "-c", str(config))
            assert out.returncode == 0, out.stderr
            self.configs[n] = config

    def log(self, n: int) -> Path:
        return self.directory / f"node-{n}.log"

    def start(self, n: int) -> None:
        with self.log(n).open("ab") as out:
            out.write(f"\n===== start {time.strftime('%H:%M:%S')} =====\n".encode())
        self.processes[n] = subprocess.Popen([str(NEEDLETAIL_BIN), "broker", str(self.configs[n])],
                                             stdout=self.log(n).open("ab"), stderr=subprocess.STDOUT,
                                             stdin=subprocess.DEVNULL)

    def kill9(self, n: int) -> None:
        p = self.processes[n]
        if p and p.poll() is None:
            p.kill()
            p.wait()

    def stop(self, n: int, timeout: float = 30) -> None:
        p = self.processes[n]
        if p and p.poll() is None:
            p.send_signal(signal.SIGTERM)
            try:
                p.wait(timeout)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
                raise AssertionError(f"node {n} did not stop within {timeout}s after SIGTERM")

    def running(self) -> list[int]:
        return [n for n, p in self.processes.items() if p and p.poll() is None]

    def bootstrap(self, nodes: list[int] | None = None) -> str:
        return ",".join(f"{HOST}:{self.broker_ports[n]}" for n in (nodes or NODES))

    def logs(self) -> str:
        return "\n".join(f"--- node {n}\n" + self.log(n).read_text(errors="replace")[-2500:] for n in NODES
                         if self.log(n).exists())

    def active_controller(self, among: list[int] | None = None) -> int | None:
        """The quorum leader every running node names (the active controller)."""
        seen = set()
        for n in among or self.running():
            out = needletail("metadata-quorum", "--bootstrap-server", self.bootstrap([n]), "describe", "--status",
                             timeout=20)
            fields = dict(line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)
            seen.add(fields.get("LeaderId", "").strip())
        if len(seen) != 1 or next(iter(seen)) in ("", "-1"):
            return None
        return int(next(iter(seen)))

    def metadata(self, via: int, topic: str | None = None):
        admin = AdminClient({"bootstrap.servers": self.bootstrap([via])})
        return admin.list_topics(topic=topic, timeout=10)

    def partitions(self, via: int, topic: str) -> dict[int, tuple[int, list[int]]]:
        """partition → (leader, isr) as broker `via` reports them."""
        try:
            md = self.metadata(via, topic)
        except Exception:
            return {}
        t = md.topics.get(topic)
        if t is None or t.error is not None:
            return {}
        return {p.id: (p.leader, sorted(p.isrs)) for p in t.partitions.values()}

    def create_topic(self, name: str, partitions: int, replication: int = 3) -> None:
        controller = wait_until(self.active_controller, 60, self.logs)
        admin = AdminClient({"bootstrap.servers": self.bootstrap([controller])})
        futures = admin.create_topics([NewTopic(name, partitions, replication)], operation_timeout=30)
        futures[name].result(timeout=60)


@pytest.fixture(scope="module")
def kraft():
    directory = Path(tempfile.mkdtemp(prefix="kraft-cluster-", dir=TMP_ROOT))
    cluster = KRaftCluster(directory)
    for n in NODES:
        cluster.start(n)
    wait_until(lambda: cluster.active_controller(), 60, cluster.logs)
    yield cluster
    for n in NODES:
        try:
            cluster.stop(n)
        except AssertionError:
            pass
    shutil.rmtree(directory, ignore_errors=True)


class AcksAllProducer:
    """confluent-kafka with acks=all in a thread, recording every acknowledged value."""

    def __init__(self, cluster: KRaftCluster, topic: str):
        self.producer = Producer({"bootstrap.servers": cluster.bootstrap(), "acks": "all",
                                  "message.timeout.ms": 60000, "retry.backoff.ms": 100})
        self.topic = topic
        self.acked: set[bytes] = set()
        self.failed = 0
        self.running = True
        self.thread = threading.Thread(target=self.run, daemon=True)

    def delivered(self, err, msg):
        if err is None:
            self.acked.add(msg.value())
        else:
            self.failed += 1

    def run(self):
        i = 0
        while self.running:
            self.producer.produce(self.topic, value=f"{self.topic}-{i}".encode(), callback=self.delivered)
            self.producer.poll(0)
            i += 1
            time.sleep(0.005)
        self.producer.flush(90)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join(120)


def consume_all(cluster: KRaftCluster, topic: str, expected: set[bytes], timeout: float = 60) -> set[bytes]:
    """Every value of `topic` read by kafka-python, until the expected ones are all seen (or the time is up)."""
    consumer = KafkaConsumer(topic, bootstrap_servers=cluster.bootstrap(cluster.running()),
                             auto_offset_reset="earliest", enable_auto_commit=False, group_id=None,
                             consumer_timeout_ms=5000)
    seen: set[bytes] = set()
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not expected <= seen:
            batch = consumer.poll(timeout_ms=1000)
            for records in batch.values():
                seen.update(r.value for r in records)
    finally:
        consumer.close()
    return seen


def test_every_broker_registers_and_metadata_lists_three_brokers_and_a_controller_among_them(kraft):
    def listed():
        out = run_kcat(["-L", "-J", "-b", kraft.bootstrap([1]), "-m", "10"], timeout=30)
        if out.returncode != 0:
            return None
        md = json.loads(out.stdout)
        return md if sorted(b["id"] for b in md["brokers"]) == [1, 2, 3] else None

    md = wait_until(listed, 60, kraft.logs)
    assert md["controllerid"] in NODES
    brokers = {b["id"]: b["name"] for b in md["brokers"]}
    assert brokers == {n: f"{HOST}:{kraft.broker_ports[n]}" for n in NODES}
    # Every broker answers alike: confluent-kafka's admin client through each one sees the same three brokers.
    for n in NODES:
        seen = wait_until(lambda: sorted(kraft.metadata(n).brokers) == [1, 2, 3] and kraft.metadata(n), 30,
                          kraft.logs)
        assert seen.controller_id in NODES
    for n in NODES:
        assert "Successfully registered broker" in kraft.log(n).read_text()


def test_a_replication_factor_3_topic_spreads_leaders_and_round_trips_with_acks_all(kraft):
    kraft.create_topic("kraft-rf3", partitions=6)
    parts = wait_until(lambda: (p := kraft.partitions(1, "kraft-rf3")) and len(p) == 6
                       and all(l in NODES and isr == [1, 2, 3] for l, isr in p.values()) and p, 60, kraft.logs)
    assert {leader for leader, _ in parts.values()} == set(NODES)

    producer = Producer({"bootstrap.servers": kraft.bootstrap(), "acks": "all"})
    acked: list[bytes] = []
    for i in range(600):
        producer.produce("kraft-rf3", value=f"v{i}".encode(), key=str(i).encode(),
                         callback=lambda err, msg: err is None and acked.append(msg.value()))
    assert producer.flush(60) == 0
    assert len(acked) == 600
    assert consume_all(kraft, "kraft-rf3", set(acked)) >= set(acked)


def test_kill_9_of_a_broker_fences_it_moves_its_leaders_and_a_restart_rejoins_every_isr(kraft):
    kraft.create_topic("kraft-fence", partitions=6)
    wait_until(lambda: (p := kraft.partitions(1, "kraft-fence")) and len(p) == 6
               and all(isr == [1, 2, 3] for _, isr in p.values()), 60, kraft.logs)
    controller = wait_until(kraft.active_controller, 60, kraft.logs)
    victim = next(n for n in NODES if n != controller)
    witness = next(n for n in NODES if n not in (victim,))
    with AcksAllProducer(kraft, "kraft-fence") as producer:
        time.sleep(1)
        kraft.kill9(victim)
        killed = time.monotonic()
        moved = wait_until(lambda: (p := kraft.partitions(witness, "kraft-fence")) and len(p) == 6
                           and all(l != victim and l in NODES and victim not in isr for l, isr in p.values()) and p,
                           SESSION_TIMEOUT_S + 30, kraft.logs)
        record_timing(f"KRaft: leaders off a kill -9'd broker (session timeout {SESSION_TIMEOUT_S:.0f} s)",
                      time.monotonic() - killed)
        assert all(len(isr) == 2 for _, isr in moved.values())
        kraft.start(victim)
        wait_until(lambda: (p := kraft.partitions(witness, "kraft-fence")) and len(p) == 6
                   and all(isr == [1, 2, 3] for _, isr in p.values()), 90, kraft.logs)
    assert producer.acked
    assert consume_all(kraft, "kraft-fence", producer.acked) >= producer.acked


def test_kill_9_of_the_active_controller_elects_another_and_loses_no_acknowledged_write(kraft):
    kraft.create_topic("kraft-failover", partitions=3)
    wait_until(lambda: (p := kraft.partitions(1, "kraft-failover")) and len(p) == 3
               and all(isr == [1, 2, 3] for _, isr in p.values()), 60, kraft.logs)
    old = wait_until(kraft.active_controller, 60, kraft.logs)
    survivors = [n for n in NODES if n != old]
    with AcksAllProducer(kraft, "kraft-failover") as producer:
        time.sleep(1)
        kraft.kill9(old)
        killed = time.monotonic()
        new = wait_until(lambda: (c := kraft.active_controller(survivors)) and c != old and c, 60, kraft.logs)
        elected = time.monotonic() - killed
        record_timing(f"KRaft: new active controller after kill -9 of controller {old} (election timeout "
                      f"{ELECTION_TIMEOUT_S:.0f} s + fetch timeout {FETCH_TIMEOUT_S:.0f} s)", elected)
        assert new in survivors
        # Topics created meanwhile, through the new active controller's node.
        for i in range(3):
            kraft.create_topic(f"kraft-after-failover-{i}", partitions=2)
        wait_until(lambda: all(not l in (old, -1) for l, _ in kraft.partitions(new, "kraft-failover").values()),
                   SESSION_TIMEOUT_S + 30, kraft.logs)
        kraft.start(old)
        wait_until(lambda: (p := kraft.partitions(new, "kraft-failover")) and len(p) == 3
                   and all(isr == [1, 2, 3] for _, isr in p.values()), 90, kraft.logs)
    assert producer.acked
    assert consume_all(kraft, "kraft-failover", producer.acked) >= producer.acked
    topics = kraft.metadata(new).topics
    assert all(f"kraft-after-failover-{i}" in topics for i in range(3))


def test_sigterm_is_a_controlled_shutdown_that_moves_leaders_away_before_the_node_exits(kraft):
    controller = wait_until(kraft.active_controller, 60, kraft.logs)
    victim = next(n for n in NODES if n != controller)
    wait_until(lambda: (p := kraft.partitions(controller, "kraft-rf3")) and len(p) == 6
               and all(isr == [1, 2, 3] for _, isr in p.values()), 90, kraft.logs)
    kraft.stop(victim)
    assert "The controller has asked us to exit controlled shutdown." in kraft.log(victim).read_text()
    # The controller moved leadership and ISR membership off the node before it exited: the survivors' metadata
    # shows it (no wait for a session timeout), and the node is gone from the broker list.
    after = wait_until(lambda: (p := kraft.partitions(controller, "kraft-rf3")) and len(p) == 6
                       and all(l not in (victim, -1) and victim not in isr for l, isr in p.values()) and p, 30,
                       kraft.logs)
    assert all(len(isr) == 2 for _, isr in after.values())
    kraft.start(victim)
    wait_until(lambda: (p := kraft.partitions(controller, "kraft-rf3")) and len(p) == 6
               and all(isr == [1, 2, 3] for _, isr in p.values()), 90, kraft.logs)


def test_restarting_all_three_nodes_brings_back_every_broker_topic_and_record(kraft):
    before = {t for t in kraft.metadata(1).topics if t.startswith("kraft-")}
    for n in NODES:
        kraft.stop(n)
    for n in NODES:
        kraft.start(n)
    wait_until(kraft.active_controller, 60, kraft.logs)
    md = wait_until(lambda: (m := kraft.metadata(1)) and sorted(m.brokers) == [1, 2, 3]
                    and before <= set(m.topics) and m, 60, kraft.logs)
    assert md.controller_id in NODES
    wait_until(lambda: (p := kraft.partitions(1, "kraft-rf3")) and len(p) == 6
               and all(isr == [1, 2, 3] for _, isr in p.values()), 90, kraft.logs)
    values = {f"v{i}".encode() for i in range(600)}
    assert consume_all(kraft, "kraft-rf3", values) >= values
