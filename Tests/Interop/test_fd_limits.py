"""Issue #17: a broker under a low descriptor limit (ulimit -n) hosts thousands of partitions, restarts after
SIGTERM and kill -9, and refuses to start with one line when the limit is really too low."""

from __future__ import annotations

import os
import shlex
import time

import pytest
from confluent_kafka import Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic, OffsetSpec

from conftest import BrokerProcess

pytestmark = pytest.mark.needletail_only

TOPICS = 3
PARTITIONS_PER_TOPIC = 1000
PARTITIONS = TOPICS * PARTITIONS_PER_TOPIC
LIMIT = 4096
TOO_LOW = 1024
SAMPLE = range(0, PARTITIONS_PER_TOPIC, 97)


class LimitedBroker(BrokerProcess):
    """A broker started through `bash -c 'ulimit -n N; exec needletail …'` (soft and hard limit both N)."""

    nofile = LIMIT

    def command(self) -> list[str]:
        return ["bash", "-c", f"ulimit -n {self.nofile} && exec {shlex.join(super().command())}"]

    def descriptors(self) -> int:
        return len(os.listdir(f"/proc/{self.proc.pid}/fd"))


@pytest.fixture(scope="module")
def limited(cluster):
    b = LimitedBroker(cluster, 1, {"zookeeper.session.timeout.ms": "6000", "log.flush.interval.ms": "1000"})
    cluster.brokers[1] = b
    b.start(timeout=120)
    return b


def topic(i: int) -> str:
    return f"fd-{i}"


def check_every_partition(broker: LimitedBroker, produced: dict[tuple[str, int], int]) -> None:
    """Every partition has this broker as leader (Metadata) and the expected log end offset (ListOffsets)."""
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    deadline = time.monotonic() + 60
    while True:
        md = admin.list_topics(timeout=30)
        leaders = sum(1 for i in range(TOPICS) if topic(i) in md.topics
                      for p in md.topics[topic(i)].partitions.values() if p.leader == broker.broker_id)
        if leaders == PARTITIONS:
            break
        assert time.monotonic() < deadline, f"only {leaders} of {PARTITIONS} partitions have a leader"
        time.sleep(0.5)
    request = {TopicPartition(topic(i), p): OffsetSpec.latest()
               for i in range(TOPICS) for p in range(PARTITIONS_PER_TOPIC)}
    answers = admin.list_offsets(request, request_timeout=60)
    for tp, future in answers.items():
        expected = produced.get((tp.topic, tp.partition), 0)
        assert future.result(timeout=60).offset == expected, (tp.topic, tp.partition)


def produce_sample(broker: LimitedBroker, rounds: int) -> dict[tuple[str, int], int]:
    """One more message to each sampled partition; returns the expected offsets after `rounds` such calls."""
    producer = Producer({"bootstrap.servers": broker.bootstrap, "acks": "all", "linger.ms": 5})
    errors: list[str] = []
    for i in range(TOPICS):
        for p in SAMPLE:
            producer.produce(topic(i), value=b"v%d" % rounds, partition=p,
                             on_delivery=lambda err, _m: errors.append(str(err)) if err else None)
    assert producer.flush(60) == 0
    assert errors == []
    del producer  # no reconnect noise while the broker restarts
    return {(topic(i), p): rounds for i in range(TOPICS) for p in SAMPLE}


def test_a_broker_limited_to_4096_descriptors_hosts_3000_partitions_and_restarts(limited):
    # Each CreateTopics of 1,000 partitions is answered once all have leaders; on two busy cores that can pass
    # librdkafka's default 60 s socket timeout.
    admin = AdminClient({"bootstrap.servers": limited.bootstrap, "socket.timeout.ms": 300000})
    started = time.monotonic()
    futures = admin.create_topics([NewTopic(topic(i), PARTITIONS_PER_TOPIC, 1) for i in range(TOPICS)],
                                  operation_timeout=120, request_timeout=130)
    for f in futures.values():
        f.result(timeout=150)
    produced = produce_sample(limited, 1)
    check_every_partition(limited, produced)
    print(f"[fd-limits] {PARTITIONS} partitions created and checked in {time.monotonic() - started:.1f} s")
    assert "Too many open files" not in limited.log_tail(200_000)

    # One descriptor per partition (the active segment's .log) plus sockets and the runtime's own.
    fds = limited.descriptors()
    print(f"[fd-limits] {fds} descriptors for {PARTITIONS} partitions")
    assert PARTITIONS <= fds <= PARTITIONS + 300

    limited.stop(timeout=60)
    started = time.monotonic()
    limited.start(timeout=60)
    print(f"[fd-limits] ready {time.monotonic() - started:.1f} s after SIGTERM")
    check_every_partition(limited, produced)

    limited.kill9()
    started = time.monotonic()
    limited.start(timeout=90)
    print(f"[fd-limits] ready {time.monotonic() - started:.1f} s after kill -9")
    check_every_partition(limited, produced)
    assert limited.descriptors() <= PARTITIONS + 300
    assert "Too many open files" not in limited.log_tail(200_000)


def test_too_low_a_limit_stops_the_start_with_one_line_and_raising_it_starts(limited):
    limited.stop(timeout=60)
    limited.nofile = TOO_LOW
    before = len(limited.log_tail(10_000_000))
    limited.start(wait=False)
    assert limited.proc.wait(timeout=60) != 0
    limited._finish()
    output = limited.log_tail(10_000_000)[before:]
    refusals = [line for line in output.splitlines() if line.startswith("needletail: ")]
    assert len(refusals) == 1, output
    assert f"limit is {TOO_LOW}" in refusals[0] and "ulimit -n" in refusals[0] and "LimitNOFILE" in refusals[0]
    assert f"the {PARTITIONS} partitions" in refusals[0]
    # Nothing was opened: the data directory still says the last shutdown was clean.
    assert (limited.log_dir / ".kafka_cleanshutdown").exists()

    limited.nofile = LIMIT
    limited.start(timeout=60)
    check_every_partition(limited, produce_sample(limited, 2))
