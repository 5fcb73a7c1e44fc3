"""`/metrics` (http.listeners): the page parses with prometheus_client and passes `promtool check metrics`, the
counters match what clients did, and on three brokers a real Prometheus server summing over all targets sees each
cluster-wide series exactly once — before and after the partition leader that is also the group's coordinator is
killed with SIGKILL.

One broker of the module's `cluster` and one `MetricsCluster` (conftest's `ReplicatedCluster` with an HTTP listener
on a free port per broker) serve every test here; Debian's `prometheus` and `promtool` come from tools/test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient
from prometheus_client.parser import text_string_to_metric_families

from clients import confluent_produce
from conftest import (HOST, NEEDLETAIL_BIN, TMP_ROOT, ReplicatedCluster, create_topic, free_port, record_timing,
                      wait_until)

pytestmark = pytest.mark.needletail_only

HANG_S = 60.0  # an upper bound that means "hung", never a performance expectation


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=10) as r:
        assert r.status == 200
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return r.read().decode()


def http_port(b) -> int:
    return int(b.props["http.listeners"].rsplit(":", 1)[1])


def samples(text: str, name: str, **labels) -> list[float]:
    """Values of every sample called `name` whose labels include `labels`."""
    found = []
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                found.append(s.value)
    return found


@pytest.fixture(scope="module")
def metrics_broker(cluster):
    return cluster.broker(1, {"http.listeners": f"HTTP://{HOST}:{free_port()}"})


def test_metrics_page_parses_and_promtool_finds_nothing_to_lint(metrics_broker):
    topic = "metrics-lint"
    confluent_produce(metrics_broker.bootstrap, topic, [(b"k", b"v%d" % i, None) for i in range(10)])
    text = scrape(http_port(metrics_broker))
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name in ["kafka_server_brokertopicmetrics_messagesin", "kafka_server_replicamanager_partitioncount",
                 "kafka_controller_kafkacontroller_activecontrollercount", "kafka_network_requestmetrics_requests",
                 "kafka_network_requestmetrics_totaltimems", "kafka_server_socket_server_metrics_connection_count",
                 "kafka_log_log_size", "kafka_topic_partition_current_offset", "kafka_brokers",
                 "process_cpu_seconds", "process_resident_memory_bytes", "process_open_fds",
                 "process_start_time_seconds"]:
        assert name in families, f"{name} missing from /metrics"
    assert families["kafka_server_brokertopicmetrics_messagesin"].type == "counter"
    assert families["kafka_brokers"].type == "gauge"
    assert not [n for n in families if n.startswith("jvm_")]
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing (Debian package prometheus; tools/test installs it)"
    out = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and not out.stdout.strip() and not out.stderr.strip(), out.stdout + out.stderr


def test_a_scraper_asking_for_gzip_gets_the_same_page_compressed(metrics_broker):
    import gzip
    port = http_port(metrics_broker)
    plain = scrape(port)
    request = urllib.request.Request(f"http://{HOST}:{port}/metrics", headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.headers["Content-Encoding"] == "gzip"
        assert r.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        body = r.read()
    text = gzip.decompress(body).decode()
    families = lambda page: sorted(line for line in page.splitlines() if line.startswith("# TYPE"))
    assert families(text) == families(plain)
    assert len(body) < len(plain.encode())


def test_messages_in_totals_equal_what_was_produced(metrics_broker):
    topic, total = "metrics-messages-in", 2500
    port = http_port(metrics_broker)
    before_all = samples(scrape(port), "kafka_server_brokertopicmetrics_messagesin_total")
    confluent_produce(metrics_broker.bootstrap, topic, [(None, b"m%05d" % i, None) for i in range(total)])
    text = scrape(port)
    assert samples(text, "kafka_server_brokertopicmetrics_messagesin_total", topic=topic) == [total]
    unlabelled = [s.value for f in text_string_to_metric_families(text) for s in f.samples
                  if s.name == "kafka_server_brokertopicmetrics_messagesin_total" and not s.labels]
    assert unlabelled[0] - [v for v in before_all][0] >= total  # every topic's messages, this one's included
    assert samples(text, "kafka_server_brokertopicmetrics_bytesin_total", topic=topic)[0] > total * 6
    assert samples(text, "kafka_topic_partition_current_offset", topic=topic, partition="0") == [total]
    assert samples(text, "kafka_log_log_logendoffset", topic=topic, partition="0") == [total]
    assert sum(samples(text, "kafka_network_requestmetrics_requests_total", request="Produce")) > 0
    assert samples(text, "kafka_network_requestmetrics_errors_total", request="Produce", error="NONE")[0] > 0

    consumer = Consumer({"bootstrap.servers": metrics_broker.bootstrap, "group.id": "metrics-single",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    try:
        consumer.subscribe([topic])
        got = 0
        deadline = time.monotonic() + HANG_S
        while got < 1000 and time.monotonic() < deadline:
            got += sum(1 for m in consumer.consume(num_messages=500, timeout=0.5) if m.error() is None)
        consumer.commit(asynchronous=False)
        committed = consumer.committed([TopicPartition(topic, 0)], timeout=30)[0].offset
        text = scrape(port)
        assert samples(text, "kafka_server_brokertopicmetrics_bytesout_total", topic=topic)[0] > 0
        assert samples(text, "kafka_consumergroup_lag", consumergroup="metrics-single", topic=topic) == \
            [total - committed]
        assert samples(text, "kafka_consumergroup_members", consumergroup="metrics-single") == [1]
    finally:
        consumer.close()


def http_json(port: int, path: str, method: str = "GET") -> tuple[int, dict]:
    request = urllib.request.Request(f"http://{HOST}:{port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as r:
            assert r.headers["Content-Type"].startswith("application/json")
            return r.status, json.load(r)
    except urllib.error.HTTPError as e:
        assert e.headers["Content-Type"].startswith("application/json")
        return e.code, json.load(e)


def commit(bootstrap: str, group: str, topic: str, offset: int) -> None:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        c.commit(offsets=[TopicPartition(topic, 0, offset)], asynchronous=False)
    finally:
        c.close()


def test_burrow_api_reports_caught_up_stopped_and_rewound_groups_with_burrows_statuses(metrics_broker):
    topic = "metrics-burrow"
    port = http_port(metrics_broker)
    confluent_produce(metrics_broker.bootstrap, topic, [(None, b"b%03d" % i, None) for i in range(100)])
    status, clusters = http_json(port, "/v3/kafka")
    assert status == 200 and clusters["error"] is False and len(clusters["clusters"]) == 1
    base = f"/v3/kafka/{clusters['clusters'][0]}/consumer"

    commit(metrics_broker.bootstrap, "burrow-caught-up", topic, 100)
    commit(metrics_broker.bootstrap, "burrow-stopped", topic, 40)
    commit(metrics_broker.bootstrap, "burrow-rewound", topic, 80)
    status, listing = http_json(port, base)
    assert status == 200 and {"burrow-caught-up", "burrow-stopped", "burrow-rewound"} <= set(listing["consumers"])
    time.sleep(0.01)  # a later commit timestamp than the first, whatever the clock's resolution
    commit(metrics_broker.bootstrap, "burrow-rewound", topic, 30)

    status, body = http_json(port, f"{base}/burrow-caught-up/status")
    assert status == 200 and body["error"] is False, body
    assert body["status"]["status"] == "OK" and body["status"]["totallag"] == 0
    assert body["status"]["partitions"] == []  # /status lists only partitions that are not OK

    status, body = http_json(port, f"{base}/burrow-stopped/lag")
    assert status == 200
    [p] = body["status"]["partitions"]
    assert (p["topic"], p["partition"], p["status"], p["current_lag"]) == (topic, 0, "STOP", 60), p
    assert p["end"]["offset"] == 40 and p["end"]["lag"] == 60
    assert body["status"]["status"] == "ERR" and body["status"]["maxlag"]["current_lag"] == 60

    status, body = http_json(port, f"{base}/burrow-rewound/status")
    assert status == 200
    [p] = body["status"]["partitions"]
    assert p["status"] == "REWIND" and p["start"]["offset"] == 80 and p["end"]["offset"] == 30, p
    assert body["status"]["status"] == "ERR" and body["status"]["totallag"] == 70

    status, body = http_json(port, f"{base}/no-such-group/status")
    assert status == 404 and body["error"] is True
    status, body = http_json(port, f"{base}/burrow-stopped/status", method="POST")
    assert status == 405 and body["error"] is True


class Poller:
    """A confluent-kafka group member kept alive by a thread that polls it."""

    def __init__(self, bootstrap: str, group: str, client_id: str, topics: list[str]):
        import threading
        self.consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "client.id": client_id,
                                  "session.timeout.ms": 6000, "heartbeat.interval.ms": 500,
                                  "auto.offset.reset": "earliest"})
        self.consumer.subscribe(topics)
        self.stop = False
        self.resubscribe: list[str] | None = None  # a confluent-kafka consumer is driven from one thread only
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop:
            if self.resubscribe is not None:
                self.consumer.subscribe(self.resubscribe)
                self.resubscribe = None
            self.consumer.poll(0.2)

    def close(self):
        self.stop = True
        self.thread.join(10)
        self.consumer.close()  # LeaveGroup


def cli_rebalances(bootstrap: str, group: str) -> tuple[list[str], list[str], str]:
    """`consumer-groups --describe --rebalances` over the Kafka protocol: (TRIGGER column of every cause row, CLIENT-ID
    column of each generation's first row, the verdict line)."""
    out = subprocess.run([str(NEEDLETAIL_BIN), "consumer-groups", "--bootstrap-server", bootstrap, "--describe",
                          "--group", group, "--rebalances"], capture_output=True, timeout=HANG_S)
    if out.returncode != 0 and b"does not exist" in out.stderr:
        return [], [], ""  # the group's first member has not joined yet
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    lines = out.stdout.decode().splitlines()
    header = next((i for i, line in enumerate(lines) if line.startswith("GROUP ")), None)
    if header is None:
        return [], [], ""  # "has no recorded rebalances": the first one has not finished yet
    columns = lines[header].split()
    triggers, first_clients, verdict = [], [], ""
    for line in lines[header + 1:]:
        if line.startswith("Verdict: "):
            verdict = line
            continue
        cells = line.split()
        if len(cells) < len(columns) or cells[0] != group:
            continue
        row = dict(zip(columns, cells))
        if row["TRIGGER"] != "rebalance_timeout":
            triggers.append(row["TRIGGER"])
        if row["STARTED"] != "-":
            first_clients.append(row["CLIENT-ID"])
    return triggers, first_clients, verdict


MEMBER_SCRIPT = """
import sys
from confluent_kafka import Consumer
c = Consumer({"bootstrap.servers": sys.argv[1], "group.id": sys.argv[2], "client.id": "rb-3",
              "session.timeout.ms": 6000, "heartbeat.interval.ms": 500})
c.subscribe([sys.argv[3]])
while True:
    c.poll(0.2)
"""


def test_rebalance_history_names_each_trigger_in_order_with_who_and_a_verdict(metrics_broker):
    topic_a, topic_b, group = "metrics-rb-a", "metrics-rb-b", "metrics-rebalances"
    create_topic(metrics_broker.bootstrap, topic_a, partitions=2)
    create_topic(metrics_broker.bootstrap, topic_b, partitions=2)
    port = http_port(metrics_broker)

    def history() -> dict:
        status, body = http_json(port, f"/api/groups/{group}/rebalances")
        return body if status == 200 else {"rebalances": []}

    def causes() -> list[str]:
        return [c["trigger"] for r in history()["rebalances"] for c in r["causes"]]

    def wait_causes(expected: list[str]) -> None:
        wait_until(lambda: causes() == expected and "inProgress" not in history() and
                   "in_progress" not in history(), HANG_S,
                   lambda: f"rebalance causes {expected}; the broker has {history()}", interval=0.3)

    expected = ["member_joined"]
    c1 = Poller(metrics_broker.bootstrap, group, "rb-1", [topic_a])
    c2 = None
    member = None
    try:
        wait_causes(expected)
        c2 = Poller(metrics_broker.bootstrap, group, "rb-2", [topic_a])
        expected.append("member_joined")
        wait_causes(expected)
        c2.close()
        c2 = None
        expected.append("member_left")
        wait_causes(expected)
        member = subprocess.Popen([sys.executable, "-c", MEMBER_SCRIPT, metrics_broker.bootstrap, group, topic_a])
        expected.append("member_joined")
        wait_causes(expected)
        member.kill()  # SIGKILL: no LeaveGroup, the session expires
        member.wait()
        expected.append("session_timeout")
        wait_causes(expected)
        c1.resubscribe = [topic_a, topic_b]
        expected.append("metadata_changed")
        wait_causes(expected)
    finally:
        if member is not None and member.poll() is None:
            member.kill()
        for c in (c1, c2):
            if c is not None:
                c.close()
    body = history()
    first = [r["causes"][0] for r in body["rebalances"]]
    assert [c["clientId"] if "clientId" in c else c["client_id"] for c in first][:2] == ["rb-1", "rb-2"], first
    timed_out = [c for c in first if c["trigger"] == "session_timeout"]
    assert timed_out and (timed_out[0].get("client_id") or timed_out[0].get("clientId")) == "rb-3", first
    assert all(r["generation"] > 0 for r in body["rebalances"])
    text = scrape(port)
    assert samples(text, "needletail_consumergroup_rebalances_total", consumergroup=group, reason="session_timeout") == [1]
    assert samples(text, "needletail_consumergroup_rebalance_duration_seconds_count", consumergroup=group)[0] >= 6

    # The same history, durable in __consumer_offsets, read by the CLI over the Kafka protocol (closing rb-1 above
    # was one more LeaveGroup, which emptied the group).
    expected.append("member_left")
    wait_until(lambda: cli_rebalances(metrics_broker.bootstrap, group)[0] == expected, HANG_S,
               lambda: f"CLI shows {cli_rebalances(metrics_broker.bootstrap, group)}", interval=0.5)
    triggers, first_clients, verdict = cli_rebalances(metrics_broker.bootstrap, group)
    assert first_clients[:2] == ["rb-1", "rb-2"], first_clients
    assert verdict.startswith("Verdict: "), verdict


# Three brokers and a real Prometheus.

class MetricsCluster(ReplicatedCluster):
    """conftest's three-broker cluster, each broker with its own HTTP listener (kept across restarts)."""

    def broker(self, broker_id=1, overrides=None, env=None, start=True):
        o = dict(overrides or {})
        o.setdefault("http.listeners", f"HTTP://{HOST}:{free_port()}")
        return super().broker(broker_id, o, env, start)


class Prometheus:
    def __init__(self, targets: list[str]):
        binary = shutil.which("prometheus")
        if not binary:
            pytest.fail("prometheus missing (Debian package prometheus; tools/test installs it)")
        self.dir = Path(tempfile.mkdtemp(prefix="interop-prometheus-", dir=TMP_ROOT))
        self.port = free_port()
        config = self.dir / "prometheus.yml"
        config.write_text(json.dumps({  # JSON is YAML
            "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
            "scrape_configs": [{"job_name": "needletail", "static_configs": [{"targets": targets}]}],
        }))
        self.log = open(self.dir / "prometheus.log", "wb")
        self.proc = subprocess.Popen(
            [binary, f"--config.file={config}", f"--storage.tsdb.path={self.dir / 'data'}",
             f"--web.listen-address={HOST}:{self.port}"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        wait_until(self._ready, HANG_S, "prometheus ready", interval=0.2)

    def _ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"http://{HOST}:{self.port}/-/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def query(self, promql: str) -> float | None:
        url = f"http://{HOST}:{self.port}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
        with urllib.request.urlopen(url, timeout=10) as r:
            body = json.load(r)
        result = body["data"]["result"]
        return float(result[0]["value"][1]) if result else None

    def wait_for(self, promql: str, expected, timeout: float = HANG_S) -> None:
        wait_until(lambda: self.query(promql) == expected, timeout,
                   lambda: f"{promql} == {expected} (Prometheus says {self.query(promql)})", interval=0.5)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def metrics_cluster(zookeeper_ensemble):
    c = MetricsCluster("test-metrics", zookeeper_ensemble)
    try:
        c.start()
        yield c
    finally:
        c.teardown()


@pytest.fixture(scope="module")
def prometheus(metrics_cluster):
    p = Prometheus([f"{HOST}:{http_port(b)}" for b in metrics_cluster.brokers.values()])
    yield p
    p.stop()


def true_lag(bootstrap: str, group: str, topic: str, partitions: int) -> tuple[int, int]:
    """(sum of high watermarks, sum of lag) as a consumer sees them: committed offsets and watermarks."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        committed = c.committed([TopicPartition(topic, p) for p in range(partitions)], timeout=HANG_S)
        hws, lag = 0, 0
        for tp in committed:
            hw = c.get_watermark_offsets(TopicPartition(topic, tp.partition), timeout=HANG_S)[1]
            hws += hw
            if tp.offset >= 0:
                lag += hw - tp.offset
        return hws, lag
    finally:
        c.close()


def test_prometheus_sums_match_the_truth_before_and_after_the_leader_and_coordinator_dies(metrics_cluster,
                                                                                          prometheus):
    rc = metrics_cluster
    topic, group, partitions, total = "metrics-lag", "metrics-lag-group", 3, 3000
    create_topic(rc.bootstrap, topic, partitions=partitions, replication=3)
    rc.wait_full_isr(topic, partitions, timeout=HANG_S)
    confluent_produce(rc.bootstrap, topic, [(None, b"l%05d" % i, None, i % partitions) for i in range(total)])

    # Commit half of each partition as the group's offsets (a standalone commit: no member needed).
    committer = Consumer({"bootstrap.servers": rc.bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        committer.commit(offsets=[TopicPartition(topic, p, (total // partitions) // 2) for p in range(partitions)],
                         asynchronous=False)
    finally:
        committer.close()
    hws, lag = true_lag(rc.bootstrap, group, topic, partitions)
    assert hws == total and lag == total - partitions * ((total // partitions) // 2)

    def check_sums(brokers: int) -> None:
        prometheus.wait_for(f'sum(kafka_topic_partition_current_offset{{topic="{topic}"}})', float(total))
        prometheus.wait_for(f'count(kafka_topic_partition_current_offset{{topic="{topic}"}})', float(partitions))
        prometheus.wait_for(f'sum(kafka_consumergroup_lag{{consumergroup="{group}"}})', float(lag))
        prometheus.wait_for(f'count(kafka_consumergroup_current_offset{{consumergroup="{group}"}})',
                            float(partitions))
        prometheus.wait_for("sum(kafka_brokers)", float(brokers))
        prometheus.wait_for("count(kafka_brokers)", 1.0)
        prometheus.wait_for("sum(kafka_controller_kafkacontroller_activecontrollercount)", 1.0)
        prometheus.wait_for(f'sum(kafka_topic_partitions{{topic="{topic}"}})', float(partitions))

    check_sums(brokers=3)
    prometheus.wait_for("sum(kafka_server_replicamanager_underreplicatedpartitions)", 0.0)

    admin = AdminClient({"bootstrap.servers": rc.bootstrap})
    coordinator = admin.describe_consumer_groups([group])[group].result(timeout=HANG_S).coordinator.id
    assert coordinator in rc.leaders(topic).values(), (coordinator, rc.leaders(topic))
    victim = rc.broker_by_id(coordinator)
    victim.kill9()
    started = time.monotonic()
    prometheus.wait_for("sum(kafka_server_replicamanager_underreplicatedpartitions) > bool 0", 1.0)
    check_sums(brokers=2)
    record_timing("metrics: sums correct again after the leader+coordinator was killed", time.monotonic() - started)
    assert true_lag(rc.bootstrap, group, topic, partitions) == (hws, lag)

    rc.restart_after_kill(victim)
    prometheus.wait_for("sum(kafka_server_replicamanager_underreplicatedpartitions)", 0.0, timeout=120)
    check_sums(brokers=3)


def test_lag_of_partitions_led_elsewhere_sums_to_the_truth_when_a_leader_and_then_the_coordinator_die(
        metrics_cluster, prometheus):
    """Most partitions here are led by a broker that is not the group's coordinator and holds no replica of them
    (an RF=1 topic spread over all three brokers), so their lag needs the leader's high watermark; an RF=2 topic
    keeps every partition online when one broker dies. Prometheus sums over all targets must equal the truth with
    all brokers up, after kill -9 of a leader that is not the coordinator, and after kill -9 of the coordinator."""
    rc = metrics_cluster
    rc.ensure_healthy()
    spread, replicated, group, n = "metrics-spread", "metrics-replicated", "metrics-remote-group", 6
    create_topic(rc.bootstrap, spread, partitions=n, replication=1)
    create_topic(rc.bootstrap, replicated, partitions=n, replication=2)
    rc.wait_full_isr(spread, n, timeout=HANG_S)
    rc.wait_full_isr(replicated, n, timeout=HANG_S)
    assert set(rc.leaders(spread).values()) == {1, 2, 3}, rc.leaders(spread)
    produced = {p: 100 * (p + 1) for p in range(n)}  # a different count per partition: a wrong sum shows
    committed = {p: 10 * (p + 1) for p in range(n)}
    for topic in (spread, replicated):
        confluent_produce(rc.bootstrap, topic,
                          [(None, b"r%05d" % i, None, p) for p in range(n) for i in range(produced[p])])
    committer = Consumer({"bootstrap.servers": rc.bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        committer.commit(offsets=[TopicPartition(t, p, committed[p]) for t in (spread, replicated) for p in range(n)],
                         asynchronous=False)
    finally:
        committer.close()
    # The coordinator leads the group's __consumer_offsets partition (Kafka's partitionFor: the group id's Java
    # hashCode through Utils.abs, modulo the partition count), read from ZooKeeper so that no admin client has to
    # ride out the coordinator's death.
    java_hash = 0
    for ch in group:
        java_hash = (31 * java_hash + ord(ch)) & 0xFFFFFFFF
    java_hash = java_hash - (1 << 32) if java_hash >= 1 << 31 else java_hash
    offsets_partition = (0 if java_hash == -(1 << 31) else abs(java_hash)) % len(rc.assignment("__consumer_offsets"))

    def coordinator() -> int | None:
        leader = rc.leaders("__consumer_offsets").get(offsets_partition, -1)
        return leader if leader >= 0 else None

    topics = f'topic=~"{spread}|{replicated}"'

    def check_sums(dead: int | None) -> None:
        # A partition whose only replica is dead has no leader: no broker exports it, as kafka_exporter skips it.
        online = [(t, p) for t in (spread, replicated) for p in range(n)
                  if not (t == spread and dead is not None and rc.assignment(spread)[p] == [dead])]
        prometheus.wait_for(f"sum(kafka_topic_partition_current_offset{{{topics}}})",
                            float(sum(produced[p] for _, p in online)))
        prometheus.wait_for(f"count(kafka_topic_partition_current_offset{{{topics}}})", float(len(online)))
        prometheus.wait_for(f'sum(kafka_consumergroup_lag{{consumergroup="{group}"}})',
                            float(sum(produced[p] - committed[p] for _, p in online)))
        prometheus.wait_for(f'count(kafka_consumergroup_lag{{consumergroup="{group}"}})', float(len(online)))
        prometheus.wait_for(f'count(kafka_consumergroup_current_offset{{consumergroup="{group}"}})', float(2 * n))
        prometheus.wait_for("sum(kafka_brokers)", float(3 if dead is None else 2))
        prometheus.wait_for("count(kafka_brokers)", 1.0)

    check_sums(dead=None)
    holder = wait_until(coordinator, HANG_S, "the group's coordinator")
    assert [p for p in range(n) if holder not in rc.assignment(spread)[p]], "every partition local to the coordinator"

    # A leader of the replicated topic that is not the coordinator: its partitions move to their other replica.
    leader = next(b for b in rc.leaders(replicated).values() if b != holder)
    victim = rc.broker_by_id(leader)
    victim.kill9()
    started = time.monotonic()
    check_sums(dead=leader)
    record_timing("metrics: remote lag correct again after a leader was killed", time.monotonic() - started)
    rc.restart_after_kill(victim)
    rc.wait_full_isr(replicated, n, timeout=HANG_S)
    check_sums(dead=None)

    # The coordinator: the group moves to another broker, which asks the leaders for their end offsets.
    holder = wait_until(coordinator, HANG_S, "the group's coordinator")
    victim = rc.broker_by_id(holder)
    victim.kill9()
    started = time.monotonic()
    wait_until(lambda: coordinator() not in (None, holder), HANG_S, "the group's coordinator moved", interval=0.5)
    check_sums(dead=holder)
    record_timing("metrics: remote lag correct again after the coordinator was killed", time.monotonic() - started)
    rc.restart_after_kill(victim)
    rc.wait_full_isr(replicated, n, timeout=HANG_S)
    check_sums(dead=None)


def test_rebalance_history_survives_kill_9_of_the_coordinator_and_reads_the_same_through_any_broker(metrics_cluster):
    """The history is written to the group's __consumer_offsets partition (replicated to all three brokers): after
    SIGKILL of the coordinator the new coordinator serves it again, and the CLI reads it through any broker."""
    rc = metrics_cluster
    rc.ensure_healthy()
    topic, group = "metrics-rb-durable", "metrics-rb-durable-group"
    create_topic(rc.bootstrap, topic, partitions=2, replication=3)
    c1 = Poller(rc.bootstrap, group, "rbd-1", [topic])
    c2 = None
    expected = ["member_joined", "member_joined"]

    def left(triggers: list[str], n: int) -> bool:
        # librdkafka's close sends LeaveGroup only when it still knows the coordinator (not always after the
        # brokers that earlier tests of this module killed): a member then goes on its session timeout instead.
        return triggers[:2] == expected and len(triggers) == 2 + n and \
            all(t in ("member_left", "session_timeout") for t in triggers[2:])

    try:
        wait_until(lambda: cli_rebalances(rc.bootstrap, group)[0] == expected[:1], HANG_S,
                   lambda: f"first rebalance; CLI shows {cli_rebalances(rc.bootstrap, group)}", interval=0.5)
        c2 = Poller(rc.bootstrap, group, "rbd-2", [topic])
        wait_until(lambda: cli_rebalances(rc.bootstrap, group)[0] == expected[:2], HANG_S,
                   lambda: f"second rebalance; CLI shows {cli_rebalances(rc.bootstrap, group)}", interval=0.5)
        c2.close()
        c2 = None
        wait_until(lambda: left(cli_rebalances(rc.bootstrap, group)[0], 1), HANG_S,
                   lambda: f"rbd-2 left; CLI shows {cli_rebalances(rc.bootstrap, group)}", interval=0.5)
    finally:
        for c in (c1, c2):
            if c is not None:
                c.close()
    wait_until(lambda: left(cli_rebalances(rc.bootstrap, group)[0], 2), HANG_S,
               lambda: f"rbd-1 left; CLI shows {cli_rebalances(rc.bootstrap, group)}", interval=0.5)
    expected = cli_rebalances(rc.bootstrap, group)[0]

    admin = AdminClient({"bootstrap.servers": rc.bootstrap})
    coordinator = admin.describe_consumer_groups([group])[group].result(timeout=HANG_S).coordinator.id
    victim = rc.broker_by_id(coordinator)
    victim.kill9()
    try:
        for b in rc.brokers.values():
            if b is victim:
                continue
            # Bounded wait: the partition's new leader may briefly answer with an older high watermark.
            wait_until(lambda: cli_rebalances(b.bootstrap, group)[:2] ==
                       (expected, ["rbd-1", "rbd-2", "rbd-2", "rbd-1"]), HANG_S,
                       lambda: f"CLI through {b.bootstrap} shows {cli_rebalances(b.bootstrap, group)}", interval=0.5)

        def served() -> list[str]:
            for b in rc.brokers.values():
                if b is victim:
                    continue
                status, body = http_json(http_port(b), f"/api/groups/{group}/rebalances")
                if status == 200:
                    return [c["trigger"] for r in body["rebalances"] for c in r["causes"]]
            return []

        wait_until(lambda: served() == expected, HANG_S,
                   lambda: f"the new coordinator loads the history; it serves {served()}", interval=0.5)
    finally:
        rc.restart_after_kill(victim)


def test_pool_idle_gauges_are_fractions_and_fetcher_lag_and_unclean_elections_start_at_zero(metrics_broker):
    text = scrape(http_port(metrics_broker))
    families = {f.name: f for f in text_string_to_metric_families(text)}
    for name in ["kafka_server_kafkarequesthandlerpool_requesthandleravgidle_percent",
                 "kafka_network_socketserver_networkprocessoravgidle_percent"]:
        assert families[name].type == "gauge", name
        [idle] = samples(text, name)
        assert 0.0 <= idle <= 1.0, (name, idle)
    assert families["kafka_server_replicafetchermanager_maxlag"].type == "gauge"
    # One broker follows nobody.
    assert samples(text, "kafka_server_replicafetchermanager_maxlag") == [0.0]
    assert families["kafka_controller_controllerstats_uncleanleaderelections"].type == "counter"
    assert samples(text, "kafka_controller_controllerstats_uncleanleaderelections_total") == [0.0]


def test_every_broker_reports_its_fetchers_max_lag_and_it_returns_to_zero_once_followers_catch_up(
        metrics_cluster, prometheus):
    rc = metrics_cluster
    topic = "metrics-fetcher-lag"
    create_topic(rc.bootstrap, topic, partitions=3, replication=3)
    rc.wait_full_isr(topic, 3, timeout=HANG_S)
    confluent_produce(rc.bootstrap, topic, [(None, b"f%d" % i, None, i % 3) for i in range(300)])
    prometheus.wait_for("count(kafka_server_replicafetchermanager_maxlag)", float(len(rc.brokers)))
    prometheus.wait_for("max(kafka_server_replicafetchermanager_maxlag)", 0.0)
    prometheus.wait_for("count(kafka_controller_controllerstats_uncleanleaderelections_total)", float(len(rc.brokers)))
