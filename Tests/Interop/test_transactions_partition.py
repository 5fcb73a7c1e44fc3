"""The partition side of transactions (issue #12), without a transaction coordinator.

A raw-wire "coordinator" gets producer ids from InitProducerId, produces transactional batches, and ends the
transactions with WriteTxnMarkers COMMIT/ABORT, as Kafka's coordinator does. Real consumers then decide: kcat,
confluent-kafka, kafka-python and aiokafka with isolation.level=read_committed see exactly the committed records,
read_uncommitted sees them all. ListOffsets latest with read_committed is the LSO while a transaction is open, and
the LSO and the aborted index survive a kill -9.

`Txn` is the only part that talks to the partition leaders directly; a later version can drive the same
scenario through a real coordinator (the client-level transactional tests live in their own module).
"""

from __future__ import annotations

import struct
import subprocess
import time

import pytest
from kafka.record.default_records import DefaultRecordBatchBuilder

from clients import aiokafka_consume, kafka_python_consume, parse_kcat_output
from conftest import HOST, NEEDLETAIL_BIN, create_topic, wait_until
from kafka_wire import Reader, exchange, frame, header_v1, i8, i16, i32, i64, string

pytestmark = pytest.mark.needletail_only

TOPIC = "txn-partition"


def init_producer_id(port: int) -> tuple[int, int]:
    """InitProducerId v0 without a transactional id: a fresh (producer id, epoch)."""
    resp = Reader(exchange(HOST, port, frame(header_v1(22, 0, 1) + string(None) + i32(60000))))
    resp.i32(), resp.i32()  # correlation id, throttle
    error, pid, epoch = resp.i16(), resp.i64(), resp.i16()
    assert error == 0
    return pid, epoch


def transactional_batch(pid: int, epoch: int, sequence: int, values: list[bytes]) -> bytes:
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=1, producer_id=pid,
                                        producer_epoch=epoch, base_sequence=sequence, batch_size=1 << 20)
    now = int(time.time() * 1000)
    for offset, value in enumerate(values):
        builder.append(offset, timestamp=now, key=None, value=value, headers=[])
    return bytes(builder.build())


def produce(port: int, batch: bytes, transactional_id: str | None, topic: str = TOPIC) -> tuple[int, int]:
    """Produce v3 of one batch to partition 0, acks=all -> (error code, base offset)."""
    body = (string(transactional_id) + i16(-1) + i32(10000) + i32(1) + string(topic)
            + i32(1) + i32(0) + i32(len(batch)) + batch)
    r = Reader(exchange(HOST, port, frame(header_v1(0, 3, 2) + body)))
    r.i32(), r.i32(), r.string(), r.i32()  # correlation id, topics, name, partitions
    partition, error, base = r.i32(), r.i16(), r.i64()
    return error, base


def write_txn_markers(port: int, pid: int, epoch: int, commit: bool, coordinator_epoch: int = 0) -> int:
    """WriteTxnMarkers v0 for partition 0 -> its error code."""
    body = (i32(1) + i64(pid) + i16(epoch) + i8(1 if commit else 0)
            + i32(1) + string(TOPIC) + i32(1) + i32(0) + i32(coordinator_epoch))
    r = Reader(exchange(HOST, port, frame(header_v1(27, 0, 3) + body)))
    r.i32()  # correlation id
    assert r.i32() == 1 and r.i64() == pid
    assert r.i32() == 1 and r.string() == TOPIC
    assert r.i32() == 1 and r.i32() == 0
    return r.i16()


def list_latest_answer(port: int, isolation: int, topic: str = TOPIC) -> tuple[int, int]:
    """ListOffsets v2 latest for partition 0 with the given isolation level -> (error code, offset)."""
    body = i32(-1) + i8(isolation) + i32(1) + string(topic) + i32(1) + i32(0) + i64(-1)
    r = Reader(exchange(HOST, port, frame(header_v1(2, 2, 4) + body)))
    r.i32(), r.i32(), r.i32(), r.string(), r.i32()
    partition, error, _timestamp, offset = r.i32(), r.i16(), r.i64(), r.i64()
    return error, offset


def list_latest(port: int, isolation: int, topic: str = TOPIC) -> int:
    error, offset = list_latest_answer(port, isolation, topic)
    assert error == 0
    return offset


class Txn:
    """One producer's transactions on partition 0, ended by markers sent straight to the leader."""

    def __init__(self, port: int, name: str, topic: str = TOPIC):
        self.port, self.name, self.topic = port, name, topic
        self.pid, self.epoch = init_producer_id(port)
        self.sequence = 0

    def send(self, *values: bytes) -> int:
        error, base = produce(self.port, transactional_batch(self.pid, self.epoch, self.sequence, list(values)),
                              self.name, self.topic)
        assert error == 0, f"produce error {error}"
        self.sequence += len(values)
        return base

    def end(self, commit: bool, coordinator_epoch: int = 0) -> int:
        return write_txn_markers(self.port, self.pid, self.epoch, commit, coordinator_epoch)


def plain(port: int, *values: bytes, topic: str = TOPIC) -> None:
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=0, producer_id=-1,
                                        producer_epoch=-1, base_sequence=-1, batch_size=1 << 20)
    for offset, value in enumerate(values):
        builder.append(offset, timestamp=int(time.time() * 1000), key=None, value=value, headers=[])
    assert produce(port, bytes(builder.build()), None, topic)[0] == 0


COMMITTED = [b"p0", b"p1", b"a0", b"a1", b"p2", b"c0"]
EVERYTHING = [b"p0", b"p1", b"a0", b"a1", b"b0", b"b1", b"p2", b"c0"]


def kcat_values(bootstrap: str, isolation: str) -> list[bytes]:
    out = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", TOPIC, "-o", "beginning", "-e", "-q",
                          "-X", f"isolation.level={isolation}", "-f", "%p %o %K %S %h\n%k%s\n"],
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return [m.value for m in parse_kcat_output(out.stdout)]


def confluent_values(bootstrap: str, isolation: str, expected: int) -> list[bytes]:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"txn-{time.monotonic_ns()}",
                         "enable.auto.commit": False, "isolation.level": isolation})
    try:
        consumer.assign([TopicPartition(TOPIC, 0, OFFSET_BEGINNING)])
        out: list[bytes] = []
        deadline = time.monotonic() + 30
        while len(out) < expected and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=100, timeout=0.5):
                assert msg.error() is None, msg.error()
                out.append(msg.value())
        return out
    finally:
        consumer.close()


@pytest.fixture(scope="module")
def broker(cluster):
    """This module plays the transaction coordinator itself, so its leader must not ask a real one whether the
    partitions are in the transactions (KIP-890 part 1 verification, on by default as in Kafka 3.6+)."""
    return cluster.broker(1, {"transaction.partition.verification.enable": "false",
                              # The leader's own hanging-transaction scan, quick enough to watch here.
                              "transaction.max.timeout.ms": "3000",
                              "transaction.abort.timed.out.transaction.cleanup.interval.ms": "500"})


@pytest.fixture(scope="module")
def scenario(broker):
    """p0 p1 | A: a0 a1 COMMIT | B: b0 b1 ABORT | p2 | A: c0 COMMIT, then B opens a transaction and leaves it open."""
    create_topic(broker.bootstrap, TOPIC, partitions=1)
    plain(broker.port, b"p0", b"p1")
    a = Txn(broker.port, "txn-a")
    b = Txn(broker.port, "txn-b")
    a.send(b"a0", b"a1")
    first_b = b.send(b"b0", b"b1")
    assert a.end(commit=True) == 0
    assert b.end(commit=False) == 0
    plain(broker.port, b"p2")
    a.send(b"c0")
    assert a.end(commit=True) == 0
    open_first = b.send(b"d0")
    return {"a": a, "b": b, "aborted_first": first_b, "open_first": open_first}


def test_list_offsets_latest_is_the_lso_for_read_committed_while_a_transaction_is_open(broker, scenario):
    assert list_latest(broker.port, isolation=1) == scenario["open_first"]
    assert list_latest(broker.port, isolation=0) == scenario["open_first"] + 1


def test_read_committed_consumers_see_exactly_the_committed_records(broker, scenario):
    assert kcat_values(broker.bootstrap, "read_committed") == COMMITTED
    assert confluent_values(broker.bootstrap, "read_committed", len(COMMITTED)) == COMMITTED
    got = kafka_python_consume(broker.bootstrap, TOPIC, [0], len(COMMITTED), timeout=30,
                               isolation_level="read_committed")
    assert [m.value for m in got] == COMMITTED
    got = aiokafka_consume(broker.bootstrap, TOPIC, [0], len(COMMITTED), timeout=30,
                           isolation_level="read_committed")
    assert [m.value for m in got] == COMMITTED


def test_read_uncommitted_consumers_see_every_record(broker, scenario):
    everything = EVERYTHING + [b"d0"]
    assert kcat_values(broker.bootstrap, "read_uncommitted") == everything
    assert confluent_values(broker.bootstrap, "read_uncommitted", len(everything)) == everything
    got = kafka_python_consume(broker.bootstrap, TOPIC, [0], len(everything), timeout=30)
    assert [m.value for m in got] == everything


def test_needletail_console_consumer_honours_isolation_level(broker, scenario):
    def console(*extra: str) -> list[bytes]:
        out = subprocess.run([str(NEEDLETAIL_BIN), "console-consumer", "--bootstrap-server", broker.bootstrap,
                              "--topic", TOPIC, "--from-beginning", "--timeout-ms", "3000", *extra],
                             capture_output=True, timeout=60)
        assert out.returncode == 0, out.stderr.decode(errors="replace")
        return out.stdout.splitlines()

    assert console("--isolation-level", "read_committed") == COMMITTED
    assert console() == EVERYTHING + [b"d0"]


def test_transactional_records_without_a_transactional_id_are_refused(broker, scenario):
    a = scenario["a"]
    error, _ = produce(broker.port, transactional_batch(a.pid, a.epoch, a.sequence, [b"x"]), None)
    assert error == 53  # TRANSACTIONAL_ID_AUTHORIZATION_FAILED, as Kafka's handleProduceRequest


def test_stale_markers_are_fenced_per_partition(broker, scenario):
    a = scenario["a"]
    assert a.end(commit=True, coordinator_epoch=5) == 0
    assert a.end(commit=True, coordinator_epoch=4) == 52  # TRANSACTION_COORDINATOR_FENCED
    assert write_txn_markers(broker.port, a.pid, a.epoch - 1, commit=True, coordinator_epoch=6) == 47


def test_lso_and_aborted_index_survive_kill_9_and_the_open_transaction_can_still_abort(broker, scenario):
    broker.restart(kill=True)
    # The restarted broker leads the partition again once the controller's LeaderAndIsr arrived.
    wait_until(lambda: list_latest_answer(broker.port, isolation=1)[0] == 0, 60, "the partition to be led again")
    assert list_latest(broker.port, isolation=1) == scenario["open_first"]
    assert kcat_values(broker.bootstrap, "read_committed") == COMMITTED
    assert scenario["b"].end(commit=False) == 0
    wait_until(lambda: list_latest(broker.port, isolation=1) == list_latest(broker.port, isolation=0), 30,
               "the LSO to reach the high watermark after the abort")
    assert kcat_values(broker.bootstrap, "read_committed") == COMMITTED
    got = aiokafka_consume(broker.bootstrap, TOPIC, [0], len(COMMITTED), timeout=30,
                           isolation_level="read_committed")
    assert [m.value for m in got] == COMMITTED


def test_kafka_python_admin_finds_the_open_transaction_and_aborts_it_at_the_leader(broker, scenario):
    from kafka import KafkaAdminClient, TopicPartition
    from kafka.admin import AbortTransactionSpec

    a = scenario["a"]
    hanging = a.send(b"e0")
    tp = TopicPartition(TOPIC, 0)
    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap)
    try:
        producers = admin.describe_producers([tp])[tp].active_producers
        by_id = {p.producer_id: p for p in producers}
        assert set(by_id) == {a.pid, scenario["b"].pid}
        state = by_id[a.pid]
        assert state.current_transaction_start_offset == hanging
        assert state.producer_epoch == a.epoch and state.last_sequence == a.sequence - 1
        assert by_id[scenario["b"].pid].current_transaction_start_offset == -1
        assert list_latest(broker.port, isolation=1) == hanging
        # As kafka-transactions.sh abort: the producer's own coordinator epoch (0 when unknown).
        admin.abort_transaction(AbortTransactionSpec(tp, a.pid, a.epoch, max(state.coordinator_epoch, 0)))
        after = {p.producer_id: p for p in admin.describe_producers([tp])[tp].active_producers}
        assert after[a.pid].current_transaction_start_offset == -1
    finally:
        admin.close()
    assert list_latest(broker.port, isolation=1) == list_latest(broker.port, isolation=0)
    assert kcat_values(broker.bootstrap, "read_committed") == COMMITTED


def transactions_cli(bootstrap: str, *args: str) -> list[list[str]]:
    """`needletail transactions` -> its table, one list of cells per line."""
    out = subprocess.run([str(NEEDLETAIL_BIN), "transactions", "--bootstrap-server", bootstrap, *args],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return [[cell.strip() for cell in line.split("\t")[:-1]] for line in out.stdout.splitlines()]


def test_find_hanging_lists_a_transaction_no_coordinator_knows_and_abort_by_producer_id_unblocks_readers(broker):
    """A transactional batch written while verification is off, by a producer no coordinator knows: the hanging
    transaction of KIP-664, which holds the LSO and every read_committed reader until an operator aborts it."""
    topic = "txn-hanging"
    create_topic(broker.bootstrap, topic, partitions=1)
    plain(broker.port, b"before", topic=topic)
    stray = Txn(broker.port, "txn-stray", topic=topic)
    start = stray.send(b"hanging")
    plain(broker.port, b"after", topic=topic)
    assert list_latest(broker.port, isolation=1, topic=topic) == start

    # The leader reports it by itself once it is open longer than transaction.max.timeout.ms (Kafka does not).
    def reported() -> bool:
        return any(f"Hanging transaction in {topic}-0: producer {stray.pid}" in line
                   and f"--topic {topic} --partition 0 --start-offset {start}" in line
                   for line in broker.log_tail(limit=1 << 24).splitlines())
    wait_until(reported, 60, "the leader to log the hanging transaction")

    headers = ["Topic", "Partition", "ProducerId", "ProducerEpoch", "CoordinatorEpoch", "StartOffset",
               "LastTimestamp", "Duration(min)"]
    for scope in (["--broker-id", "1"], ["--topic", topic], ["--topic", topic, "--partition", "0"]):
        found = transactions_cli(broker.bootstrap, "find-hanging", *scope, "--max-transaction-timeout", "0")
        assert found[0] == headers
        rows = [r for r in found[1:] if r[0] == topic]
        assert len(rows) == 1, found
        assert rows[0][1:4] == ["0", str(stray.pid), str(stray.epoch)] and rows[0][5] == str(start)
        coordinator_epoch = rows[0][4]
    # As an operator would paste it from find-hanging, coordinator epoch -1 included (Kafka then sends 0).
    transactions_cli(broker.bootstrap, "abort", "--topic", topic, "--partition", "0", "--producer-id",
                     str(stray.pid), "--producer-epoch", str(stray.epoch), f"--coordinator-epoch={coordinator_epoch}")
    assert list_latest(broker.port, isolation=1, topic=topic) == list_latest(broker.port, isolation=0, topic=topic)
    assert not [r for r in transactions_cli(broker.bootstrap, "find-hanging", "--topic", topic,
                                            "--max-transaction-timeout", "0")[1:]]
    got = kafka_python_consume(broker.bootstrap, topic, [0], 2, timeout=30, isolation_level="read_committed")
    assert [m.value for m in got] == [b"before", b"after"]
    from clients import confluent_consume
    got = confluent_consume(broker.bootstrap, topic, [0], 2, timeout=30)  # librdkafka reads read_committed
    assert [m.value for m in got] == [b"before", b"after"]


def test_dump_log_shows_markers_and_the_txnindex_kafkas_way(broker, scenario):
    directory = broker.log_dir / f"{TOPIC}-0"
    out = subprocess.run([str(NEEDLETAIL_BIN), "dump-log", "--files", str(directory / "00000000000000000000.log"),
                          "--print-data-log"], capture_output=True, timeout=60, check=True).stdout.decode()
    controls = [line for line in out.splitlines() if "isTransactional: true isControl: true" in line]
    assert len(controls) >= 4
    assert any("endTxnMarker: ABORT coordinatorEpoch: 0" in line for line in out.splitlines())
    assert any("endTxnMarker: COMMIT coordinatorEpoch: 0" in line for line in out.splitlines())
    index = subprocess.run([str(NEEDLETAIL_BIN), "dump-log", "--files",
                            str(directory / "00000000000000000000.txnindex")],
                           capture_output=True, timeout=60, check=True).stdout.decode().splitlines()
    b = scenario["b"]
    entries = [line for line in index if line.startswith("version: 0 ")]
    assert entries and entries[0].startswith(
        f"version: 0 producerId: {b.pid} firstOffset: {scenario['aborted_first']} lastOffset: ")
