"""KRaft mode: storage formatting, mode selection, a single-node quorum and a three-node quorum talking over
Kafka's quorum RPCs (Vote, BeginQuorumEpoch, Fetch of __cluster_metadata), with real processes.

KRaft nodes need no ZooKeeper; only the "ZooKeeper broker refuses a KRaft directory" check starts one.
What is not covered yet (not wired): snapshots on disk, the broker data path on KRaft.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from kafka.admin import KafkaAdminClient

from conftest import HOST, NEEDLETAIL_BIN, TMP_ROOT, free_port, wait_until

pytestmark = pytest.mark.needletail_only


def needletail(*args: str, cwd: Path | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEEDLETAIL_BIN), *args], capture_output=True, text=True, timeout=timeout, cwd=cwd)


def kraft_properties(directory: Path, node_id: int = 1, extra: str = "") -> tuple[Path, int, int]:
    broker_port, controller_port = free_port(), free_port()
    path = directory / f"node-{node_id}.properties"
    path.write_text(
        f"process.roles=broker,controller\n"
        f"node.id={node_id}\n"
        f"controller.quorum.voters={node_id}@{HOST}:{controller_port}\n"
        f"listeners=PLAINTEXT://{HOST}:{broker_port},CONTROLLER://{HOST}:{controller_port}\n"
        f"controller.listener.names=CONTROLLER\n"
        f"log.dirs={directory}/data-{node_id}\n"
        f"{extra}")
    return path, broker_port, controller_port


@pytest.fixture(scope="module")
def workdir():
    d = Path(tempfile.mkdtemp(prefix="kraft-", dir=TMP_ROOT))
    yield d
    shutil.rmtree(d, ignore_errors=True)


class Node:
    def __init__(self, config: Path, log: Path):
        self.config, self.log = config, log
        self.process: subprocess.Popen | None = None

    def start(self):
        self.process = subprocess.Popen([str(NEEDLETAIL_BIN), "broker", str(self.config)],
                                        stdout=self.log.open("ab"), stderr=subprocess.STDOUT)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def status(bootstrap: str, flag: str = "--bootstrap-server") -> dict[str, str]:
    out = needletail("metadata-quorum", flag, bootstrap, "describe", "--status")
    if out.returncode != 0:
        return {}
    return {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.stdout.splitlines() if ":" in line)}


def test_random_uuid_prints_a_kafka_uuid():
    out = needletail("storage", "random-uuid")
    assert out.returncode == 0
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}\n", out.stdout)


def test_format_writes_meta_properties_version_1_and_info_reads_it(workdir):
    config, _, _ = kraft_properties(workdir, node_id=7)
    cluster_id = needletail("storage", "random-uuid").stdout.strip()
    out = needletail("storage", "format", "-t", cluster_id, "-c", str(config))
    assert out.returncode == 0, out.stderr
    assert f"Formatting metadata directory {workdir}/data-7 with metadata.version" in out.stdout
    meta = (workdir / "data-7" / "meta.properties").read_text()
    props = dict(line.split("=", 1) for line in meta.splitlines() if line and not line.startswith("#"))
    assert props["version"] == "1" and props["node.id"] == "7" and props["cluster.id"] == cluster_id
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", props["directory.id"])

    again = needletail("storage", "format", "-t", cluster_id, "-c", str(config))
    assert again.returncode != 0
    assert "is already formatted. Use --ignore-formatted" in again.stderr
    ignored = needletail("storage", "format", "-t", cluster_id, "-c", str(config), "--ignore-formatted")
    assert ignored.returncode == 0 and "All of the log directories are already formatted." in ignored.stdout

    info = needletail("storage", "info", "-c", str(config))
    assert info.returncode == 0, info.stdout + info.stderr
    assert f"Found log directory:\n  {workdir}/data-7\n" in info.stdout
    assert f"clusterId={cluster_id}, nodeId=7" in info.stdout


def test_format_refuses_a_cluster_id_that_is_not_a_uuid(workdir):
    config, _, _ = kraft_properties(workdir, node_id=8)
    out = needletail("storage", "format", "-t", "kraft-cluster-12345", "-c", str(config))
    assert out.returncode != 0 and "does not appear to be a valid UUID" in out.stderr


def test_both_process_roles_and_zookeeper_connect_is_an_error_naming_both(workdir):
    config, _, _ = kraft_properties(workdir, node_id=9, extra=f"zookeeper.connect={HOST}:2181\n")
    out = needletail("broker", str(config), "--check-config")
    assert out.returncode != 0
    line = out.stderr.strip()
    assert "process.roles" in line and "zookeeper.connect" in line and len(line.splitlines()) == 1


def test_a_kraft_node_refuses_an_unformatted_directory(workdir):
    config, _, _ = kraft_properties(workdir, node_id=10)
    out = needletail("broker", str(config), timeout=30)
    assert out.returncode != 0
    assert "needletail storage format" in out.stderr


def test_a_kraft_node_refuses_a_zookeeper_mode_directory(workdir):
    config, _, _ = kraft_properties(workdir, node_id=11)
    data = workdir / "data-11"
    data.mkdir()
    (data / "meta.properties").write_text("#\n#date\ncluster.id=abc\nversion=0\nbroker.id=11\n")
    out = needletail("broker", str(config), timeout=30)
    assert out.returncode != 0
    assert "ZooKeeper-mode meta.properties" in out.stderr


def test_a_zookeeper_broker_refuses_a_kraft_directory(workdir, zookeeper):
    kraft_config, _, _ = kraft_properties(workdir, node_id=12)
    cluster_id = needletail("storage", "random-uuid").stdout.strip()
    assert needletail("storage", "format", "-t", cluster_id, "-c", str(kraft_config)).returncode == 0
    zk_config = workdir / "zk-broker.properties"
    zk_config.write_text(
        f"broker.id=12\nzookeeper.connect={zookeeper}/kraft-refusal-{int(time.time())}\n"
        f"listeners=PLAINTEXT://{HOST}:{free_port()}\nlog.dirs={workdir}/data-12\n")
    out = needletail("broker", str(zk_config), timeout=60)
    assert out.returncode != 0
    assert "KRaft-mode meta.properties" in out.stderr


def test_a_single_node_elects_itself_and_survives_a_restart(workdir):
    config, broker_port, controller_port = kraft_properties(workdir, node_id=1)
    cluster_id = needletail("storage", "random-uuid").stdout.strip()
    assert needletail("storage", "format", "-t", cluster_id, "-c", str(config)).returncode == 0
    node = Node(config, workdir / "node-1.log")
    node.start()
    try:
        bootstrap = f"{HOST}:{broker_port}"
        first = wait_until(lambda: (s := status(bootstrap)).get("LeaderId") == "1" and s, 60,
                           lambda: (workdir / "node-1.log").read_text()[-2000:])
        assert first["ClusterId"] == cluster_id
        assert int(first["LeaderEpoch"]) >= 1
        assert first["MaxFollowerLag"] == "0"
        assert '"id": 1' in first["CurrentVoters"] and f"CONTROLLER://{HOST}:{controller_port}" in first["CurrentVoters"]
        # The controller listener answers DescribeQuorum too (--bootstrap-controller).
        assert status(f"{HOST}:{controller_port}", "--bootstrap-controller").get("LeaderId") == "1"

        admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10000)
        try:
            quorum = admin.describe_metadata_quorum()
        finally:
            admin.close()
        partition = quorum["topics"][0]["partitions"][0]
        assert partition["leader_id"] == 1
        assert str(partition["leader_epoch"]) == first["LeaderEpoch"]
        assert [v["replica_id"] for v in partition["current_voters"]] == [1]

        replication = needletail("metadata-quorum", "--bootstrap-server", bootstrap, "describe", "--replication")
        assert replication.returncode == 0
        header, row = replication.stdout.splitlines()[:2]
        assert header.split() == ["NodeId", "DirectoryId", "LogEndOffset", "Lag", "LastFetchTimestamp",
                                  "LastCaughtUpTimestamp", "Status"]
        assert row.split()[0] == "1" and row.split()[-1] == "Leader"

        state = json.loads((workdir / "data-1" / "__cluster_metadata-0" / "quorum-state").read_text())
        assert state["leaderId"] == 1 and state["leaderEpoch"] == int(first["LeaderEpoch"])
        assert "data_version" in state

        node.stop()
        node.start()
        second = wait_until(lambda: (s := status(bootstrap)).get("LeaderId") == "1" and s, 60,
                            lambda: (workdir / "node-1.log").read_text()[-2000:])
        assert second["ClusterId"] == cluster_id
        assert int(second["LeaderEpoch"]) > int(first["LeaderEpoch"])
    finally:
        node.stop()


# ---------------------------------------------------------------------------------------------------------------
# Three combined nodes (process.roles=broker,controller), one cluster for the tests below, in order.

def replication(bootstrap: str) -> dict[int, dict[str, str]]:
    """`describe --replication` rows by node id: LogEndOffset, Lag, Status."""
    out = needletail("metadata-quorum", "--bootstrap-server", bootstrap, "describe", "--replication")
    if out.returncode != 0:
        return {}
    lines = out.stdout.splitlines()
    header = lines[0].split()
    return {int(row.split()[0]): dict(zip(header, row.split())) for row in lines[1:] if row.strip()}


class Quorum:
    def __init__(self, directory: Path):
        self.directory = directory
        self.broker_ports = {n: free_port() for n in (1, 2, 3)}
        self.controller_ports = {n: free_port() for n in (1, 2, 3)}
        voters = ",".join(f"{n}@{HOST}:{p}" for n, p in self.controller_ports.items())
        self.cluster_id = needletail("storage", "random-uuid").stdout.strip()
        self.nodes: dict[int, Node] = {}
        for n in (1, 2, 3):
            config = directory / f"quorum-{n}.properties"
            config.write_text(
                f"process.roles=broker,controller\nnode.id={n}\ncontroller.quorum.voters={voters}\n"
                f"listeners=PLAINTEXT://{HOST}:{self.broker_ports[n]},CONTROLLER://{HOST}:{self.controller_ports[n]}\n"
                f"controller.listener.names=CONTROLLER\nlog.dirs={directory}/quorum-data-{n}\n")
            out = needletail("storage", "format", "-t", self.cluster_id, "-c", str(config))
            assert out.returncode == 0, out.stderr
            self.nodes[n] = Node(config, directory / f"quorum-{n}.log")

    def bootstrap(self, n: int) -> str:
        return f"{HOST}:{self.broker_ports[n]}"

    def running(self) -> list[int]:
        return [n for n, node in self.nodes.items() if node.process and node.process.poll() is None]

    def logs(self) -> str:
        return "\n".join(f"--- node {n}\n" + node.log.read_text()[-1500:] for n, node in self.nodes.items()
                         if node.log.exists())

    def agreed_leader(self, among: list[int] | None = None) -> dict[str, str] | None:
        """The status every running node reports, once they all name the same leader and epoch."""
        seen = [status(self.bootstrap(n)) for n in (among or self.running())]
        if not seen or not all(s.get("LeaderId") not in (None, "-1") for s in seen):
            return None
        if len({(s["LeaderId"], s["LeaderEpoch"]) for s in seen}) != 1:
            return None
        return seen[0]


@pytest.fixture(scope="module")
def quorum(workdir):
    q = Quorum(workdir)
    for node in q.nodes.values():
        node.start()
    yield q
    for node in q.nodes.values():
        node.stop()


def test_three_nodes_elect_one_leader_that_every_node_reports(quorum):
    agreed = wait_until(quorum.agreed_leader, 60, quorum.logs)
    assert agreed["ClusterId"] == quorum.cluster_id
    assert all(f'"id": {n}' in agreed["CurrentVoters"] for n in (1, 2, 3))
    leader = int(agreed["LeaderId"])
    # The followers fetch the leader's LeaderChange record: every voter's log end offset reaches the leader's.
    rows = wait_until(lambda: (r := replication(quorum.bootstrap(1))) and len(r) == 3
                      and len({row["LogEndOffset"] for row in r.values()}) == 1 and r, 60, quorum.logs)
    assert rows[leader]["Status"] == "Leader"
    assert sorted(n for n, row in rows.items() if row["Status"] == "Follower") == sorted({1, 2, 3} - {leader})
    assert int(rows[leader]["LogEndOffset"]) >= 1

    admin = KafkaAdminClient(bootstrap_servers=quorum.bootstrap(1), request_timeout_ms=10000)
    try:
        described = admin.describe_metadata_quorum()
    finally:
        admin.close()
    partition = described["topics"][0]["partitions"][0]
    assert partition["leader_id"] == leader
    assert str(partition["leader_epoch"]) == agreed["LeaderEpoch"]
    assert sorted(v["replica_id"] for v in partition["current_voters"]) == [1, 2, 3]


def test_kill_9_of_the_leader_elects_another_and_the_restarted_node_catches_up(quorum):
    before = wait_until(quorum.agreed_leader, 60, quorum.logs)
    old = int(before["LeaderId"])
    quorum.nodes[old].process.kill()
    quorum.nodes[old].process.wait()
    killed_at = time.monotonic()
    survivors = [n for n in (1, 2, 3) if n != old]
    after = wait_until(lambda: (s := quorum.agreed_leader(survivors)) and s["LeaderId"] != str(old) and s, 60,
                       quorum.logs)
    print(f"new leader {after['LeaderId']} (epoch {after['LeaderEpoch']}) "
          f"{(time.monotonic() - killed_at) * 1000:.0f} ms after kill -9 of leader {old}")
    assert int(after["LeaderEpoch"]) > int(before["LeaderEpoch"])

    quorum.nodes[old].start()
    leader = int(after["LeaderId"])
    rows = wait_until(lambda: (r := replication(quorum.bootstrap(leader))) and len(r) == 3
                      and r[old]["LogEndOffset"] == r[leader]["LogEndOffset"] and r, 60, quorum.logs)
    assert rows[old]["Status"] == "Follower"
    assert quorum.agreed_leader()["LeaderId"] == str(leader)


def test_restarting_all_three_nodes_keeps_the_epoch_and_the_log(quorum):
    before = wait_until(quorum.agreed_leader, 60, quorum.logs)
    leader = int(before["LeaderId"])
    rows = wait_until(lambda: (r := replication(quorum.bootstrap(leader))) and len(r) == 3
                      and len({row["LogEndOffset"] for row in r.values()}) == 1 and r, 60, quorum.logs)
    end_before = int(rows[leader]["LogEndOffset"])
    for node in quorum.nodes.values():
        node.stop()
    for node in quorum.nodes.values():
        node.start()
    after = wait_until(quorum.agreed_leader, 60, quorum.logs)
    assert int(after["LeaderEpoch"]) >= int(before["LeaderEpoch"])
    for n in (1, 2, 3):
        state = json.loads((quorum.directory / f"quorum-data-{n}" / "__cluster_metadata-0" / "quorum-state").read_text())
        assert state["leaderEpoch"] >= int(before["LeaderEpoch"])
    # The log came back from disk: nobody starts below where everyone was, and every new epoch added its record.
    rows = wait_until(lambda: (r := replication(quorum.bootstrap(1))) and len(r) == 3
                      and len({row["LogEndOffset"] for row in r.values()}) == 1 and r, 60, quorum.logs)
    assert int(next(iter(rows.values()))["LogEndOffset"]) > end_before


def test_dump_log_reads_the_metadata_log_with_its_leader_change_records(quorum):
    wait_until(quorum.agreed_leader, 60, quorum.logs)
    segment = quorum.directory / "quorum-data-1" / "__cluster_metadata-0" / "00000000000000000000.log"
    out = needletail("dump-log", "--cluster-metadata-decoder", "--files", str(segment))
    assert out.returncode == 0, out.stderr
    changes = [line for line in out.stdout.splitlines() if "LeaderChange:" in line]
    assert changes, out.stdout
    first = json.loads(changes[0].split("LeaderChange: ", 1)[1])
    assert sorted(v["voterId"] for v in first["voters"]) == [1, 2, 3]
    assert "isControl: true" in out.stdout
    assert (segment.parent / "leader-epoch-checkpoint").exists()
