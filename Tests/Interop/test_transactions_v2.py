"""KIP-890 part 2 (transaction version 2, Kafka 4.0) on the wire, and the KAFKA-17754 race it closes.

No client on this machine speaks transaction version 2: librdkafka 2.x sends EndTxn v0-1 and AddPartitionsToTxn
v0, kafka-python 3.x and aiokafka stop at EndTxn v3/v0. So these tests speak it themselves, frame by frame
(flexible versions: compact strings and arrays, tagged fields), from the published field layouts: Produce v12
without AddPartitionsToTxn (the leader adds the partition through the coordinator), EndTxn v5 answering the
bumped epoch, TxnOffsetCommit v5 without AddOffsetsToTxn. Real consumers (confluent-kafka, read_committed) read
the result.

The KAFKA-17754 scenario: a produce of transaction 1 reaches the partition leader late, after EndTxn committed
transaction 1 and transaction 2 re-added the partition (a retried or delayed request). With the v0-era flow and
KIP-890 part 1 (Kafka 3.9's best) the late batch carries the same producer id and epoch as transaction 2, passes
verification and joins it: aborting transaction 2 then loses a write the producer saw committed. With transaction
version 2 the epoch moved on at the commit, so the late batch is fenced. The "late" request is sent late by the
test itself: deterministic, no timing involved.
"""

from __future__ import annotations

import socket
import struct
import time
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
from kafka.record.default_records import DefaultRecordBatchBuilder

from conftest import HOST, create_topic, wait_until
from kafka_wire import Reader, compact_string, exchange, frame, header_v1, i8, i16, i32, i64, string, uvarint

pytestmark = pytest.mark.needletail_only

INVALID_PRODUCER_EPOCH = 47


@pytest.fixture(scope="module")
def tv2_broker(cluster):
    return cluster.broker(1, overrides={
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.version": "2",
    })


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


class Compact(Reader):
    """Reads the flexible (compact) fields of a response."""

    def uvarint(self) -> int:
        shift = value = 0
        while True:
            b = self.data[self.pos]
            self.pos += 1
            value |= (b & 0x7F) << shift
            if not b & 0x80:
                return value
            shift += 7

    def cstring(self) -> str | None:
        n = self.uvarint() - 1
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def carray(self, item):
        return [item() for _ in range(self.uvarint() - 1)]

    def tags(self) -> dict[int, bytes]:
        out = {}
        for _ in range(self.uvarint()):
            tag, size = self.uvarint(), self.uvarint()
            out[tag] = self.data[self.pos:self.pos + size]
            self.pos += size
        return out


def flexible_call(port: int, api: int, version: int, body: bytes) -> Compact:
    """One flexible request (header v2) on a fresh connection; the reader starts after the response header v1."""
    r = Compact(exchange(HOST, port, frame(header_v1(api, version, 11) + b"\x00" + body)))
    r.i32()  # correlation id
    r.tags()
    return r


def classic_call(port: int, api: int, version: int, body: bytes) -> Reader:
    r = Reader(exchange(HOST, port, frame(header_v1(api, version, 12) + body)))
    r.i32()
    return r


def init_producer_id(port: int, txn_id: str) -> tuple[int, int]:
    deadline = time.monotonic() + 60
    while True:  # FindCoordinator creates __transaction_state; the coordinator may still be loading it
        classic_call(port, 10, 1, string(txn_id) + i8(1))
        r = classic_call(port, 22, 0, string(txn_id) + i32(60000))
        r.i32()
        error, pid, epoch = r.i16(), r.i64(), r.i16()
        if error == 0:
            return pid, epoch
        assert time.monotonic() < deadline, f"InitProducerId error {error}"
        time.sleep(0.2)


def batch(pid: int, epoch: int, sequence: int, values: list[bytes]) -> bytes:
    b = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=1, producer_id=pid,
                                  producer_epoch=epoch, base_sequence=sequence, batch_size=1 << 20)
    for offset, value in enumerate(values):
        b.append(offset, timestamp=int(time.time() * 1000), key=None, value=value, headers=[])
    return bytes(b.build())


def produce_v12(port: int, txn_id: str, topic: str, records: bytes) -> int:
    """Produce v12, acks=all, one batch to partition 0 -> its error code."""
    body = (compact_string(txn_id) + i16(-1) + i32(10000)
            + uvarint(2) + compact_string(topic)
            + uvarint(2) + i32(0) + uvarint(len(records) + 1) + records + b"\x00"
            + b"\x00" + b"\x00")
    r = flexible_call(port, 0, 12, body)
    assert r.uvarint() == 2 and r.cstring() == topic and r.uvarint() == 2
    assert r.i32() == 0
    return r.i16()


def produce_v3(port: int, txn_id: str, topic: str, records: bytes) -> int:
    body = string(txn_id) + i16(-1) + i32(10000) + i32(1) + string(topic) + i32(1) + i32(0) + i32(len(records))
    r = classic_call(port, 0, 3, body + records)
    r.i32(), r.string(), r.i32(), r.i32()
    return r.i16()


def add_partitions_v0(port: int, txn_id: str, pid: int, epoch: int, topic: str) -> int:
    r = classic_call(port, 24, 0, string(txn_id) + i64(pid) + i16(epoch) + i32(1) + string(topic) + i32(1) + i32(0))
    r.i32(), r.i32(), r.string(), r.i32(), r.i32()
    return r.i16()


def end_txn_v5(port: int, txn_id: str, pid: int, epoch: int, commit: bool) -> tuple[int, int, int]:
    """EndTxn v5 -> (error code, producer id, producer epoch) to continue with."""
    r = flexible_call(port, 26, 5, compact_string(txn_id) + i64(pid) + i16(epoch) + i8(1 if commit else 0) + b"\x00")
    r.i32()  # throttle
    return r.i16(), r.i64(), r.i16()


def end_txn_v1(port: int, txn_id: str, pid: int, epoch: int, commit: bool) -> int:
    r = classic_call(port, 26, 1, string(txn_id) + i64(pid) + i16(epoch) + i8(1 if commit else 0))
    r.i32()
    return r.i16()


def wait_for_end(port: int, call) -> None:
    """Retries a call while the previous transaction's markers finish: CONCURRENT_TRANSACTIONS (51) from the
    coordinator, NOT_ENOUGH_REPLICAS (19) from a leader whose implicit add or verification got that answer."""
    deadline = time.monotonic() + 30
    while (error := call()) in (51, 19) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert error == 0, f"error {error}"


def read_committed(bootstrap: str, topic: str) -> list[bytes]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": fresh("reader"), "enable.auto.commit": False,
                  "isolation.level": "read_committed", "enable.partition.eof": True})
    try:
        c.assign([TopicPartition(topic, 0, OFFSET_BEGINNING)])
        values: list[bytes] = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            msg = c.poll(0.5)
            if msg is None:
                continue
            if msg.error() is not None:
                if msg.error().code() == -191:  # _PARTITION_EOF: the LSO reached the log end
                    return values
                raise AssertionError(f"consume error: {msg.error()}")
            values.append(msg.value())
        raise AssertionError(f"read_committed did not reach the end of {topic}")
    finally:
        c.close()


def test_api_versions_finalizes_transaction_version_2_and_advertises_its_versions(tv2_broker):
    r = Compact(exchange(HOST, tv2_broker.port, frame(header_v1(18, 3, 5) + b"\x00"
                                                        + compact_string("interop") + compact_string("1") + b"\x00")))
    r.i32()  # correlation id (ApiVersions answers with response header v0)
    assert r.i16() == 0

    def api():
        key, low, high = r.i16(), r.i16(), r.i16()
        r.tags()
        return key, (low, high)

    ranges = dict(r.carray(api))
    r.i32()
    tags = r.tags()
    assert ranges[0][1] == 12 and ranges[26][1] == 5 and ranges[28][1] == 5
    finalized = Compact(tags[2])
    features = finalized.carray(lambda: (finalized.cstring(), finalized.i16(), finalized.i16(), finalized.tags()))
    assert [(name, high, low) for name, high, low, _ in features] == [("transaction.version", 2, 2)]


def test_produce_v12_adds_the_partition_and_end_txn_v5_bumps_the_epoch_per_transaction(tv2_broker):
    port, bootstrap = tv2_broker.port, tv2_broker.bootstrap
    topic, txn_id = fresh("tv2"), fresh("tv2-tx")
    create_topic(bootstrap, topic, partitions=1)
    pid, epoch = init_producer_id(port, txn_id)

    # Transaction 1: no AddPartitionsToTxn; the leader adds the partition on the producer's behalf.
    assert produce_v12(port, txn_id, topic, batch(pid, epoch, 0, [b"t1-a", b"t1-b"])) == 0
    error, pid1, epoch1 = end_txn_v5(port, txn_id, pid, epoch, commit=True)
    assert (error, pid1, epoch1) == (0, pid, epoch + 1)
    # A retried EndTxn (the producer lost the answer) gets the same answer once the markers are written
    # (CONCURRENT_TRANSACTIONS meanwhile, as Kafka answers a retry in PrepareCommit).
    answers = [end_txn_v5(port, txn_id, pid, epoch, commit=True)]
    while answers[-1][0] == 51 and len(answers) < 300:
        time.sleep(0.1)
        answers.append(end_txn_v5(port, txn_id, pid, epoch, commit=True))
    assert answers[-1] == (0, pid, epoch + 1)

    # Transaction 2 at the new epoch, sequences from 0; it aborts and the epoch moves again.
    wait_for_end(port, lambda: produce_v12(port, txn_id, topic, batch(pid1, epoch1, 0, [b"t2-a"])))
    # A write of transaction 1 arriving now is fenced by its epoch instead of joining transaction 2.
    assert produce_v12(port, txn_id, topic, batch(pid, epoch, 2, [b"t1-late"])) == INVALID_PRODUCER_EPOCH
    assert end_txn_v5(port, txn_id, pid1, epoch1, commit=False) == (0, pid, epoch1 + 1)

    # An abort with nothing produced still bumps the epoch (the producer cannot know whether a produce got in).
    wait_for_end(port, lambda: end_txn_v5(port, txn_id, pid, epoch1 + 1, commit=False)[0])
    assert read_committed(bootstrap, topic) == [b"t1-a", b"t1-b"]


def test_txn_offset_commit_v5_adds_the_offsets_partition_without_add_offsets_to_txn(tv2_broker):
    port, bootstrap = tv2_broker.port, tv2_broker.bootstrap
    topic, txn_id, group = fresh("tv2-offsets"), fresh("tv2-offsets-tx"), fresh("tv2-offsets-g")
    create_topic(bootstrap, topic, partitions=1)
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        # FindCoordinator creates `__consumer_offsets` and waits for the group's coordinator to load.
        assert c.committed([TopicPartition(topic, 0)], timeout=30)[0].offset < 0
        pid, epoch = init_producer_id(port, txn_id)
        assert produce_v12(port, txn_id, topic, batch(pid, epoch, 0, [b"x"])) == 0
        body = (compact_string(txn_id) + compact_string(group) + i64(pid) + i16(epoch) + i32(-1)
                + compact_string("") + compact_string(None)
                + uvarint(2) + compact_string(topic)
                + uvarint(2) + i32(0) + i64(7) + i32(-1) + compact_string(None) + b"\x00"
                + b"\x00" + b"\x00")
        r = flexible_call(port, 28, 5, body)
        r.i32()
        assert r.uvarint() == 2 and r.cstring() == topic and r.uvarint() == 2 and r.i32() == 0
        assert r.i16() == 0
        assert end_txn_v5(port, txn_id, pid, epoch, commit=True) == (0, pid, epoch + 1)
        wait_until(lambda: c.committed([TopicPartition(topic, 0)], timeout=10)[0].offset == 7, 30,
                   "the transactional offset to be committed")
    finally:
        c.close()


def test_kafka_17754_a_late_write_joins_the_next_transaction_in_the_v0_flow_and_is_fenced_with_version_2(
        tv2_broker):
    """Both flows on one broker: the v0-era flow (AddPartitionsToTxn v0, Produce v3, EndTxn v1) shows the race
    Kafka 3.9 has even with partition verification; transaction version 2 closes it."""
    port, bootstrap = tv2_broker.port, tv2_broker.bootstrap

    # v0-era flow with KIP-890 part 1.
    topic, txn_id = fresh("k17754-v0"), fresh("k17754-v0-tx")
    create_topic(bootstrap, topic, partitions=1)
    pid, epoch = init_producer_id(port, txn_id)
    assert add_partitions_v0(port, txn_id, pid, epoch, topic) == 0
    assert produce_v3(port, txn_id, topic, batch(pid, epoch, 0, [b"t1-a"])) == 0
    late = batch(pid, epoch, 1, [b"t1-late"])  # sent, then delayed in the network
    assert end_txn_v1(port, txn_id, pid, epoch, commit=True) == 0  # the producer believes t1-late is committed
    wait_for_end(port, lambda: add_partitions_v0(port, txn_id, pid, epoch, topic))
    assert produce_v3(port, txn_id, topic, late) == 0  # passes verification: same id and epoch, partition added
    assert end_txn_v1(port, txn_id, pid, epoch, commit=False) == 0
    wait_for_end(port, lambda: add_partitions_v0(port, txn_id, pid, epoch, topic))  # the abort completed
    assert read_committed(bootstrap, topic) == [b"t1-a"]  # the lost write: t1-late was aborted with t2

    # Transaction version 2: the same sequence of events.
    topic, txn_id = fresh("k17754-v2"), fresh("k17754-v2-tx")
    create_topic(bootstrap, topic, partitions=1)
    pid, epoch = init_producer_id(port, txn_id)
    assert produce_v12(port, txn_id, topic, batch(pid, epoch, 0, [b"t1-a"])) == 0
    late = batch(pid, epoch, 1, [b"t1-late"])
    error, pid, next_epoch = end_txn_v5(port, txn_id, pid, epoch, commit=True)
    assert error == 0 and next_epoch == epoch + 1
    wait_for_end(port, lambda: produce_v12(port, txn_id, topic, batch(pid, next_epoch, 0, [b"t2-a"])))
    assert produce_v12(port, txn_id, topic, late) == INVALID_PRODUCER_EPOCH
    assert end_txn_v5(port, txn_id, pid, next_epoch, commit=False)[0] == 0
    wait_for_end(port, lambda: end_txn_v5(port, txn_id, pid, next_epoch + 1, commit=False)[0])
    # No aborted read, no torn transaction: transaction 1 is exactly what its producer committed, and the late
    # write surfaced as an error to the producer instead of silently disappearing.
    assert read_committed(bootstrap, topic) == [b"t1-a"]
