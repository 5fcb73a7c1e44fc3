"""KRaft mode: storage formatting, mode selection and a single-node quorum, with real processes.

KRaft nodes need no ZooKeeper; only the "ZooKeeper broker refuses a KRaft directory" check starts one.
What is not covered yet (not wired): quorums of several nodes, failover, the broker data path on KRaft.
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
