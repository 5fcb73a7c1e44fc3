"""`needletail configs --zookeeper … --entity-type brokers` as kafka-configs.sh allows it in Kafka 2.x/3.x: dynamic
broker configs written straight to `/config/brokers/<id|<default>>` with a `/config/changes` notification, refused
while an affected broker is running (Kafka's `validateBrokersNotRunning`)."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import NEEDLETAIL_BIN

pytestmark = pytest.mark.needletail_only


def _configs(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEEDLETAIL_BIN), "configs", *args], capture_output=True, text=True, timeout=60)


def _zk_json(cluster, path: str):
    from kazoo.client import KazooClient

    zk = KazooClient(hosts=cluster.zk_connect)
    zk.start(timeout=30)
    try:
        data, _ = zk.get(path)
        notifications = [json.loads(zk.get(f"/config/changes/{c}")[0]) for c in zk.get_children("/config/changes")]
        return json.loads(data), notifications
    finally:
        zk.stop()


def test_broker_configs_are_written_to_zookeeper_while_no_broker_runs_and_refused_once_one_does(cluster):
    zk = cluster.zk_connect
    out = _configs("--zookeeper", zk, "--entity-type", "brokers", "--entity-default", "--alter",
                   "--add-config", "log.retention.ms=7200000,log.cleaner.threads=2")
    assert out.returncode == 0, out.stderr
    assert "Completed updating config for entity: default brokers." in out.stdout
    node, notifications = _zk_json(cluster, "/config/brokers/<default>")
    assert node == {"version": 1, "config": {"log.retention.ms": "7200000", "log.cleaner.threads": "2"}}
    assert {"version": 2, "entity_path": "brokers/<default>"} in notifications

    out = _configs("--zookeeper", zk, "--entity-type", "brokers", "--entity-default", "--alter",
                   "--delete-config", "log.cleaner.threads")
    assert out.returncode == 0, out.stderr
    out = _configs("--zookeeper", zk, "--entity-type", "brokers", "--entity-default", "--alter",
                   "--delete-config", "no.such.key")
    assert out.returncode != 0
    assert "Invalid config(s): no.such.key" in out.stdout + out.stderr
    out = _configs("--zookeeper", zk, "--entity-type", "brokers", "--entity-default", "--describe")
    assert out.returncode == 0, out.stderr
    assert "Configs for default brokers are log.retention.ms=7200000" in out.stdout

    b = cluster.broker(1)
    # The broker read the default entity written before it started.
    out = _configs("--bootstrap-server", b.bootstrap, "--entity-type", "brokers", "--entity-default", "--describe")
    assert out.returncode == 0, out.stderr
    assert "log.retention.ms=7200000" in out.stdout

    # Broker 1 is running: Kafka refuses ZooKeeper writes and reads of its configs and of the default.
    for target in (["--entity-name", "1"], ["--entity-default"]):
        out = _configs("--zookeeper", zk, "--entity-type", "brokers", *target, "--alter",
                       "--add-config", "log.retention.ms=1")
        assert out.returncode != 0
        assert ("Broker configuration operations using ZooKeeper are only supported if the affected broker(s) "
                "are not running.") in out.stdout + out.stderr
    # A broker id that is not running may still be configured ahead of its start.
    out = _configs("--zookeeper", zk, "--broker", "7", "--alter", "--add-config", "log.retention.ms=60000")
    assert out.returncode == 0, out.stderr
    assert "Completed updating config for entity: brokers '7'." in out.stdout
    node, _ = _zk_json(cluster, "/config/brokers/7")
    assert node["config"] == {"log.retention.ms": "60000"}

    # Password configs are never written in clear text into ZooKeeper: Kafka's ConfigCommand wants
    # password.encoder.secret to encrypt them, and refuses them without it.
    out = _configs("--zookeeper", zk, "--broker", "7", "--alter", "--add-config",
                   "listener.name.internal.ssl.key.password=secret")
    assert out.returncode != 0
    assert ("requirement failed: password.encoder.secret must be specified to update "
            "Set(listener.name.internal.ssl.key.password).") in out.stdout + out.stderr
    node, _ = _zk_json(cluster, "/config/brokers/7")
    assert node["config"] == {"log.retention.ms": "60000"}
