"""`http.listeners` on a KRaft node: `/metrics` with the broker's series, the controller's counts from the
metadata image and KRaft's own quorum series (the names Strimzi's jmx_exporter rules give Kafka's KRaft MBeans),
clean for promtool; the console's API and Burrow's API on the same listener.

One combined node (process.roles=broker,controller, one voter) serves the module.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from prometheus_client.parser import text_string_to_metric_families

from clients import confluent_produce
from conftest import HOST, TMP_ROOT, free_port, wait_until
from test_kraft_single_node import KRaftNode

pytestmark = pytest.mark.needletail_only


@pytest.fixture(scope="module")
def node():
    d = Path(tempfile.mkdtemp(prefix="kraft-metrics-", dir=TMP_ROOT))
    n = KRaftNode(d)
    n.http_port = free_port()
    with n.config.open("a") as f:
        f.write(f"http.listeners=HTTP://{HOST}:{n.http_port}\n")
    n.format()
    n.start()
    yield n
    n.stop()
    shutil.rmtree(d, ignore_errors=True)


def get(port: int, path: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def values(text: str, name: str, **labels) -> list[float]:
    return [s.value for f in text_string_to_metric_families(text) for s in f.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())]


def test_a_kraft_node_serves_metrics_with_quorum_and_controller_series_that_promtool_accepts(node):
    topic = "kraft-metrics"
    admin = AdminClient({"bootstrap.servers": node.bootstrap})
    admin.create_topics([NewTopic(topic, 2, 1)])[topic].result(30)
    confluent_produce(node.bootstrap, topic, [(b"k%d" % i, b"v", None) for i in range(25)])

    def page() -> str:
        status, body = get(node.http_port, "/metrics")
        assert status == 200
        return body.decode()

    # The controller's counts follow the image the topic creation committed.
    wait_until(lambda: values(page(), "kafka_controller_kafkacontroller_globaltopiccount") == [1.0], 30,
               lambda: [line for line in page().splitlines() if "kafkacontroller" in line])
    text = page()
    assert values(text, "kafka_server_brokertopicmetrics_messagesin_total", topic=topic) == [25.0]
    assert values(text, "kafka_controller_kafkacontroller_activecontrollercount") == [1.0]
    assert values(text, "kafka_controller_kafkacontroller_globalpartitioncount") == [2.0]
    assert values(text, "kafka_controller_kafkacontroller_offlinepartitionscount") == [0.0]
    assert values(text, "kafka_controller_kafkacontroller_activebrokercount") == [1.0]
    assert values(text, "kafka_controller_kafkacontroller_fencedbrokercount") == [0.0]
    assert values(text, "kafka_brokers") == [1.0]
    assert values(text, "kafka_server_raftmetrics_current_state", current_state="leader") == [1.0]
    assert values(text, "kafka_server_raftmetrics_current_leader") == [1.0]
    assert values(text, "kafka_server_raftmetrics_current_vote") == [1.0]
    assert values(text, "kafka_server_raftmetrics_number_of_voters") == [1.0]
    [epoch] = values(text, "kafka_server_raftmetrics_current_epoch")
    [hw] = values(text, "kafka_server_raftmetrics_high_watermark")
    [leo] = values(text, "kafka_server_raftmetrics_log_end_offset")
    [applied] = values(text, "kafka_server_brokermetadatametrics_last_applied_record_offset")
    [committed] = values(text, "kafka_controller_kafkacontroller_lastcommittedrecordoffset")
    assert epoch >= 1 and 0 < hw <= leo and applied <= committed == hw - 1
    # ZooKeeper's session gauge belongs to the other metadata mode.
    assert not values(text, "kafka_server_sessionexpirelistener_sessionstate")
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing (Debian package prometheus; tools/test installs it)"
    out = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and not out.stdout.strip() and not out.stderr.strip(), out.stdout + out.stderr


def test_a_kraft_node_serves_the_console_api_and_burrows_statuses_for_its_groups(node):
    topic, group = "kraft-burrow", "kraft-burrow-group"
    admin = AdminClient({"bootstrap.servers": node.bootstrap})
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    confluent_produce(node.bootstrap, topic, [(None, b"v%d" % i, None) for i in range(10)])
    consumer = Consumer({"bootstrap.servers": node.bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        consumer.commit(offsets=[TopicPartition(topic, 0, 10)], asynchronous=False)
    finally:
        consumer.close()

    status, body = get(node.http_port, "/api/cluster")
    assert status == 200
    cluster = json.loads(body)
    assert [b["id"] for b in cluster["brokers"]] == [1]
    status, body = get(node.http_port, "/v3/kafka")
    assert status == 200
    [name] = json.loads(body)["clusters"]
    assert name == cluster["cluster_id"]

    def burrow_status() -> str | None:
        status, body = get(node.http_port, f"/v3/kafka/{name}/consumer/{group}/status")
        return json.loads(body)["status"]["status"] if status == 200 else None

    wait_until(lambda: burrow_status() == "OK", 30, lambda: get(node.http_port, f"/v3/kafka/{name}/consumer"))
    status, body = get(node.http_port, "/metrics")
    assert values(body.decode(), "kafka_consumergroup_lag", consumergroup=group, topic=topic, partition="0") == [0.0]
