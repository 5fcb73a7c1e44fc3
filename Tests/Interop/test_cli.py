"""The `needletail` admin subcommands against a live broker: topics, console producer/consumer, configs,
get-offsets, delete-records, broker-api-versions and dump-log, with kcat on the other side of the round trips."""

from __future__ import annotations

import json
import subprocess

import pytest

from conftest import NEEDLETAIL_BIN, run_kcat, wait_for_leaders


def cli(*args: str, input_bytes: bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEEDLETAIL_BIN), *args], input=input_bytes, capture_output=True, timeout=timeout)


def ok(*args: str, input_bytes: bytes | None = None) -> str:
    out = cli(*args, input_bytes=input_bytes)
    assert out.returncode == 0, f"{args} failed ({out.returncode}): {out.stderr.decode(errors='replace')}"
    return out.stdout.decode()


def topics(broker, *args: str) -> str:
    return ok("topics", "--bootstrap-server", broker.bootstrap, *args)


def consume(broker, topic: str, *args: str) -> subprocess.CompletedProcess:
    return cli("console-consumer", "--bootstrap-server", broker.bootstrap, "--topic", topic, *args)


def java_partition(key: bytes, partitions: int) -> int:
    from kafka.partitioner.default import murmur2
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def test_topics_create_list_describe_alter_delete(broker, topic_name):
    assert topics(broker, "--create", "--topic", topic_name, "--partitions", "2", "--replication-factor", "1",
                  "--config", "retention.ms=3600000").endswith(f"Created topic {topic_name}.\n")
    wait_for_leaders(broker.bootstrap, topic_name, 2)
    assert topic_name in topics(broker, "--list").splitlines()

    lines = topics(broker, "--describe", "--topic", topic_name).splitlines()
    assert len(lines) == 3
    head = lines[0].split("\t")
    assert head[0] == f"Topic: {topic_name}"
    assert head[1].startswith("TopicId: ") and len(head[1]) == len("TopicId: ") + 22
    assert head[2:4] == ["PartitionCount: 2", "ReplicationFactor: 1"]
    assert head[4].startswith("Configs: ") and "retention.ms=3600000" in head[4]
    for i, line in enumerate(lines[1:]):
        assert line == f"\tTopic: {topic_name}\tPartition: {i}\tLeader: 1\tReplicas: 1\tIsr: 1"

    topics(broker, "--alter", "--topic", topic_name, "--partitions", "4")
    wait_for_leaders(broker.bootstrap, topic_name, 4)
    assert "PartitionCount: 4" in topics(broker, "--describe", "--topic", topic_name)

    shrink = cli("topics", "--bootstrap-server", broker.bootstrap, "--alter", "--topic", topic_name, "--partitions", "1")
    assert shrink.returncode != 0
    assert shrink.stderr.decode().startswith("Error while executing topic command : ")

    topics(broker, "--delete", "--topic", topic_name)
    import time
    deadline = time.monotonic() + 30
    while topic_name in topics(broker, "--list").splitlines():
        assert time.monotonic() < deadline, "topic still listed after --delete"
        time.sleep(0.2)


def test_topics_create_warns_fails_on_duplicates_and_honours_if_not_exists(broker):
    name = "cli.dotted_topic"
    out = topics(broker, "--create", "--topic", name)
    assert out.splitlines() == [
        "WARNING: Due to limitations in metric names, topics with a period ('.') or underscore ('_') could collide. "
        "To avoid issues it is best to use either, but not both.",
        f"Created topic {name}.",
    ]
    again = cli("topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", name)
    assert again.returncode == 1
    assert again.stderr.decode().strip() == f"Error while executing topic command : Topic '{name}' already exists."
    assert "Created" not in topics(broker, "--create", "--topic", name, "--if-not-exists")

    missing = cli("topics", "--bootstrap-server", broker.bootstrap, "--describe", "--topic", "cli-no-such-topic")
    assert missing.returncode == 1 and len(missing.stderr.decode().strip().splitlines()) == 1


def test_topics_replica_assignment(broker, topic_name):
    topics(broker, "--create", "--topic", topic_name, "--replica-assignment", "1,1,1")
    wait_for_leaders(broker.bootstrap, topic_name, 3)
    assert "PartitionCount: 3\tReplicationFactor: 1" in topics(broker, "--describe", "--topic", topic_name)


def test_console_producer_then_console_consumer_round_trip_with_keys(broker, topic_name):
    topics(broker, "--create", "--topic", topic_name, "--partitions", "3")
    wait_for_leaders(broker.bootstrap, topic_name, 3)
    lines = [f"key-{i % 7}:value {i} ünïcode" for i in range(200)]
    ok("console-producer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
       "--property", "parse.key=true", "--property", "key.separator=:", "--compression-codec", "zstd",
       input_bytes=("\n".join(lines) + "\n").encode())
    out = consume(broker, topic_name, "--from-beginning", "--max-messages", "200", "--property", "print.key=true",
                  "--property", "print.partition=true", "--property", "print.offset=true")
    assert out.returncode == 0, out.stderr
    assert out.stderr.decode().strip().endswith("Processed a total of 200 messages")
    rows = [line.split("\t") for line in out.stdout.decode().splitlines()]
    assert len(rows) == 200
    got = sorted(f"{k}:{v}" for _, _, k, v in rows)
    assert got == sorted(lines)
    for part, offset, key, _ in rows:
        # Same partition as the Java client's default partitioner would choose.
        assert int(part.removeprefix("Partition:")) == java_partition(key.encode(), 3)
    per_partition: dict[str, list[int]] = {}
    for part, offset, _, _ in rows:
        per_partition.setdefault(part, []).append(int(offset.removeprefix("Offset:")))
    for offsets in per_partition.values():
        assert offsets == list(range(len(offsets)))


def test_console_consumer_partition_offset_and_timeout(broker, topic_name):
    topics(broker, "--create", "--topic", topic_name, "--partitions", "1")
    wait_for_leaders(broker.bootstrap, topic_name, 1)
    ok("console-producer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name, "--sync",
       input_bytes=b"a\nb\nc\nd\n")
    out = consume(broker, topic_name, "--partition", "0", "--offset", "2", "--timeout-ms", "1500")
    assert out.returncode == 0
    assert out.stdout.decode() == "c\nd\n"
    assert "Processed a total of 2 messages" in out.stderr.decode()
    latest = consume(broker, topic_name, "--timeout-ms", "1000")
    assert latest.stdout == b"" and "Processed a total of 0 messages" in latest.stderr.decode()


@pytest.mark.kcat
def test_swift_producer_output_reads_byte_exact_in_kcat(broker, topic_name):
    topics(broker, "--create", "--topic", topic_name, "--partitions", "2")
    wait_for_leaders(broker.bootstrap, topic_name, 2)
    lines = [f"k{i}|v{i}-" + "x" * (i % 50) + "\u00e9\t~" for i in range(300)]
    for codec in ["none", "gzip", "snappy", "lz4", "zstd"]:
        ok("console-producer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
           "--property", "parse.key=true", "--property", "key.separator=|", "--compression-codec", codec,
           input_bytes=("\n".join(lines) + "\n").encode())
    out = run_kcat(["-b", broker.bootstrap, "-C", "-t", topic_name, "-e", "-J", "-q"])
    assert out.returncode == 0, out.stderr
    records = [json.loads(line) for line in out.stdout.decode().splitlines() if line.strip()]
    assert len(records) == 5 * 300
    got = sorted(f"{r['key']}|{r['payload']}" for r in records)
    assert got == sorted(lines * 5)


@pytest.mark.kcat
def test_kcat_output_reads_byte_exact_in_console_consumer(broker, topic_name):
    topics(broker, "--create", "--topic", topic_name, "--partitions", "3")
    wait_for_leaders(broker.bootstrap, topic_name, 3)
    lines = [f"key{i % 5}\tpayload {i} \u2603 {'y' * i}" for i in range(100)]
    produced = run_kcat(["-b", broker.bootstrap, "-P", "-t", topic_name, "-K", "\t", "-z", "lz4"],
                        input_bytes=("\n".join(lines) + "\n").encode())
    assert produced.returncode == 0, produced.stderr
    out = consume(broker, topic_name, "--from-beginning", "--max-messages", "100", "--property", "print.key=true")
    assert out.returncode == 0, out.stderr
    assert sorted(out.stdout.decode().splitlines()) == sorted(lines)


def test_configs_alter_describe_delete(broker, topic_name):
    topics(broker, "--create", "--topic", topic_name)
    base = ["configs", "--bootstrap-server", broker.bootstrap, "--entity-type", "topics", "--entity-name", topic_name]
    assert ok(*base, "--alter", "--add-config", "retention.ms=7200000,cleanup.policy=[compact,delete]") == \
        f"Completed updating config for topic {topic_name}.\n"
    lines = ok(*base, "--describe").splitlines()
    assert lines[0] == f"Dynamic configs for topic {topic_name} are:"
    assert any(line.startswith("  retention.ms=7200000 sensitive=false synonyms={DYNAMIC_TOPIC_CONFIG:retention.ms=7200000")
               for line in lines[1:])
    assert any(line.startswith("  cleanup.policy=compact,delete sensitive=false") for line in lines[1:])
    ok(*base, "--alter", "--delete-config", "retention.ms")
    lines = ok(*base, "--describe").splitlines()
    assert not any("retention.ms" in line for line in lines)
    everything = ok(*base, "--describe", "--all").splitlines()
    assert everything[0] == f"All configs for topic {topic_name} are:"
    assert any(line.startswith("  segment.bytes=") for line in everything)
    broker_all = ok("configs", "--bootstrap-server", broker.bootstrap, "--entity-type", "brokers", "--entity-name", "1",
                    "--describe", "--all")
    assert broker_all.splitlines()[0] == "All configs for broker 1 are:"


def test_get_offsets_and_delete_records(broker, topic_name, tmp_path):
    topics(broker, "--create", "--topic", topic_name, "--partitions", "1")
    wait_for_leaders(broker.bootstrap, topic_name, 1)
    ok("console-producer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name,
       input_bytes=b"".join(f"m{i}\n".encode() for i in range(10)))
    go = ["get-offsets", "--bootstrap-server", broker.bootstrap, "--topic", topic_name]
    assert ok(*go) == f"{topic_name}:0:10\n"
    assert ok(*go, "--time", "-2") == f"{topic_name}:0:0\n"
    spec = tmp_path / "delete.json"
    spec.write_text(json.dumps({"partitions": [{"topic": topic_name, "partition": 0, "offset": 4}], "version": 1}))
    out = ok("delete-records", "--bootstrap-server", broker.bootstrap, "--offset-json-file", str(spec))
    assert out.splitlines() == ["Executing records delete operation", "Records delete operation completed:",
                                f"partition: {topic_name}-0\tlow_watermark: 4"]
    assert ok(*go, "--time", "earliest") == f"{topic_name}:0:4\n"


def test_broker_api_versions(broker):
    lines = ok("broker-api-versions", "--bootstrap-server", broker.bootstrap).splitlines()
    assert lines[0] == f"{broker.bootstrap} (id: 1 rack: null) -> ("
    assert lines[1].startswith("\tProduce(0): ") and "[usable: " in lines[1]
    assert any(line.startswith("\tApiVersions(18): ") for line in lines)
    assert lines[-1] == ")"


@pytest.mark.needletail_only
def test_dump_log_reads_the_segment(broker, topic_name):
    topics(broker, "--create", "--topic", topic_name, "--partitions", "1")
    wait_for_leaders(broker.bootstrap, topic_name, 1)
    ok("console-producer", "--bootstrap-server", broker.bootstrap, "--topic", topic_name, "--sync",
       "--property", "parse.key=true", "--property", "key.separator=:", input_bytes=b"k1:hello\nk2:world\n")
    segment = broker.log_dir / f"{topic_name}-0" / "00000000000000000000.log"
    out = ok("dump-log", "--files", str(segment), "--print-data-log").splitlines()
    assert out[0] == f"Dumping {segment}"
    assert out[1] == "Log starting offset: 0"
    batches = [line for line in out if line.startswith("baseOffset: ")]
    records = [line for line in out if line.startswith("| offset: ")]
    assert len(batches) == 2 and len(records) == 2
    assert batches[0].startswith("baseOffset: 0 lastOffset: 0 count: 1 baseSequence: -1 lastSequence: -1 "
                                 "producerId: -1 producerEpoch: -1 partitionLeaderEpoch: 0 isTransactional: false "
                                 "isControl: false deleteHorizonMs: OptionalLong.empty position: 0 CreateTime: ")
    assert batches[0].endswith("magic: 2 compresscodec: none crc: " + batches[0].split("crc: ")[1].split()[0]
                               + " isvalid: true")
    assert "keySize: 2 valueSize: 5 sequence: -1 headerKeys: [] key: k1 payload: hello" in records[0]
    assert records[1].endswith("key: k2 payload: world")
    shallow = ok("dump-log", "--files", str(segment)).splitlines()
    assert not any(line.startswith("|") for line in shallow)


def test_unreachable_broker_fails_with_one_line():
    out = cli("topics", "--bootstrap-server", "127.0.0.1:1", "--list", timeout=60)
    assert out.returncode != 0
    err = out.stderr.decode().strip().splitlines()
    assert len(err) == 1 and "broker unreachable at 127.0.0.1:1" in err[0]
    missing = cli("console-consumer", "--bootstrap-server", "127.0.0.1:1", "--topic", "x", "--timeout-ms", "100")
    assert missing.returncode != 0


def test_every_subcommand_has_help_with_an_example():
    for sub in ["topics", "console-producer", "console-consumer", "configs", "get-offsets", "delete-records",
                "broker-api-versions", "dump-log"]:
        out = cli(sub, "--help")
        assert out.returncode == 0
        assert "Example" in out.stdout.decode(), sub
