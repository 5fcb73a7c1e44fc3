"""Fixtures that run real broker processes for the interop suite.

Each test module gets its own ZooKeeper chroot, its own temp dir for log.dirs and configs, and free ports.
Brokers are the release binary (`.build/release/needletail`, or $NEEDLETAIL_BIN). ZooKeeper comes from
$NEEDLETAIL_TEST_ZK (tools/test exports it) or is started here with tools/zookeeper.

To check the suite itself against another Kafka-compatible broker, set NEEDLETAIL_INTEROP_BACKEND=tansu and
NEEDLETAIL_TANSU_BIN=/path/to/tansu: tests marked `needletail_only` (ZooKeeper, disk layout, restarts,
config parsing) are skipped there.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

import kafka_wire

ROOT = Path(__file__).resolve().parents[2]
BACKEND = os.environ.get("NEEDLETAIL_INTEROP_BACKEND", "needletail")
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


def free_port() -> int:
    """A free port below the kernel's ephemeral range (32768+), so that an outgoing connection cannot take it
    between this check and the broker's bind, nor while a killed broker is being restarted on it."""
    import random
    for _ in range(1000):
        port = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below 32768")


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
        self.proc: subprocess.Popen | None = None
        self._stdout = None

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
            if kafka_wire.answers_metadata(HOST, self.port):
                return
            time.sleep(0.1)
        raise AssertionError(f"broker {self.broker_id} not ready after {timeout}s:\n{self.log_tail()}")

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
