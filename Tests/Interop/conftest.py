"""Fixtures that run real broker processes for the interop suite.

Each test module gets its own ZooKeeper chroot, its own temp dir for log.dirs and configs, and free ports.
Brokers are the release binary (`.build/release/needletail`, or $NEEDLETAIL_BIN). ZooKeeper comes from
$NEEDLETAIL_TEST_ZK (tools/test exports it) or is started here with tools/zookeeper.

To check the suite itself against another Kafka-compatible broker, set NEEDLETAIL_INTEROP_BACKEND=tansu and
NEEDLETAIL_TANSU_BIN=/path/to/tansu: tests marked `needletail_only` (ZooKeeper, disk layout, restarts,
config parsing) are skipped there.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import signal
import socket
from struct import error as struct_error
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

import kafka_wire

ROOT = Path(__file__).resolve().parents[2]
BACKEND = os.environ.get("NEEDLETAIL_INTEROP_BACKEND", "needletail")
# "kraft" runs every BrokerProcess as a single combined KRaft node instead of a ZooKeeper-mode broker.
METADATA_MODE = os.environ.get("NEEDLETAIL_INTEROP_METADATA", "zookeeper")
NEEDLETAIL_BIN = Path(os.environ.get("NEEDLETAIL_BIN", ROOT / ".build" / "release" / "needletail"))
TANSU_BIN = os.environ.get("NEEDLETAIL_TANSU_BIN", "tansu")
HOST = "127.0.0.1"
# tools/test points this at its private temp dir so it can clean up after a crashed run.
TMP_ROOT = os.environ.get("NEEDLETAIL_INTEROP_TMP") or None

_live_brokers: list["BrokerProcess"] = []


def pytest_configure(config):
    config.addinivalue_line("markers", "needletail_only: needs ZooKeeper, the on-disk log or restarts")
    config.addinivalue_line("markers", "kcat: drives Debian's kcat (librdkafka 2.0.2)")


def pytest_collection_modifyitems(config, items):
    if BACKEND == "needletail":
        return
    skip = pytest.mark.skip(reason=f"backend {BACKEND} has no ZooKeeper/disk state")
    # tansu 0.6 answers librdkafka 2.0.2's ApiVersions v3 with a body kcat cannot read ("Read underflow").
    skip_kcat = pytest.mark.skip(reason=f"backend {BACKEND} does not talk to librdkafka 2.0.2")
    for item in items:
        if "needletail_only" in item.keywords:
            item.add_marker(skip)
        if "kcat" in item.keywords:
            item.add_marker(skip_kcat)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for broker in list(_live_brokers):
            report.sections.append((f"broker {broker.broker_id} stdout ({broker.stdout_path})", broker.log_tail()))


_handed_out: set[int] = set()


def free_port() -> int:
    """A free port below the kernel's ephemeral range (32768+), so that an outgoing connection cannot take it
    between this check and the broker's bind, nor while a killed broker is being restarted on it. A port is handed
    out once per run: two brokers of one cluster are given their ports before either binds, and a stopped broker
    keeps its ports for its restart."""
    import random
    for _ in range(1000):
        port = random.randint(20000, 32000)
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    raise RuntimeError("no free port below 32768")


def free_port_block(count: int) -> int:
    """The first of `count` consecutive free ports below 32768 (a ZooKeeper ensemble needs 3 per node)."""
    import random
    for _ in range(1000):
        base = random.randint(20000, 32000 - count)
        if any(p in _handed_out for p in range(base, base + count)):
            continue
        socks = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                socks.append(s)
                s.bind((HOST, port))
        except OSError:
            continue
        finally:
            for s in socks:
                s.close()
        _handed_out.update(range(base, base + count))
        return base
    raise RuntimeError(f"no block of {count} free ports below 32768")


def zookeeper_tool() -> Path:
    tool = ROOT / "tools" / "zookeeper"
    return tool if tool.exists() else ROOT / "tools" / "lib" / "zookeeper-mini"


@pytest.fixture(scope="session")
def zookeeper():
    """The ZooKeeper connect string (no chroot) shared by the whole run."""
    if BACKEND != "needletail":
        yield None
        return
    existing = os.environ.get("NEEDLETAIL_TEST_ZK")
    if existing:
        yield existing
        return
    zk_dir = Path(tempfile.mkdtemp(prefix="interop-zk-", dir=TMP_ROOT))
    port = free_port()
    out = subprocess.run([str(zookeeper_tool()), "start", "--dir", str(zk_dir), "--port", str(port)],
                         capture_output=True, text=True, timeout=90)
    if out.returncode != 0:
        pytest.fail(f"could not start ZooKeeper: {out.stderr.strip()}")
    try:
        yield out.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(zookeeper_tool()), "stop", "--dir", str(zk_dir)], timeout=60)
        shutil.rmtree(zk_dir, ignore_errors=True)


class BrokerProcess:
    """One broker process with a fixed config; can be stopped, killed and restarted with the same config."""

    def __init__(self, cluster: "Cluster", broker_id: int, overrides: dict[str, str] | None = None,
                 env: dict[str, str] | None = None):
        self.cluster = cluster
        # Tansu has a fixed node id; needletail uses broker.id.
        self.broker_id = 111 if BACKEND == "tansu" else broker_id
        self.port = free_port()
        self.dir = cluster.dir / f"broker-{broker_id}"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log_dir = self.dir / "data"
        self.config_path = self.dir / "server.properties"
        self.stdout_path = self.dir / "stdout.log"
        self.extra_env = dict(env or {})
        self.props = {
            "broker.id": str(broker_id),
            "listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "advertised.listeners": f"PLAINTEXT://{HOST}:{self.port}",
            "log.dirs": str(self.log_dir),
            "zookeeper.connect": cluster.zk_connect or "",
            "num.partitions": "1",
            "default.replication.factor": "1",
            "offsets.topic.replication.factor": "1",
            "auto.create.topics.enable": "true",
            "group.initial.rebalance.delay.ms": "0",
        }
        self.props.update(overrides or {})
        if METADATA_MODE == "kraft":
            self._as_kraft_node(broker_id)
        self.proc: subprocess.Popen | None = None
        self._stdout = None

    def _as_kraft_node(self, node_id: int) -> None:
        """NEEDLETAIL_INTEROP_METADATA=kraft: this broker is a combined KRaft node, a one-voter quorum of its own,
        formatted on first start from CLUSTER_ID as the images do. Meant for single-broker modules."""
        controller_port = free_port()
        self.props.update({
            "zookeeper.connect": None, "broker.id": None, "process.roles": "broker,controller",
            "node.id": str(node_id), "controller.quorum.voters": f"{node_id}@{HOST}:{controller_port}",
            "listeners": f"PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{controller_port}",
            "controller.listener.names": "CONTROLLER",
        })
        cluster_id = base64.urlsafe_b64encode(uuid.uuid5(uuid.NAMESPACE_URL, self.cluster.name).bytes)
        self.extra_env.setdefault("CLUSTER_ID", "A" + cluster_id.decode().rstrip("=")[1:])

    @property
    def bootstrap(self) -> str:
        return f"{HOST}:{self.port}"

    def write_config(self) -> None:
        lines = [f"{k}={v}" for k, v in self.props.items() if v is not None]
        self.config_path.write_text("\n".join(lines) + "\n")

    def command(self) -> list[str]:
        if BACKEND == "tansu":
            url = f"tcp://{HOST}:{self.port}"
            return [TANSU_BIN, "broker", "--listener-url", url, "--advertised-listener-url", url,
                    "--cluster-id", self.cluster.name]
        return [str(NEEDLETAIL_BIN), "broker", str(self.config_path)]

    def environment(self) -> dict[str, str]:
        # A clean environment: a stray KAFKA_* variable from the caller must not change the config under test.
        env = {k: v for k, v in os.environ.items() if not k.startswith("KAFKA_")}
        env.update(self.extra_env)
        return env

    def start(self, wait: bool = True, timeout: float = 60) -> "BrokerProcess":
        if BACKEND == "needletail" and not NEEDLETAIL_BIN.exists():
            pytest.fail(f"broker binary {NEEDLETAIL_BIN} is missing: swift build -c release --product needletail")
        self.write_config()
        self._stdout = open(self.stdout_path, "ab")
        self._stdout.write(f"\n===== start {time.strftime('%H:%M:%S')} =====\n".encode())
        self._stdout.flush()
        self.proc = subprocess.Popen(self.command(), stdout=self._stdout, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=self.environment(), cwd=self.dir)
        if self not in _live_brokers:
            _live_brokers.append(self)
        if wait:
            self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise AssertionError(f"broker {self.broker_id} exited with {self.proc.returncode}:\n{self.log_tail()}")
            if kafka_wire.answers_metadata(HOST, self.port) and self._lists_itself():
                return
            time.sleep(0.1)
        raise AssertionError(f"broker {self.broker_id} not ready after {timeout}s:\n{self.log_tail()}")

    def _lists_itself(self) -> bool:
        """A broker answers Metadata as soon as it listens, but with an empty broker list until its metadata cache
        has caught up; a client that bootstraps in that window (librdkafka's admin client, for one) can wait for
        minutes. Ready therefore means: its Metadata names this broker."""
        if BACKEND != "needletail":
            return True
        try:
            return self.broker_id in kafka_wire.metadata(HOST, self.port, [])["brokers"]
        except (OSError, ValueError, ConnectionError, struct_error):
            return False

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait; a broker that does not stop in time is killed and the test fails."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"broker {self.broker_id} ignored SIGTERM for {timeout}s")
        return self._finish()

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self._finish()

    def pause(self) -> None:
        """SIGSTOP: the process keeps its sockets but answers nothing; its ZooKeeper session expires."""
        if self.running():
            self.proc.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.running():
            self.proc.send_signal(signal.SIGCONT)

    def paused(self) -> bool:
        if not self.running():
            return False
        try:
            return Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"
        except OSError:
            return False

    def restart(self, kill: bool = False, timeout: float = 60) -> "BrokerProcess":
        if kill:
            self.kill9()
        else:
            self.stop()
        return self.start(timeout=timeout)

    def _finish(self) -> int:
        code = self.proc.returncode if self.proc is not None else 0
        if self._stdout is not None:
            self._stdout.close()
            self._stdout = None
        return code

    def log_tail(self, limit: int = 20000) -> str:
        try:
            return self.stdout_path.read_bytes()[-limit:].decode(errors="replace")
        except OSError:
            return "(no broker output)"

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Cluster:
    """A temp dir plus a fresh ZooKeeper chroot; brokers started here are stopped at teardown."""

    def __init__(self, name: str, zk: str | None):
        self.name = name
        self.dir = Path(tempfile.mkdtemp(prefix=f"interop-{name}-", dir=TMP_ROOT))
        self.chroot = f"/interop-{name}-{secrets.token_hex(4)}"
        self.zk_connect = f"{zk}{self.chroot}" if zk else None
        self.zk_hosts = zk
        self.brokers: dict[int, BrokerProcess] = {}

    def broker(self, broker_id: int = 1, overrides: dict[str, str] | None = None,
               env: dict[str, str] | None = None, start: bool = True) -> BrokerProcess:
        b = BrokerProcess(self, broker_id, overrides, env)
        self.brokers[broker_id] = b
        if start:
            b.start()
        return b

    @property
    def bootstrap(self) -> str:
        return ",".join(b.bootstrap for b in self.brokers.values())

    def teardown(self) -> None:
        for b in self.brokers.values():
            try:
                if b.running():
                    b.stop()
            except AssertionError:
                pass
            if b in _live_brokers:
                _live_brokers.remove(b)
        if os.environ.get("NEEDLETAIL_KEEP_TEMP") != "1":
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def cluster(request, zookeeper):
    name = request.module.__name__.rsplit(".", 1)[-1].replace("_", "-")
    c = Cluster(name, zookeeper)
    yield c
    c.teardown()


@pytest.fixture(scope="module")
def broker(cluster) -> BrokerProcess:
    """Broker 1 of the module's cluster, started once per module."""
    return cluster.broker(1)


@pytest.fixture
def topic_name(request) -> str:
    return f"t-{request.node.name[:40].strip('_').replace('[', '-').replace(']', '')}-{uuid.uuid4().hex[:6]}"


def create_topic(bootstrap: str, name: str, partitions: int = 1, replication: int = 1,
                 config: dict[str, str] | None = None) -> None:
    """Create a topic with confluent-kafka's admin client and wait until every partition has a leader."""
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, partitions, replication, config=config or {})],
                                  operation_timeout=30, request_timeout=30)
    futures[name].result(timeout=60)
    wait_for_leaders(bootstrap, name, partitions)


def wait_for_leaders(bootstrap: str, name: str, partitions: int, timeout: float = 30) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        md = admin.list_topics(topic=name, timeout=10)
        t = md.topics.get(name)
        if t is not None and t.error is None and len(t.partitions) == partitions and all(
                p.leader >= 0 for p in t.partitions.values()):
            return
        time.sleep(0.2)
    raise AssertionError(f"topic {name} has no leaders for all {partitions} partitions after {timeout}s")


def run_kcat(args: list[str], input_bytes: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["kcat", *args], input=input_bytes, capture_output=True, timeout=timeout)


# ---------------------------------------------------------------------------------------------------------------
# Three brokers on a real three-node ZooKeeper ensemble (test_cluster_*.py).

# Test clusters fail over faster than Kafka's production defaults (as tools/cluster does).
CLUSTER_TIMINGS = {
    "zookeeper.session.timeout.ms": "6000",
    "replica.lag.time.max.ms": "10000",
    "leader.imbalance.check.interval.seconds": "10",
}
SESSION_TIMEOUT_S = 6.0

# (label, seconds): failover measurements, printed at the end of the run. Tests never assert on them beyond
# generous upper bounds that mean "hung".
failover_timings: list[tuple[str, float]] = []


def record_timing(label: str, seconds: float) -> None:
    failover_timings.append((label, seconds))
    print(f"[timing] {label}: {seconds:.2f} s", flush=True)


def pytest_terminal_summary(terminalreporter):
    if not failover_timings:
        return
    terminalreporter.section("cluster failover timings (session timeout 6 s)")
    for label, seconds in failover_timings:
        terminalreporter.write_line(f"{seconds:7.2f} s  {label}")
    target = os.environ.get("NEEDLETAIL_CLUSTER_TIMINGS_FILE")
    if target:
        Path(target).write_text("".join(f"{s:.3f}\t{label}\n" for label, s in failover_timings))


def wait_until(predicate, timeout: float, what, interval: float = 0.1):
    """Poll `predicate` until it returns something truthy (returned); fail after `timeout` s with `what`
    (a string, or a callable giving one, for a description of the state at the end)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            detail = what() if callable(what) else what
            raise AssertionError(f"not reached within {timeout:.0f}s: {detail}")
        time.sleep(interval)


@pytest.fixture(scope="session")
def zookeeper_ensemble():
    """Connect string (no chroot) of a real 3-node ZooKeeper ensemble (tools/zookeeper --nodes 3) started once per
    session, only when a cluster test asks for it. NEEDLETAIL_TEST_ZK_ENSEMBLE reuses an existing one."""
    if BACKEND != "needletail":
        yield None
        return
    existing = os.environ.get("NEEDLETAIL_TEST_ZK_ENSEMBLE")
    if existing:
        yield existing
        return
    zk_dir = Path(tempfile.mkdtemp(prefix="interop-zk-ensemble-", dir=TMP_ROOT))
    port = free_port_block(9)
    tool = ROOT / "tools" / "zookeeper"
    out = subprocess.run([str(tool), "start", "--dir", str(zk_dir), "--port", str(port), "--nodes", "3"],
                         capture_output=True, text=True, timeout=120)
    try:
        if out.returncode != 0:
            pytest.fail(f"could not start the ZooKeeper ensemble: {out.stderr.strip()}")
        yield out.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run([str(tool), "stop", "--dir", str(zk_dir)], timeout=60)
        if os.environ.get("NEEDLETAIL_KEEP_TEMP") != "1":
            shutil.rmtree(zk_dir, ignore_errors=True)


class ReplicatedCluster(Cluster):
    """Brokers 1..size in one ZooKeeper chroot with the CLUSTER_TIMINGS, and kazoo reads of Kafka's znodes."""

    def __init__(self, name: str, zk: str, size: int = 3, overrides: dict[str, str] | None = None):
        super().__init__(name, zk)
        self.size = size
        self.overrides = {
            "default.replication.factor": str(size),
            "offsets.topic.replication.factor": str(size),
            # 6 instead of Kafka's 50 __consumer_offsets partitions: 150 replicas would only add load here.
            "offsets.topic.num.partitions": "6",
            "num.partitions": "1",
            # Metadata v1 probes of one broker name topics explicitly; they must not re-create a deleted one.
            "auto.create.topics.enable": "false",
            **CLUSTER_TIMINGS,
            **(overrides or {}),
        }
        self._zk = None

    def start(self, timeout: float = 90) -> "ReplicatedCluster":
        for broker_id in range(1, self.size + 1):
            self.broker(broker_id, dict(self.overrides), start=False)
        for b in self.brokers.values():
            b.start(wait=False)
        for b in self.brokers.values():
            b.wait_ready(timeout)
        self.wait_registered(set(self.brokers))
        self.wait_for_controller()
        return self

    # ZooKeeper, read the way an operator would (Kafka's znodes under the module's chroot).

    @property
    def zk(self):
        if self._zk is None:
            import logging

            from kazoo.client import KazooClient
            logging.getLogger("kazoo").setLevel(logging.WARNING)
            self._zk = KazooClient(hosts=self.zk_connect, timeout=10)
            self._zk.start(timeout=30)
        return self._zk

    def get_json(self, path: str):
        import json

        from kazoo.exceptions import NoNodeError
        try:
            return json.loads(self.zk.get(path)[0])
        except NoNodeError:
            return None

    def controller_id(self) -> int | None:
        c = self.get_json("/controller")
        return None if c is None else int(c["brokerid"])

    def registered(self) -> set[int]:
        from kazoo.exceptions import NoNodeError
        try:
            return {int(i) for i in self.zk.get_children("/brokers/ids")}
        except NoNodeError:
            return set()

    def assignment(self, topic: str) -> dict[int, list[int]]:
        t = self.get_json(f"/brokers/topics/{topic}")
        return {} if t is None else {int(p): r for p, r in t["partitions"].items()}

    def partition_state(self, topic: str, partition: int) -> dict | None:
        return self.get_json(f"/brokers/topics/{topic}/partitions/{partition}/state")

    def states(self, topic: str) -> dict[int, dict | None]:
        return {p: self.partition_state(topic, p) for p in self.assignment(topic)}

    def leaders(self, topic: str) -> dict[int, int]:
        return {p: (s["leader"] if s else -1) for p, s in self.states(topic).items()}

    def topics(self) -> list[str]:
        from kazoo.exceptions import NoNodeError
        try:
            return sorted(self.zk.get_children("/brokers/topics"))
        except NoNodeError:
            return []

    # Waits.

    def full_isr(self, topic: str, partitions: int | None = None) -> bool:
        assignment = self.assignment(topic)
        if not assignment or (partitions is not None and len(assignment) != partitions):
            return False
        for p, replicas in assignment.items():
            s = self.partition_state(topic, p)
            if s is None or s["leader"] < 0 or sorted(s["isr"]) != sorted(replicas):
                return False
        return True

    def wait_full_isr(self, topic: str, partitions: int | None = None, timeout: float = 60) -> None:
        wait_until(lambda: self.full_isr(topic, partitions), timeout,
                   lambda: f"full ISR for {topic}: assignment {self.assignment(topic)}, states {self.states(topic)}",
                   interval=0.2)

    def wait_registered(self, ids: set[int], timeout: float = 60) -> None:
        wait_until(lambda: ids <= self.registered(), timeout,
                   lambda: f"brokers {sorted(ids)} registered; /brokers/ids has {sorted(self.registered())}")

    def wait_unregistered(self, broker_id: int, timeout: float = SESSION_TIMEOUT_S + 30) -> float:
        """Wait until /brokers/ids/<id> is gone (its session expired or closed); returns the seconds waited."""
        t0 = time.monotonic()
        wait_until(lambda: broker_id not in self.registered(), timeout,
                   f"/brokers/ids/{broker_id} removed (session expiry)")
        return time.monotonic() - t0

    def wait_for_controller(self, not_id: int | None = None, timeout: float = 60) -> int:
        return wait_until(lambda: (c := self.controller_id()) is not None and c != not_id and c, timeout,
                          lambda: f"a controller other than {not_id}; /controller is {self.controller_id()}")

    def restart_after_kill(self, b: BrokerProcess, timeout: float = 60) -> None:
        """Start a killed broker again at once: it closes the session its previous process left behind (Kafka's
        broker would wait for that session to expire before it could register again)."""
        b.start(timeout=timeout)
        self.wait_registered({b.broker_id})

    def ensure_healthy(self, timeout: float = 90) -> None:
        """The state each cluster test starts from, whatever the previous test left behind: every broker running
        and registered, a controller elected, the earlier tests' topics deleted (best effort) and, ideally, no
        under-replicated partition left (reported, not failed: a test checks its own topics)."""
        for b in self.brokers.values():
            if b.paused():
                b.resume()
        for b in self.brokers.values():
            if not b.running():
                self.restart_after_kill(b, timeout)
        self.wait_registered(set(self.brokers), timeout)
        self.wait_for_controller(timeout=timeout)
        self.delete_leftover_topics()
        try:
            wait_until(lambda: all(self.full_isr(t) for t in self.topics()), 30, "no under-replicated partition",
                       interval=0.5)
        except AssertionError:
            lagging = {t: self.states(t) for t in self.topics() if not self.full_isr(t)}
            print(f"[cluster] WARNING: under-replicated partitions left by earlier tests: {lagging}", flush=True)

    def delete_leftover_topics(self, timeout: float = 60) -> None:
        """Delete the earlier tests' (non-internal) topics so each test runs on a cluster that only has its own."""
        from confluent_kafka.admin import AdminClient

        leftover = [t for t in self.topics() if not t.startswith("__")]
        if not leftover:
            return
        admin = AdminClient({"bootstrap.servers": self.bootstrap})  # must outlive the futures
        try:
            futures = admin.delete_topics(leftover, operation_timeout=30, request_timeout=40)
            for f in futures.values():
                f.result(timeout=timeout)
            wait_until(lambda: not set(leftover) & set(self.topics()), timeout, "leftover topics deleted",
                       interval=0.5)
        except Exception as e:  # cleanup only: the test that created them has already reported on them
            print(f"[cluster] WARNING: could not delete leftover topics {leftover}: {e}", flush=True)

    def broker_by_id(self, broker_id: int) -> BrokerProcess:
        return self.brokers[broker_id]

    def metadata_from(self, b: BrokerProcess, topics: list[str] | None = None) -> dict:
        return kafka_wire.metadata(HOST, b.port, topics)

    def teardown(self) -> None:
        if self._zk is not None:
            try:
                self._zk.stop()
                self._zk.close()
            except Exception:
                pass
            self._zk = None
        for b in self.brokers.values():
            if b.paused():
                b.resume()
            b.kill9()
        super().teardown()


@pytest.fixture(scope="module")
def replicated_cluster(request, zookeeper_ensemble):
    """Three brokers (ids 1..3) of one module, on the session's ZooKeeper ensemble in a fresh chroot."""
    if BACKEND != "needletail":
        pytest.skip(f"backend {BACKEND} is not a ZooKeeper-coordinated cluster")
    name = request.module.__name__.rsplit(".", 1)[-1].replace("_", "-")
    c = ReplicatedCluster(name, zookeeper_ensemble)
    try:
        c.start()
        yield c
    finally:
        c.teardown()
