"""KRaft metadata snapshots on disk (KIP-630): a node snapshots its metadata image into
`__cluster_metadata-0/%020d-%010d.checkpoint` files by `metadata.log.max.record.bytes.between.snapshots`, cleans its
log below a snapshot by `metadata.max.retention.bytes`, and a restarted node loads the latest snapshot before it
replays the log after it.

A single node for the restart tests and a three-node cluster for FetchSnapshot, both with a tiny snapshot interval
(4 KiB of records) and retention (8 KiB), so a few hundred topics make several snapshots and move the log start.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, NewTopic

from clients import confluent_produce, kcat_consume
from conftest import TMP_ROOT, run_kcat, wait_for_leaders, wait_until
from test_kraft_single_node import KRaftNode, needletail

pytestmark = pytest.mark.needletail_only

TOPICS = [f"snap-{i:03d}" for i in range(200)]


@pytest.fixture(scope="module")
def node():
    d = Path(tempfile.mkdtemp(prefix="kraft-snapshots-", dir=TMP_ROOT))
    n = KRaftNode(d)
    n.config.write_text(n.config.read_text()
                        + "metadata.log.max.record.bytes.between.snapshots=4096\n"
                        + "metadata.max.retention.bytes=8192\n")
    n.format()
    n.start()
    yield n
    n.stop()
    shutil.rmtree(d, ignore_errors=True)


def metadata_dir(node) -> Path:
    return node.directory / "data" / "__cluster_metadata-0"


def checkpoints(node) -> list[Path]:
    return sorted(metadata_dir(node).glob("*.checkpoint"))


def listed_topics(node) -> set[str]:
    out = run_kcat(["-b", node.bootstrap, "-L", "-J"], timeout=30)
    return {t["topic"] for t in json.loads(out.stdout)["topics"]} if out.returncode == 0 else set()


def test_200_topics_are_snapshotted_to_checkpoint_files_and_the_log_start_moves(node):
    admin = AdminClient({"bootstrap.servers": node.bootstrap})
    futures = admin.create_topics(
        [NewTopic(t, num_partitions=1, replication_factor=1) for t in TOPICS], operation_timeout=60)
    for f in futures.values():
        f.result(timeout=90)
    wait_until(lambda: set(TOPICS) <= listed_topics(node), 60, "not every topic is listed")
    wait_until(lambda: len(checkpoints(node)) >= 1, 30, node.tail)
    for path in checkpoints(node):
        assert re.fullmatch(r"\d{20}-\d{10}\.checkpoint", path.name), path.name
    # Retention moved the log start up to a snapshot (Kafka keeps at least one).
    wait_until(lambda: "Log start offset moved" in node.log.read_text(errors="replace"), 30, node.tail)
    assert not list(metadata_dir(node).glob("*.checkpoint.part"))


def test_format_writes_bootstrap_checkpoint_with_the_metadata_version(node):
    bootstrap = node.directory / "data" / "bootstrap.checkpoint"
    assert bootstrap.exists()
    out = needletail("dump-log", "--cluster-metadata-decoder", "--files", str(bootstrap))
    assert out.returncode == 0, out.stderr
    assert '"type":"FEATURE_LEVEL_RECORD"' in out.stdout and '"name":"metadata.version"' in out.stdout, out.stdout


def test_dump_log_prints_a_checkpoint_as_kafka_does(node):
    latest = checkpoints(node)[-1]
    out = needletail("dump-log", "--cluster-metadata-decoder", "--files", str(latest))
    assert out.returncode == 0, out.stderr
    assert " SnapshotHeader " in out.stdout and " SnapshotFooter " in out.stdout, out.stdout[:2000]
    assert '"type":"TOPIC_RECORD"' in out.stdout
    assert '"name":"snap-199"' in out.stdout or '"name":"snap-000"' in out.stdout


def test_a_restart_loads_the_latest_snapshot_and_every_topic_and_its_data_is_back(node):
    wait_for_leaders(node.bootstrap, TOPICS[7], 1)
    confluent_produce(node.bootstrap, TOPICS[7], [(None, b"kept-%d" % i, None, 0) for i in range(3)])
    node.stop()
    node.start()
    wait_until(lambda: "Loaded snapshot" in node.log.read_text(errors="replace"), 30, node.tail)
    wait_until(lambda: set(TOPICS) <= listed_topics(node), 60, "topics are missing after the restart")
    # The restarted broker re-registers once its previous session expires (broker.session.timeout.ms).
    def registered_again() -> bool:
        return "Successfully registered" in node.log.read_text(errors="replace").rsplit("Loaded snapshot", 1)[-1]
    wait_until(registered_again, 60, node.tail)
    wait_for_leaders(node.bootstrap, TOPICS[7], 1)
    assert [m.value for m in kcat_consume(node.bootstrap, TOPICS[7])] == [b"kept-%d" % i for i in range(3)]


@pytest.fixture(scope="module")
def cluster():
    from test_kraft_cluster import KRaftCluster
    d = Path(tempfile.mkdtemp(prefix="kraft-snapshot-cluster-", dir=TMP_ROOT))
    c = KRaftCluster(d)
    for config in c.configs.values():
        config.write_text(config.read_text()
                          + "metadata.log.max.record.bytes.between.snapshots=4096\n"
                          + "metadata.max.retention.bytes=8192\n")
    for n in c.processes:
        c.start(n)
    wait_until(c.active_controller, 60, c.logs)
    yield c
    for n in c.running():
        c.kill9(n)
    shutil.rmtree(d, ignore_errors=True)


def test_a_node_stopped_while_the_others_snapshot_and_clean_catches_up_through_fetch_snapshot(cluster):
    controller = cluster.active_controller()
    stopped = next(n for n in cluster.processes if n != controller)
    cluster.stop(stopped)
    # Placement must not pick the stopped broker: wait until the controller no longer lists it.
    wait_until(lambda: stopped not in cluster.metadata(controller).brokers, 30, cluster.logs)
    names = [f"late-{i:03d}" for i in range(150)]
    admin = AdminClient({"bootstrap.servers": cluster.bootstrap([controller])})
    futures = admin.create_topics([NewTopic(t, num_partitions=1, replication_factor=1) for t in names],
                                  operation_timeout=60)
    for f in futures.values():
        f.result(timeout=90)
    # The leader's log no longer starts where the stopped node's ends.
    wait_until(lambda: "Log start offset moved" in cluster.log(controller).read_text(errors="replace"), 60,
               cluster.logs)
    cluster.start(stopped)
    wait_until(lambda: "Installed snapshot" in cluster.log(stopped).read_text(errors="replace"), 60, cluster.logs)

    def caught_up() -> bool:
        try:
            md = cluster.metadata(stopped)
        except Exception:
            return False
        return set(names) <= set(md.topics)
    wait_until(caught_up, 60, cluster.logs)
    data = cluster.directory / f"data-{stopped}" / "__cluster_metadata-0"
    assert list(data.glob("*.checkpoint")), sorted(p.name for p in data.iterdir())
