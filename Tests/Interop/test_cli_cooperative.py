"""console-consumer groups with `partition.assignment.strategy=cooperative-sticky` (KIP-429): a late member gets
half of the partitions through two rebalances, every record is consumed exactly once, and the group reports the
cooperative-sticky protocol."""

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


def member_partition_counts(bootstrap: str, group: str) -> list[int]:
    text = cli("consumer-groups", "--bootstrap-server", bootstrap, "--describe", "--group", group,
               "--members").stdout.decode()
    return sorted(int(line.split()[-1]) for line in text.splitlines() if line.startswith(group + " "))


def wait_for(predicate, what: str, timeout: float = 60) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_cooperative_sticky_late_member_gets_half_without_duplicates(broker, tmp_path):
    bootstrap = broker.bootstrap
    topic, group = "coop-topic", "group_coop"
    ok("topics", "--bootstrap-server", bootstrap, "--create", "--topic", topic, "--partitions", "4")

    def start(out):
        return subprocess.Popen(
            [str(NEEDLETAIL_BIN), "console-consumer", "--bootstrap-server", bootstrap, "--topic", topic, "--group",
             group, "--from-beginning", "--property", "print.key=true",
             "--consumer-property", "partition.assignment.strategy=cooperative-sticky"],
            stdout=out.open("wb"), stderr=subprocess.DEVNULL)

    def produce(first, count):
        lines = b"".join(b"k%d:v%d\n" % (i, i) for i in range(first, first + count))
        ok("console-producer", "--bootstrap-server", bootstrap, "--topic", topic, "--property", "parse.key=true",
           "--property", "key.separator=:", input_bytes=lines)

    def lines_in(outs):
        return sum(len(o.read_bytes().splitlines()) for o in outs if o.exists())

    outs = [tmp_path / "a.out", tmp_path / "b.out"]
    procs = [start(outs[0])]
    try:
        wait_for(lambda: member_partition_counts(bootstrap, group) == [4], "one member with 4 partitions")
        produce(0, 400)
        wait_for(lambda: lines_in(outs) >= 400, "400 records")
        procs.append(start(outs[1]))
        wait_for(lambda: member_partition_counts(bootstrap, group) == [2, 2], "two members with 2 partitions each")
        state = ok("consumer-groups", "--bootstrap-server", bootstrap, "--describe", "--group", group, "--state")
        assert re.search(rf"^{group}\s+\S+\s+\(\d+\)\s+cooperative-sticky\s+Stable\s+2$", state, re.M), state
        produce(400, 400)
        wait_for(lambda: lines_in(outs) >= 800, "800 records")
        time.sleep(1)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=30)
    values = [line.split("\t")[1] for o in outs for line in o.read_text().splitlines()]
    assert sorted(values) == sorted(f"v{i}" for i in range(800)), "each record exactly once across the rebalances"
    assert outs[1].read_text(), "the late member got partitions and records"
