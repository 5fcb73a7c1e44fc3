"""KIP-227 incremental fetch sessions: raw Fetch v7 frames, a kafka-python consumer (which asks for sessions), and
a 3-broker RF=3 cluster whose followers fetch in sessions.

The wire checks speak Fetch v7 (the first version with sessions, not yet flexible) on one connection: epoch 0
creates a session and answers every partition, epoch 1.. answer only partitions with news, a wrong epoch is
INVALID_FETCH_SESSION_EPOCH (71), an unknown id FETCH_SESSION_ID_NOT_FOUND (70), epoch -1 is sessionless.
"""

from __future__ import annotations

import socket
import struct
import time

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, NewPartitions

import kafka_wire
from clients import kafka_python_consume
from conftest import HOST, create_topic, wait_for_leaders, wait_until
from kafka_log import read_batches, segment_logs
from kafka_wire import frame, header_v1, i8, i16, i32, i64, string

FETCH_SESSION_ID_NOT_FOUND = 70
INVALID_FETCH_SESSION_EPOCH = 71


# ---------------------------------------------------------------------------------------------------------------
# Fetch v7 on the wire (published layout: KIP-227)


def fetch_v7(cid: int, session_id: int, epoch: int, partitions: list[tuple[str, int, int]],
             forgotten: list[tuple[str, int]] = (), max_wait_ms: int = 10) -> bytes:
    by_topic: dict[str, list[tuple[int, int]]] = {}
    for topic, partition, offset in partitions:
        by_topic.setdefault(topic, []).append((partition, offset))
    topics = i32(len(by_topic)) + b"".join(
        string(t) + i32(len(ps)) + b"".join(i32(p) + i64(o) + i64(-1) + i32(1 << 20) for p, o in ps)
        for t, ps in by_topic.items())
    forgot: dict[str, list[int]] = {}
    for topic, partition in forgotten:
        forgot.setdefault(topic, []).append(partition)
    forgotten_bytes = i32(len(forgot)) + b"".join(
        string(t) + i32(len(ps)) + b"".join(i32(p) for p in ps) for t, ps in forgot.items())
    body = (i32(-1) + i32(max_wait_ms) + i32(1) + i32(1 << 24) + i8(0) + i32(session_id) + i32(epoch)
            + topics + forgotten_bytes)
    return frame(header_v1(1, 7, cid) + body)


class Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, fmt: str):
        v = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return v[0]

    def string(self) -> str:
        n = self.take(">h")
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s


def parse_fetch_v7(response: bytes) -> dict:
    """{error, session_id, partitions: {(topic, partition): (error, hw, record_bytes)}}, keeping response order."""
    r = Reader(response)
    r.take(">i")  # correlation id
    r.take(">i")  # throttle
    out = {"error": r.take(">h"), "session_id": r.take(">i"), "partitions": {}}
    for _ in range(r.take(">i")):
        topic = r.string()
        for _ in range(r.take(">i")):
            partition, error, hw = r.take(">i"), r.take(">h"), r.take(">q")
            r.take(">q")  # last stable offset
            r.take(">q")  # log start offset
            aborted = r.take(">i")
            r.pos += max(aborted, 0) * 16
            size = r.take(">i")
            r.pos += max(size, 0)
            out["partitions"][(topic, partition)] = (error, hw, max(size, 0))
    return out


class Session:
    """One connection exchanging Fetch v7 frames."""

    def __init__(self, port: int):
        self.sock = socket.create_connection((HOST, port), timeout=30)
        self.cid = 0

    def fetch(self, session_id: int, epoch: int, partitions, forgotten=()) -> dict:
        self.cid += 1
        self.sock.sendall(fetch_v7(self.cid, session_id, epoch, partitions, forgotten))
        return parse_fetch_v7(kafka_wire.read_frame(self.sock))

    def close(self) -> None:
        self.sock.close()


def produce(bootstrap: str, topic: str, partition: int, count: int) -> None:
    p = Producer({"bootstrap.servers": bootstrap, "linger.ms": 5})
    for i in range(count):
        p.produce(topic, value=f"v{i}".encode(), key=b"k", partition=partition)
    assert p.flush(30) == 0


# ---------------------------------------------------------------------------------------------------------------
# One broker


def test_an_incremental_fetch_answers_only_partitions_with_new_data(broker, topic_name):
    create_topic(broker.bootstrap, topic_name, partitions=3)
    produce(broker.bootstrap, topic_name, 0, 5)
    s = Session(broker.port)
    try:
        full = s.fetch(0, 0, [(topic_name, p, 0) for p in range(3)])
        assert full["error"] == 0
        assert full["session_id"] != 0
        assert set(full["partitions"]) == {(topic_name, p) for p in range(3)}
        assert full["partitions"][(topic_name, 0)][2] > 0
        sid = full["session_id"]
        # The client moves partition 0 to its new position and sends only that one.
        nothing_new = s.fetch(sid, 1, [(topic_name, 0, 5)])
        assert nothing_new["error"] == 0
        assert nothing_new["session_id"] == sid
        assert nothing_new["partitions"] == {}
        produce(broker.bootstrap, topic_name, 2, 3)
        news = s.fetch(sid, 2, [])
        assert list(news["partitions"]) == [(topic_name, 2)]
        error, hw, size = news["partitions"][(topic_name, 2)]
        assert (error, hw) == (0, 3) and size > 0
        # Forgetting a partition removes it: new data there is no longer reported.
        produce(broker.bootstrap, topic_name, 1, 2)
        forgot = s.fetch(sid, 3, [(topic_name, 2, 3)], forgotten=[(topic_name, 1)])
        assert forgot["partitions"] == {}
    finally:
        s.close()


def test_session_errors_are_answered_as_kafka_does(broker, topic_name):
    create_topic(broker.bootstrap, topic_name, partitions=1)
    s = Session(broker.port)
    try:
        sid = s.fetch(0, 0, [(topic_name, 0, 0)])["session_id"]
        wrong_epoch = s.fetch(sid, 7, [])
        assert (wrong_epoch["error"], wrong_epoch["session_id"], wrong_epoch["partitions"]) == (
            INVALID_FETCH_SESSION_EPOCH, 0, {})
        # The session survives a wrong epoch.
        assert s.fetch(sid, 1, [])["error"] == 0
        unknown = s.fetch(sid + 1 if sid < 2**31 - 1 else 1, 1, [])
        assert unknown["error"] == FETCH_SESSION_ID_NOT_FOUND
        # FINAL_EPOCH closes the session and answers sessionless.
        final = s.fetch(sid, -1, [(topic_name, 0, 0)])
        assert (final["error"], final["session_id"]) == (0, 0)
        assert list(final["partitions"]) == [(topic_name, 0)]
        assert s.fetch(sid, 2, [])["error"] == FETCH_SESSION_ID_NOT_FOUND
    finally:
        s.close()


def test_a_kafka_python_consumer_reads_many_partitions_through_a_session_across_partition_additions(
        broker, topic_name):
    create_topic(broker.bootstrap, topic_name, partitions=12)
    p = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5})
    for i in range(1200):
        p.produce(topic_name, value=f"a{i}".encode(), partition=i % 12)
    assert p.flush(30) == 0
    first = kafka_python_consume(broker.bootstrap, topic_name, list(range(12)), 1200)
    assert sorted((m.partition, m.offset) for m in first) == sorted((i, o) for i in range(12) for o in range(100))

    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    admin.create_partitions([NewPartitions(topic_name, 16)])[topic_name].result(timeout=30)
    wait_for_leaders(broker.bootstrap, topic_name, 16)
    p = Producer({"bootstrap.servers": broker.bootstrap, "linger.ms": 5})  # one that sees 16 partitions
    for i in range(1600):
        p.produce(topic_name, value=f"b{i}".encode(), partition=i % 16)
    assert p.flush(30) == 0

    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, enable_auto_commit=False,
                             auto_offset_reset="earliest", request_timeout_ms=30000)
    try:
        tps = [TopicPartition(topic_name, i) for i in range(16)]
        consumer.assign(tps[:12])
        seen: dict[tuple[int, int], bytes] = {}
        deadline = time.monotonic() + 60

        def poll_until(count: int) -> None:
            while len(seen) < count and time.monotonic() < deadline:
                for tp, records in consumer.poll(timeout_ms=500, max_records=5000).items():
                    for r in records:
                        seen[(tp.partition, r.offset)] = r.value

        poll_until(12 * 200)
        # Reassign to all 16: the session adds the new partitions incrementally.
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps[12:])
        poll_until(12 * 200 + 4 * 100)
        assert len(seen) == 12 * 200 + 4 * 100
        handlers = consumer._fetcher._session_handlers
        assert handlers, "kafka-python kept no fetch session handler"
        assert all(h.next_metadata.session_id != 0 and h.next_metadata.epoch > 1 for h in handlers.values()), (
            "kafka-python did not get an incremental session")
    finally:
        consumer.close()


# ---------------------------------------------------------------------------------------------------------------
# Three brokers, RF=3


@pytest.mark.needletail_only
def test_followers_replicate_many_partitions_in_fetch_sessions(replicated_cluster):
    rc = replicated_cluster
    rc.ensure_healthy()
    topic = f"sessions-rf3-{int(time.time())}"
    create_topic(rc.bootstrap, topic, partitions=8, replication=3, config={"min.insync.replicas": "2"})
    p = Producer({"bootstrap.servers": rc.bootstrap, "acks": "all", "linger.ms": 5})
    for round_ in range(4):
        # Only some partitions change each round, so follower fetches are incremental.
        for i in range(400):
            p.produce(topic, value=f"r{round_}-{i}".encode(), partition=(i % 2) + 2 * round_)
        assert p.flush(60) == 0
    got = kafka_python_consume(rc.bootstrap, topic, list(range(8)), 1600)
    assert sorted((m.partition, m.offset) for m in got) == sorted((i, o) for i in range(8) for o in range(200))

    # Every replica's log reaches the end (each follower fetched only the partitions that changed) and the ISR
    # stays full.
    def replica_end(b, partition: int) -> int:
        end = 0
        for seg in segment_logs(b.log_dir, topic, partition):
            batches, _ = read_batches(seg)
            if batches:
                end = batches[-1].last_offset + 1
        return end

    wait_until(lambda: all(replica_end(b, p) == 200 for b in rc.brokers.values() for p in range(8)), 60,
               lambda: f"every replica at offset 200: "
                       f"{ {b.broker_id: [replica_end(b, p) for p in range(8)] for b in rc.brokers.values()} }")
    rc.wait_full_isr(topic, 8)
