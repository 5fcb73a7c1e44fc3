"""A broker with a bad configuration exits non-zero with one clear line instead of starting."""

import subprocess
import time

import pytest

from conftest import NEEDLETAIL_BIN, BrokerProcess

pytestmark = pytest.mark.needletail_only


def _run_to_exit(b: BrokerProcess, timeout: float = 30) -> tuple[int, list[str]]:
    b.start(wait=False)
    try:
        code = b.proc.wait(timeout)
    except subprocess.TimeoutExpired:
        b.kill9()
        raise AssertionError(f"broker kept running with a bad config:\n{b.log_tail()}")
    b.kill9()
    text = b.stdout_path.read_text(errors="replace").rsplit("===== start", 1)[-1].split("\n", 1)[-1]
    return code, [line for line in text.splitlines() if line.strip()]


def _fresh(cluster, broker_id, overrides=None, env=None) -> BrokerProcess:
    return cluster.broker(broker_id, overrides=overrides, env=env, start=False)


@pytest.mark.parametrize("key,value", [("num.partitions", "many"), ("broker.id", "x1"),
                                        ("listeners", "PLAINTEXT://127.0.0.1:notaport"),
                                        ("default.replication.factor", "-3")])
def test_a_bad_value_is_one_line_and_a_non_zero_exit(cluster, key, value):
    code, lines = _run_to_exit(_fresh(cluster, 51, {key: value}))
    assert code != 0
    assert len(lines) == 1, lines
    assert key in lines[0]


def test_a_bad_value_from_a_kafka_environment_variable_is_reported_like_the_file(cluster):
    code, lines = _run_to_exit(_fresh(cluster, 52, env={"KAFKA_NUM_PARTITIONS": "many"}))
    assert code != 0
    assert len(lines) == 1 and "num.partitions" in lines[0], lines


def test_missing_zookeeper_connect_is_one_line_and_a_non_zero_exit(cluster):
    code, lines = _run_to_exit(_fresh(cluster, 53, {"zookeeper.connect": None}))
    assert code != 0
    assert len(lines) == 1 and "zookeeper.connect" in lines[0], lines


def test_a_missing_properties_file_is_one_line_and_a_non_zero_exit(tmp_path):
    out = subprocess.run([str(NEEDLETAIL_BIN), "broker", str(tmp_path / "nope.properties")],
                         capture_output=True, text=True, timeout=30)
    lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    assert out.returncode != 0
    assert len(lines) == 1 and "nope.properties" in lines[0], lines


def test_a_broker_id_already_registered_makes_the_second_broker_exit(cluster):
    first = cluster.broker(7)
    try:
        second = _fresh(cluster, 8, {"broker.id": "7"})
        code, lines = _run_to_exit(second, timeout=60)
        assert code != 0
        assert lines and "7" in lines[-1] and any(w in lines[-1].lower() for w in ("regist", "exists", "already")), lines
        assert first.running(), "the first broker must keep running"
    finally:
        first.stop()


def test_zookeeper_connect_with_a_chroot_is_accepted_and_created(cluster):
    b = cluster.broker(61, overrides={"zookeeper.connect": cluster.zk_connect + "/nested/root"})
    try:
        from kazoo.client import KazooClient

        zk = KazooClient(hosts=cluster.zk_connect)
        zk.start(timeout=20)
        try:
            deadline = time.monotonic() + 20
            while not zk.exists("/nested/root/brokers/ids/61") and time.monotonic() < deadline:
                time.sleep(0.1)
            assert zk.exists("/nested/root/brokers/ids/61")
        finally:
            zk.stop()
    finally:
        b.stop()
