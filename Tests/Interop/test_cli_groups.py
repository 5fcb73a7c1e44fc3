"""Consumer groups through the `needletail` CLI: console-consumer --group, consumer-groups (describe, reset,
delete), and the producer/consumer perf tests."""

from __future__ import annotations

import re
import signal
import subprocess
import time

from conftest import NEEDLETAIL_BIN


def cli(*args: str, input_bytes: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(NEEDLETAIL_BIN), *args], input=input_bytes, capture_output=True, timeout=timeout)


def ok(*args: str, input_bytes: bytes | None = None) -> str:
    out = cli(*args, input_bytes=input_bytes)
    assert out.returncode == 0, f"{args} failed ({out.returncode}): {out.stderr.decode(errors='replace')}"
    return out.stdout.decode()


def describe_rows(bootstrap: str, group: str) -> dict[int, dict[str, str]]:
    """The --describe table keyed by partition."""
    text = ok("consumer-groups", "--bootstrap-server", bootstrap, "--describe", "--group", group)
    lines = text.splitlines()
    header_at = next(i for i, line in enumerate(lines) if line.startswith("GROUP "))
    columns = lines[header_at].split()
    assert columns == ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID",
                       "HOST", "CLIENT-ID"]
    rows = {}
    for line in lines[header_at + 1:]:
        if not line.strip():
            continue
        cells = dict(zip(columns, line.split()))
        rows[int(cells["PARTITION"])] = cells
    return rows


def wait_for_members(bootstrap: str, group: str, members: int, timeout: float = 60) -> str:
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        text = cli("consumer-groups", "--bootstrap-server", bootstrap, "--describe", "--group", group,
                   "--members").stdout.decode()
        rows = [line.split() for line in text.splitlines() if line.startswith(group + " ")]
        if len(rows) == members and all(r[-1] == "1" for r in rows):
            state = cli("consumer-groups", "--bootstrap-server", bootstrap, "--describe", "--group", group,
                        "--state").stdout.decode()
            if "Stable" in state:
                return text
        time.sleep(0.5)
    raise AssertionError(f"group {group} never had {members} members with one partition each:\n{text}")


def wait_for_state(bootstrap: str, group: str, state: str, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        text = cli("consumer-groups", "--bootstrap-server", bootstrap, "--describe", "--group", group,
                   "--state").stdout.decode()
        if re.search(rf"^{group}\s.*\s{state}\s", text, re.M):
            return
        time.sleep(0.3)
    raise AssertionError(f"group {group} never reached {state}:\n{text}")


def test_three_group_consumers_split_a_three_partition_topic(broker, tmp_path):
    bootstrap = broker.bootstrap
    topic, group = "multipart-topic", "group_01"
    ok("topics", "--bootstrap-server", bootstrap, "--create", "--topic", topic, "--partitions", "3")

    outs = [tmp_path / f"consumer-{i}.out" for i in range(3)]
    consumers = []
    for out in outs:
        consumers.append(subprocess.Popen(
            [str(NEEDLETAIL_BIN), "console-consumer", "--bootstrap-server", bootstrap, "--topic", topic,
             "--group", group, "--property", "print.partition=true", "--property", "print.key=true"],
            stdout=out.open("wb"), stderr=subprocess.PIPE))
    try:
        wait_for_members(bootstrap, group, 3)
        lines = b"".join(b"key%d:value%d\n" % (i, i) for i in range(2000))
        ok("console-producer", "--bootstrap-server", bootstrap, "--topic", topic, "--property", "parse.key=true",
           "--property", "key.separator=:", input_bytes=lines)

        deadline = time.time() + 60
        while time.time() < deadline:
            if sum(len(o.read_bytes().splitlines()) for o in outs) >= 2000:
                break
            time.sleep(0.3)
        time.sleep(1)
    finally:
        for c in consumers:
            c.send_signal(signal.SIGTERM)
        for c in consumers:
            c.wait(timeout=30)

    seen: list[str] = []
    partitions_of_consumer = []
    for out in outs:
        records = [line.split("\t") for line in out.read_text().splitlines()]
        assert records, "every consumer gets a partition and its messages"
        partitions_of_consumer.append({r[0] for r in records})
        for partition, key, value in records:
            assert value == key.replace("key", "value")
            seen.append(value)
    assert all(len(p) == 1 for p in partitions_of_consumer), partitions_of_consumer
    assert set.union(*partitions_of_consumer) == {"Partition:0", "Partition:1", "Partition:2"}
    assert sorted(seen) == sorted(f"value{i}" for i in range(2000)), "every message arrives exactly once"

    rows = describe_rows(bootstrap, group)
    assert sorted(rows) == [0, 1, 2]
    assert all(r["LAG"] == "0" for r in rows.values()), rows
    assert sum(int(r["CURRENT-OFFSET"]) for r in rows.values()) == 2000

    wait_for_state(bootstrap, group, "Empty")
    listed = ok("consumer-groups", "--bootstrap-server", bootstrap, "--list").split()
    assert group in listed

    reset = ok("consumer-groups", "--bootstrap-server", bootstrap, "--reset-offsets", "--group", group, "--topic",
               topic, "--to-earliest", "--execute")
    assert re.search(r"GROUP\s+TOPIC\s+PARTITION\s+NEW-OFFSET", reset)
    rows = describe_rows(bootstrap, group)
    assert all(r["CURRENT-OFFSET"] == "0" for r in rows.values()), rows

    shifted = ok("consumer-groups", "--bootstrap-server", bootstrap, "--reset-offsets", "--group", group, "--topic",
                 f"{topic}:1", "--shift-by", "5", "--dry-run")
    assert re.search(rf"{group}\s+{topic}\s+1\s+5", shifted)

    deleted = ok("consumer-groups", "--bootstrap-server", bootstrap, "--delete", "--group", group)
    assert "Deletion of requested consumer groups ('group_01') was successful." in deleted


def test_empty_group_describe_says_no_active_members(broker):
    bootstrap = broker.bootstrap
    ok("topics", "--bootstrap-server", bootstrap, "--create", "--topic", "groups-empty", "--partitions", "1")
    ok("console-producer", "--bootstrap-server", bootstrap, "--topic", "groups-empty", input_bytes=b"a\nb\n")
    out = ok("console-consumer", "--bootstrap-server", bootstrap, "--topic", "groups-empty", "--group", "g-empty",
             "--from-beginning", "--max-messages", "2")
    assert out.splitlines() == ["a", "b"]
    text = ok("consumer-groups", "--bootstrap-server", bootstrap, "--describe", "--group", "g-empty")
    assert "Consumer group 'g-empty' has no active members." in text
    assert describe_rows(bootstrap, "g-empty")[0]["CURRENT-OFFSET"] == "2"
    # A second run of the same group resumes after the committed offset.
    ok("console-producer", "--bootstrap-server", bootstrap, "--topic", "groups-empty", input_bytes=b"c\n")
    out = ok("console-consumer", "--bootstrap-server", bootstrap, "--topic", "groups-empty", "--group", "g-empty",
             "--from-beginning", "--max-messages", "1")
    assert out.splitlines() == ["c"]


def test_missing_group_is_one_error_line(broker):
    out = cli("consumer-groups", "--bootstrap-server", broker.bootstrap, "--describe", "--group", "no-such-group")
    assert out.returncode == 1
    assert out.stderr.decode().strip() == "Error: Consumer group 'no-such-group' does not exist."
    out = cli("consumer-groups", "--bootstrap-server", broker.bootstrap, "--delete", "--group", "no-such-group")
    assert out.returncode == 1
    assert "could not be deleted due to: The group id does not exist." in out.stdout.decode()


def test_producer_and_consumer_perf_tests_print_their_results(broker):
    bootstrap = broker.bootstrap
    ok("topics", "--bootstrap-server", bootstrap, "--create", "--topic", "perf-topic", "--partitions", "2")
    out = ok("producer-perf-test", "--topic", "perf-topic", "--num-records", "5000", "--record-size", "100",
             "--throughput", "-1", "--producer-props", f"bootstrap.servers={bootstrap}", "acks=1", "linger.ms=5")
    assert re.search(r"^5000 records sent, [\d.]+ records/sec \([\d.]+ MB/sec\), [\d.]+ ms avg latency, [\d.]+ ms max "
                     r"latency, \d+ ms 50th, \d+ ms 95th, \d+ ms 99th, \d+ ms 99\.9th\.$", out, re.M), out
    out = ok("consumer-perf-test", "--bootstrap-server", bootstrap, "--topic", "perf-topic", "--messages", "5000")
    header, line = out.strip().splitlines()
    assert header.startswith("start.time, end.time, data.consumed.in.MB")
    assert line.split(", ")[4] == "5000"


def test_new_subcommands_have_help_with_an_example():
    for sub in ["consumer-groups", "producer-perf-test", "consumer-perf-test", "leader-election", "log-dirs"]:
        out = cli(sub, "--help")
        assert out.returncode == 0
        assert "Example" in out.stdout.decode(), sub


def test_leader_election_and_log_dirs_answer_or_fail_with_one_line(broker):
    bootstrap = broker.bootstrap
    ok("topics", "--bootstrap-server", bootstrap, "--create", "--topic", "elect-topic", "--partitions", "2")
    out = cli("leader-election", "--bootstrap-server", bootstrap, "--election-type", "preferred",
              "--all-topic-partitions")
    if out.returncode == 0:
        assert "already elected" in out.stdout.decode() or "Successfully completed" in out.stdout.decode()
    else:
        assert "ElectLeaders" in out.stderr.decode() and len(out.stderr.decode().strip().splitlines()) == 1
    out = cli("log-dirs", "--describe", "--bootstrap-server", bootstrap, "--topic-list", "elect-topic")
    if out.returncode == 0:
        assert '"brokers"' in out.stdout.decode().splitlines()[-1]
    else:
        assert "DescribeLogDirs" in out.stderr.decode() and len(out.stderr.decode().strip().splitlines()) == 1


def test_a_late_member_takes_over_partitions_without_duplicates(broker, tmp_path):
    bootstrap = broker.bootstrap
    topic, group = "rebalance-topic", "group_late"
    ok("topics", "--bootstrap-server", bootstrap, "--create", "--topic", topic, "--partitions", "4")

    def start(out):
        return subprocess.Popen(
            [str(NEEDLETAIL_BIN), "console-consumer", "--bootstrap-server", bootstrap, "--topic", topic, "--group",
             group, "--from-beginning", "--property", "print.key=true"], stdout=out.open("wb"),
            stderr=subprocess.DEVNULL)

    def produce(first, count):
        lines = b"".join(b"k%d:v%d\n" % (i, i) for i in range(first, first + count))
        ok("console-producer", "--bootstrap-server", bootstrap, "--topic", topic, "--property", "parse.key=true",
           "--property", "key.separator=:", input_bytes=lines)

    def wait_lines(outs, n, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if sum(len(o.read_bytes().splitlines()) for o in outs if o.exists()) >= n:
                return
            time.sleep(0.3)

    outs = [tmp_path / "a.out", tmp_path / "b.out"]
    procs = [start(outs[0])]
    try:
        wait_for_members_count(bootstrap, group, 1)
        produce(0, 500)
        wait_lines(outs, 500)
        procs.append(start(outs[1]))
        wait_for_members_count(bootstrap, group, 2)
        produce(500, 500)
        wait_lines(outs, 1000)
        time.sleep(1)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=30)
    values = [line.split("\t")[1] for o in outs for line in o.read_text().splitlines()]
    assert sorted(values) == sorted(f"v{i}" for i in range(1000)), "each message exactly once across the rebalance"
    assert outs[1].read_text(), "the late member got partitions and records"


def wait_for_members_count(bootstrap: str, group: str, members: int, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    text = ""
    while time.time() < deadline:
        text = cli("consumer-groups", "--bootstrap-server", bootstrap, "--describe", "--group", group,
                   "--members").stdout.decode()
        rows = [line for line in text.splitlines() if line.startswith(group + " ")]
        state = cli("consumer-groups", "--bootstrap-server", bootstrap, "--describe", "--group", group,
                    "--state").stdout.decode()
        if len(rows) == members and "Stable" in state:
            return
        time.sleep(0.5)
    raise AssertionError(f"group {group} never had {members} stable members:\n{text}")
