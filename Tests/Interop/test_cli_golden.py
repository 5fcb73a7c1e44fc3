"""Golden output of the `needletail` tools a Kafka user compares line by line with Kafka's: the exact header and
column layout of topics --describe/--list, consumer-groups --describe/--list, configs --describe, get-offsets,
log-dirs and dump-log (.log, .index, .timeindex, .snapshot, --offsets-decoder). Formats come from Kafka's
TopicCommand, ConsumerGroupCommand, ConfigCommand, GetOffsetShell, LogDirsCommand and DumpLogSegments."""

from __future__ import annotations

import json
import re
import subprocess
import time

import pytest

from conftest import NEEDLETAIL_BIN, wait_for_leaders


def cli(*args: str, input_bytes: bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEEDLETAIL_BIN), *args], input=input_bytes, capture_output=True, timeout=timeout)


def ok(*args: str, input_bytes: bytes | None = None) -> str:
    out = cli(*args, input_bytes=input_bytes)
    assert out.returncode == 0, f"{args} failed ({out.returncode}): {out.stderr.decode(errors='replace')}"
    return out.stdout.decode()


def topics(broker, *args: str) -> str:
    return ok("topics", "--bootstrap-server", broker.bootstrap, *args)


def create(broker, name: str, partitions: int = 1, *configs: str) -> None:
    args = ["--create", "--topic", name, "--partitions", str(partitions)]
    for c in configs:
        args += ["--config", c]
    topics(broker, *args)
    wait_for_leaders(broker.bootstrap, name, partitions)


def produce(broker, name: str, data: bytes, *props: str) -> None:
    args = ["console-producer", "--bootstrap-server", broker.bootstrap, "--topic", name, "--sync"]
    for p in props:
        args += ["--producer-property", p]
    ok(*args, input_bytes=data)


# Kafka: "Topic: %s\tTopicId: %s\tPartitionCount: %d\tReplicationFactor: %d\tConfigs: %s" (TopicId only when set).
TOPIC_LINE = re.compile(r"^Topic: (\S+)\tTopicId: [A-Za-z0-9_-]{22}\tPartitionCount: (\d+)\tReplicationFactor: (\d+)"
                        r"\tConfigs: (.*)$")
# Kafka: "\tTopic: %s\tPartition: %d\tLeader: %s\tReplicas: %s\tIsr: %s" (Leader "none" without a leader).
PARTITION_LINE = re.compile(r"^\tTopic: (\S+)\tPartition: (\d+)\tLeader: (\d+|none)\tReplicas: ([\d,]*)\tIsr: ([\d,]*)$")


def test_topics_describe_has_kafkas_topic_and_partition_lines(broker, topic_name):
    create(broker, topic_name, 3, "retention.ms=3600000", "cleanup.policy=compact")
    lines = topics(broker, "--describe", "--topic", topic_name).splitlines()
    head = TOPIC_LINE.match(lines[0])
    assert head, lines[0]
    assert head.group(1) == topic_name and head.group(2) == "3" and head.group(3) == "1"
    configs = dict(kv.split("=", 1) for kv in head.group(4).split(","))
    assert configs["retention.ms"] == "3600000" and configs["cleanup.policy"] == "compact"
    # Only entries whose source is not DEFAULT_CONFIG are listed: Kafka's own defaults never appear.
    assert "max.message.bytes" not in configs and "min.insync.replicas" not in configs
    assert [PARTITION_LINE.match(line).groups() for line in lines[1:]] == [
        (topic_name, str(p), "1", "1", "1") for p in range(3)]


def test_topics_describe_partition_filters_print_partitions_only_as_kafka_does(broker, topic_name):
    create(broker, topic_name, 2)
    # One broker, RF 1: nothing is under-replicated or unavailable.
    assert topics(broker, "--describe", "--topic", topic_name, "--under-replicated-partitions") == ""
    assert topics(broker, "--describe", "--topic", topic_name, "--unavailable-partitions") == ""
    # ISR size 1 == min.insync.replicas 1: both partitions are "at min ISR"; no topic line with a filter flag.
    at_min = topics(broker, "--describe", "--topic", topic_name, "--at-min-isr-partitions").splitlines()
    assert [PARTITION_LINE.match(line).group(2) for line in at_min] == ["0", "1"]
    assert topics(broker, "--describe", "--topic", topic_name, "--under-min-isr-partitions") == ""

    strict = topic_name + "-strict"
    create(broker, strict, 1, "min.insync.replicas=2")
    under = topics(broker, "--describe", "--topic", strict, "--under-min-isr-partitions").splitlines()
    assert len(under) == 1 and PARTITION_LINE.match(under[0]).group(1) == strict
    assert topics(broker, "--describe", "--topic", strict, "--at-min-isr-partitions") == ""


def test_topics_with_overrides_prints_only_topic_lines(broker, topic_name):
    create(broker, topic_name, 2, "retention.ms=7200000")
    out = topics(broker, "--describe", "--topic", topic_name, "--topics-with-overrides").splitlines()
    assert len(out) == 1 and TOPIC_LINE.match(out[0]) and "retention.ms=7200000" in out[0]


def test_topics_list_is_one_sorted_name_per_line(broker, topic_name):
    create(broker, topic_name + "-b")
    create(broker, topic_name + "-a")
    listed = topics(broker, "--list").splitlines()
    mine = [t for t in listed if t.startswith(topic_name)]
    assert mine == [topic_name + "-a", topic_name + "-b"]
    assert listed == sorted(listed)


def test_consumer_groups_describe_and_list_columns(broker, topic_name):
    create(broker, topic_name, 2)
    produce(broker, topic_name, b"a\nb\nc\n")
    group = "golden-" + topic_name[-6:]
    out = cli("console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name, "--group", group,
              "--from-beginning", "--max-messages", "3", "--timeout-ms", "20000")
    assert out.returncode == 0, out.stderr.decode()
    assert group in ok("consumer-groups", "--bootstrap-server", broker.bootstrap, "--list").splitlines()

    lines = ok("consumer-groups", "--bootstrap-server", broker.bootstrap, "--describe", "--group", group).splitlines()
    # Kafka prints "\n" + format per line: a blank line, then the header, then one row per partition.
    header_at = next(i for i, line in enumerate(lines) if line.startswith("GROUP"))
    assert lines[header_at - 1] == ""
    gw, tw = max(15, len(group)), max(15, len(topic_name))
    expected = (f"{'GROUP':<{gw}} {'TOPIC':<{tw}} {'PARTITION':<10} {'CURRENT-OFFSET':<15} {'LOG-END-OFFSET':<15} "
                f"{'LAG':<15} {'CONSUMER-ID':<15} {'HOST':<15} CLIENT-ID")
    assert lines[header_at] == expected
    rows = [line.split() for line in lines[header_at + 1:] if line.strip()]
    assert sorted(r[2] for r in rows) == ["0", "1"]
    assert sum(int(r[3]) for r in rows) == 3 and all(r[5] == "0" for r in rows)
    assert all(r[6:] == ["-", "-", "-"] for r in rows)

    state = ok("consumer-groups", "--bootstrap-server", broker.bootstrap, "--describe", "--group", group,
               "--state").splitlines()
    head = next(line for line in state if line.startswith("GROUP"))
    assert head.split() == ["GROUP", "COORDINATOR", "(ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"]


def test_configs_describe_topic_line_format(broker, topic_name):
    create(broker, topic_name, 1, "retention.ms=3600000")
    lines = ok("configs", "--bootstrap-server", broker.bootstrap, "--entity-type", "topics", "--entity-name",
               topic_name, "--describe").splitlines()
    assert lines[0] == f"Dynamic configs for topic {topic_name} are:"
    assert "  retention.ms=3600000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=3600000" in lines[1]
    assert lines[1].endswith("}")


def test_get_offsets_prints_topic_partition_offset(broker, topic_name):
    create(broker, topic_name, 2)
    produce(broker, topic_name, b"x\n", "linger.ms=0")
    out = ok("get-offsets", "--bootstrap-server", broker.bootstrap, "--topic", topic_name).splitlines()
    assert len(out) == 2 and all(re.fullmatch(rf"{re.escape(topic_name)}:[01]:\d+", line) for line in out)
    assert sum(int(line.rsplit(":", 1)[1]) for line in out) == 1


def test_log_dirs_prints_kafkas_three_lines(broker, topic_name):
    create(broker, topic_name, 1)
    out = ok("log-dirs", "--bootstrap-server", broker.bootstrap, "--describe", "--topic-list", topic_name).splitlines()
    assert out[0] == "Querying brokers for log directories information"
    assert out[1] == "Received log directory information from brokers 1"
    doc = json.loads(out[2])
    assert doc["version"] == 1 and doc["brokers"][0]["broker"] == 1
    partitions = doc["brokers"][0]["logDirs"][0]["partitions"]
    assert partitions[0]["partition"] == f"{topic_name}-0"
    assert set(partitions[0]) == {"partition", "size", "offsetLag", "isFuture"}


def segment_files(broker, topic: str, partition: int = 0):
    return sorted((broker.log_dir / f"{topic}-{partition}").iterdir())


@pytest.mark.needletail_only
def test_dump_log_index_and_timeindex(broker, topic_name):
    # index.interval.bytes=1: every batch gets an index entry.
    create(broker, topic_name, 1, "index.interval.bytes=1")
    produce(broker, topic_name, b"one\ntwo\nthree\n", "linger.ms=0")
    seg = broker.log_dir / f"{topic_name}-0" / "00000000000000000000"
    log = ok("dump-log", "--files", f"{seg}.log").splitlines()
    positions = [int(re.search(r" position: (\d+) ", line).group(1)) for line in log if line.startswith("baseOffset")]
    index = ok("dump-log", "--files", f"{seg}.index").splitlines()
    assert index[0] == f"Dumping {seg}.index"
    entries = index[1:]
    assert entries and all(re.fullmatch(r"offset: \d+ position: \d+", e) for e in entries)
    assert [int(e.split()[3]) for e in entries] == positions[1:len(entries) + 1] or \
        [int(e.split()[3]) for e in entries] == positions[:len(entries)]
    verify = cli("dump-log", "--files", f"{seg}.index", "--verify-index-only")
    assert verify.returncode == 0 and verify.stdout.decode().splitlines() == [f"Dumping {seg}.index"]
    assert verify.stderr.decode() == "", verify.stderr.decode()
    sanity = ok("dump-log", "--files", f"{seg}.index", "--index-sanity-check").splitlines()
    assert sanity == [f"Dumping {seg}.index", f"{seg}.index passed sanity check."]

    timeindex = cli("dump-log", "--files", f"{seg}.timeindex")
    assert timeindex.returncode == 0
    lines = timeindex.stdout.decode().splitlines()
    assert lines[0] == f"Dumping {seg}.timeindex"
    assert all(re.fullmatch(r"timestamp: \d+ offset: \d+", e) for e in lines[1:])
    assert timeindex.stderr.decode() == "", timeindex.stderr.decode()


@pytest.mark.needletail_only
def test_dump_log_producer_snapshot(broker, topic_name):
    # A tiny segment.bytes rolls a segment per batch; every roll writes a producer snapshot.
    create(broker, topic_name, 1, "segment.bytes=100")
    produce(broker, topic_name, b"a\nb\nc\n", "enable.idempotence=true", "linger.ms=0")
    snapshots = [p for p in segment_files(broker, topic_name) if p.suffix == ".snapshot"]
    assert snapshots, list(segment_files(broker, topic_name))
    out = ok("dump-log", "--files", str(snapshots[-1])).splitlines()
    assert out[0] == f"Dumping {snapshots[-1]}"
    assert len(out) == 2
    assert re.fullmatch(r"producerId: \d+ producerEpoch: 0 coordinatorEpoch: -1 currentTxnFirstOffset: "
                        r"OptionalLong.empty lastTimestamp: \d+ firstSequence: \d+ lastSequence: \d+ "
                        r"lastOffset: \d+ offsetDelta: 0 timestamp: \d+", out[1]), out[1]


@pytest.mark.needletail_only
def test_dump_log_offsets_decoder(broker, topic_name):
    create(broker, topic_name, 1)
    produce(broker, topic_name, b"a\n")
    group = "decoder-" + topic_name[-6:]
    out = cli("console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name, "--group", group,
              "--from-beginning", "--max-messages", "1", "--timeout-ms", "20000")
    assert out.returncode == 0, out.stderr.decode()
    deadline = time.monotonic() + 10
    found: list[str] = []
    while not found and time.monotonic() < deadline:
        for d in broker.log_dir.glob("__consumer_offsets-*"):
            seg = d / "00000000000000000000.log"
            if seg.exists() and seg.stat().st_size > 0:
                text = ok("dump-log", "--files", str(seg), "--offsets-decoder")
                found += [line for line in text.splitlines() if f'"group":"{group}"' in line]
        time.sleep(0.2)
    commit = next(line for line in found if '"type":"1"' in line)
    assert re.search(r'\| offset: \d+ CreateTime: \d+ keySize: \d+ valueSize: \d+ sequence: -?\d+ headerKeys: \[\] '
                     r'key: \{"type":"1","data":\{"group":"' + re.escape(group) + r'","topic":"'
                     + re.escape(topic_name) + r'","partition":0\}\} payload: \{"version":"3","data":\{"offset":1,'
                     r'"leaderEpoch":-?\d+,"metadata":"","commitTimestamp":\d+\}\}$', commit), commit
    metadata = next(line for line in found if '"type":"2"' in line)
    assert f'key: {{"type":"2","data":{{"group":"{group}"}}}} payload: ' in metadata
    raw = metadata.split(" payload: ", 1)[1]
    if raw != "<DELETE>":
        payload = json.loads(raw)
        assert payload["data"]["protocolType"] == "consumer"
        assert list(payload["data"]) == ["protocolType", "generation", "protocol", "leader",
                                         "currentStateTimestamp", "members"]
