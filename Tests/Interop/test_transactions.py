"""Transactions end to end with real clients: a confluent-kafka, kafka-python and aiokafka transactional producer
against the transaction coordinator, read back by read_committed and read_uncommitted consumers of each client and
kcat. One broker for the module."""

from __future__ import annotations

import asyncio
import time
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

from conftest import create_topic, run_kcat, wait_until


@pytest.fixture(scope="module")
def txn_broker(cluster):
    return cluster.broker(1, overrides={
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.abort.timed.out.transaction.cleanup.interval.ms": "500",
    })


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def txn_producer(bootstrap: str, txn_id: str, **extra) -> Producer:
    conf = {"bootstrap.servers": bootstrap, "transactional.id": txn_id, "linger.ms": 5}
    conf.update(extra)
    p = Producer(conf)
    p.init_transactions(30)
    return p


def read_all(bootstrap: str, topic: str, partitions: int, isolation: str) -> list[bytes]:
    """Every record visible to a consumer with this isolation level, read up to the end of each partition."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": fresh("reader"), "enable.auto.commit": False,
                  "isolation.level": isolation, "enable.partition.eof": True})
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        values: list[bytes] = []
        done: set[int] = set()
        deadline = time.monotonic() + 60
        while len(done) < partitions and time.monotonic() < deadline:
            for msg in c.consume(num_messages=1000, timeout=0.5):
                if msg.error() is not None:
                    if msg.error().code() == -191:  # _PARTITION_EOF
                        done.add(msg.partition())
                        continue
                    raise AssertionError(f"consume error: {msg.error()}")
                done.discard(msg.partition())
                values.append(msg.value())
        assert len(done) == partitions, f"did not reach the end of {topic}"
        return values
    finally:
        c.close()


def test_confluent_commit_and_abort_are_seen_by_read_committed_and_read_uncommitted(txn_broker):
    b = txn_broker.bootstrap
    orders, audit = fresh("orders"), fresh("audit")
    create_topic(b, orders, partitions=3)
    create_topic(b, audit, partitions=1)
    p = txn_producer(b, fresh("tx"))
    p.begin_transaction()
    for i in range(30):
        p.produce(orders, key=b"k%d" % i, value=b"committed-%d" % i)
    p.produce(audit, value=b"audit-committed")
    p.commit_transaction(30)
    p.begin_transaction()
    for i in range(20):
        p.produce(orders, key=b"k%d" % i, value=b"aborted-%d" % i)
    p.produce(audit, value=b"audit-aborted")
    p.flush(30)
    p.abort_transaction(30)
    p.begin_transaction()
    p.produce(orders, key=b"k", value=b"committed-last")
    p.commit_transaction(30)

    committed = read_all(b, orders, 3, "read_committed")
    assert sorted(committed) == sorted([b"committed-%d" % i for i in range(30)] + [b"committed-last"])
    everything = read_all(b, orders, 3, "read_uncommitted")
    assert len(everything) == 51 and b"aborted-7" in everything
    assert read_all(b, audit, 1, "read_committed") == [b"audit-committed"]

    # kcat is librdkafka too, and defaults to read_committed.
    out = run_kcat(["-b", b, "-C", "-t", audit, "-e", "-q", "-f", "%s\\n"])
    assert out.stdout.split() == [b"audit-committed"]


def test_interleaved_transactions_of_two_producers_commit_and_abort_independently(txn_broker):
    b = txn_broker.bootstrap
    topic = fresh("interleaved")
    create_topic(b, topic, partitions=2)
    a = txn_producer(b, fresh("tx-a"))
    c = txn_producer(b, fresh("tx-c"))
    a.begin_transaction()
    c.begin_transaction()
    for i in range(10):
        a.produce(topic, value=b"a-%d" % i, partition=i % 2)
        c.produce(topic, value=b"c-%d" % i, partition=i % 2)
    a.flush(30)
    c.flush(30)
    c.abort_transaction(30)
    a.commit_transaction(30)
    assert sorted(read_all(b, topic, 2, "read_committed")) == sorted(b"a-%d" % i for i in range(10))


def test_consume_transform_produce_commits_offsets_with_the_transaction(txn_broker):
    b = txn_broker.bootstrap
    source, sink, group = fresh("source"), fresh("sink"), fresh("copier")
    create_topic(b, source, partitions=1)
    create_topic(b, sink, partitions=1)
    plain = Producer({"bootstrap.servers": b})
    for i in range(20):
        plain.produce(source, value=b"in-%d" % i)
    plain.flush(30)

    consumer = Consumer({"bootstrap.servers": b, "group.id": group, "enable.auto.commit": False,
                         "auto.offset.reset": "earliest", "isolation.level": "read_committed"})
    consumer.subscribe([source])
    producer = txn_producer(b, fresh("copier-tx"))
    copied = 0
    aborted_once = False
    deadline = time.monotonic() + 90
    try:
        while copied < 20 and time.monotonic() < deadline:
            msgs = [m for m in consumer.consume(num_messages=5, timeout=1.0) if m.error() is None]
            if not msgs:
                continue
            producer.begin_transaction()
            for m in msgs:
                producer.produce(sink, value=m.value().replace(b"in", b"out"))
            positions = consumer.position(consumer.assignment())
            producer.send_offsets_to_transaction(positions, consumer.consumer_group_metadata(), 30)
            if not aborted_once:
                # The first batch is aborted: its output disappears and its offsets are not committed, so the
                # consumer rewinds to the committed position and copies it again.
                aborted_once = True
                producer.abort_transaction(30)
                committed = consumer.committed([TopicPartition(source, 0)], timeout=10)
                consumer.seek(TopicPartition(source, 0, committed[0].offset if committed[0].offset >= 0 else 0))
                continue
            producer.commit_transaction(30)
            copied += len(msgs)
    finally:
        consumer.close()
    assert copied == 20
    assert sorted(read_all(b, sink, 1, "read_committed")) == sorted(b"out-%d" % i for i in range(20))
    check = Consumer({"bootstrap.servers": b, "group.id": group})
    try:
        wait_until(lambda: check.committed([TopicPartition(source, 0)], timeout=10)[0].offset == 20, 30,
                   "the group's committed offset to reach 20")
    finally:
        check.close()


def test_a_second_producer_with_the_same_transactional_id_fences_the_zombie(txn_broker):
    b = txn_broker.bootstrap
    topic = fresh("fencing")
    create_topic(b, topic, partitions=1)
    txn_id = fresh("zombie")
    zombie = txn_producer(b, txn_id)
    zombie.begin_transaction()
    zombie.produce(topic, value=b"zombie")
    zombie.flush(30)
    successor = txn_producer(b, txn_id)  # aborts the zombie's open transaction and bumps the epoch
    successor.begin_transaction()
    successor.produce(topic, value=b"successor")
    successor.commit_transaction(30)
    with pytest.raises(KafkaException) as raised:
        zombie.produce(topic, value=b"zombie-2")
        zombie.commit_transaction(30)
    assert raised.value.args[0].fatal() or "fenced" in str(raised.value).lower()
    assert read_all(b, topic, 1, "read_committed") == [b"successor"]


def test_a_transaction_open_past_its_timeout_is_aborted_and_readers_move_past_it(txn_broker):
    b = txn_broker.bootstrap
    topic = fresh("timeout")
    create_topic(b, topic, partitions=1)
    stuck = txn_producer(b, fresh("stuck"), **{"transaction.timeout.ms": 2000})
    stuck.begin_transaction()
    stuck.produce(topic, value=b"never-committed")
    stuck.flush(30)
    later = txn_producer(b, fresh("later"))
    later.begin_transaction()
    later.produce(topic, value=b"committed-after")
    later.commit_transaction(30)
    # The read_committed reader is held at the open transaction until the coordinator aborts it.
    wait_until(lambda: read_all(b, topic, 1, "read_committed") == [b"committed-after"], 60,
               "the timed-out transaction to be aborted")
    with pytest.raises(KafkaException):
        stuck.commit_transaction(10)


def test_kafka_python_transactional_producer_commits_and_aborts(txn_broker):
    kafka = pytest.importorskip("kafka")
    b = txn_broker.bootstrap
    topic = fresh("kp")
    create_topic(b, topic, partitions=1)
    producer = kafka.KafkaProducer(bootstrap_servers=b, transactional_id=fresh("kp-tx"))
    producer.init_transactions()
    producer.begin_transaction()
    producer.send(topic, b"kp-committed")
    producer.commit_transaction()
    producer.begin_transaction()
    producer.send(topic, b"kp-aborted")
    producer.flush()
    producer.abort_transaction()
    producer.close()
    assert read_all(b, topic, 1, "read_committed") == [b"kp-committed"]
    assert read_all(b, topic, 1, "read_uncommitted") == [b"kp-committed", b"kp-aborted"]
    consumer = kafka.KafkaConsumer(topic, bootstrap_servers=b, auto_offset_reset="earliest",
                                   isolation_level="read_committed", consumer_timeout_ms=5000)
    try:
        assert [m.value for m in consumer] == [b"kp-committed"]
    finally:
        consumer.close()


def test_aiokafka_transactional_producer_commits_and_aborts(txn_broker):
    aiokafka = pytest.importorskip("aiokafka")
    b = txn_broker.bootstrap
    topic = fresh("aio")
    create_topic(b, topic, partitions=1)

    async def run() -> list[bytes]:
        producer = aiokafka.AIOKafkaProducer(bootstrap_servers=b, transactional_id=fresh("aio-tx"))
        await producer.start()
        try:
            async with producer.transaction():
                await producer.send_and_wait(topic, b"aio-committed")
            await producer.begin_transaction()
            await producer.send_and_wait(topic, b"aio-aborted")
            await producer.abort_transaction()
        finally:
            await producer.stop()
        consumer = aiokafka.AIOKafkaConsumer(topic, bootstrap_servers=b, auto_offset_reset="earliest",
                                             isolation_level="read_committed")
        await consumer.start()
        try:
            got: list[bytes] = []
            deadline = time.monotonic() + 20
            while not got and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    got.extend(r.value for r in records)
            return got
        finally:
            await consumer.stop()

    assert asyncio.run(run()) == [b"aio-committed"]
    assert read_all(b, topic, 1, "read_uncommitted") == [b"aio-committed", b"aio-aborted"]


def test_transactions_cli_lists_and_describes_an_open_transaction_like_kafka_transactions_sh(txn_broker):
    import subprocess

    from conftest import NEEDLETAIL_BIN, BACKEND
    if BACKEND != "needletail":
        pytest.skip("needletail's CLI")
    b = txn_broker.bootstrap
    topic, txn_id = fresh("cli"), fresh("cli-tx")
    create_topic(b, topic, partitions=2)
    p = txn_producer(b, txn_id)
    p.begin_transaction()
    p.produce(topic, value=b"open", partition=1)
    p.flush(30)

    def cli(*args: str) -> list[list[str]]:
        out = subprocess.run([str(NEEDLETAIL_BIN), "transactions", "--bootstrap-server", b, *args],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        return [[cell.strip() for cell in line.split("\t")[:-1]] for line in out.stdout.splitlines()]

    listed = cli("list")
    assert listed[0] == ["TransactionalId", "Coordinator", "ProducerId", "TransactionState"]
    row = next(r for r in listed[1:] if r[0] == txn_id)
    assert row[1] == "1" and row[3] == "Ongoing"
    described = cli("describe", "--transactional-id", txn_id)
    assert described[0] == ["CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
                            "TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TransactionDurationMs",
                            "TopicPartitions"]
    assert described[1][:2] == ["1", txn_id] and described[1][2] == row[2]
    assert described[1][4] == "Ongoing" and described[1][8] == f"{topic}-1"
    producers = cli("describe-producers", "--topic", topic, "--partition", "1")
    assert producers[0] == ["ProducerId", "ProducerEpoch", "LatestCoordinatorEpoch", "LastSequence", "LastTimestamp",
                            "CurrentTransactionStartOffset"]
    assert producers[1][0] == row[2] and producers[1][5] == "0"
    p.abort_transaction(30)
    wait_until(lambda: cli("describe", "--transactional-id", txn_id)[1][4] == "CompleteAbort", 30,
               "the transaction to be aborted")


def test_transactions_cli_aborts_a_transaction_at_its_start_offset(txn_broker):
    import subprocess

    from conftest import NEEDLETAIL_BIN, BACKEND
    if BACKEND != "needletail":
        pytest.skip("needletail's CLI")
    b = txn_broker.bootstrap
    topic = fresh("hanging")
    create_topic(b, topic, partitions=1)
    p = txn_producer(b, fresh("hanging-tx"))
    p.begin_transaction()
    p.produce(topic, value=b"will-be-aborted")
    p.flush(30)

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(NEEDLETAIL_BIN), "transactions", "--bootstrap-server", b, *args],
                              capture_output=True, text=True, timeout=60)

    # Known to its coordinator and younger than the timeout: not hanging.
    hanging = cli("find-hanging", "--broker-id", "1", "--max-transaction-timeout", "0")
    assert hanging.returncode == 0, hanging.stderr
    assert hanging.stdout.splitlines()[0].split("\t")[0].strip() == "Topic"
    assert topic not in hanging.stdout
    aborted = cli("abort", "--topic", topic, "--partition", "0", "--start-offset", "0")
    assert aborted.returncode == 0, aborted.stderr
    later = Producer({"bootstrap.servers": b})
    later.produce(topic, value=b"plain")
    later.flush(30)
    assert read_all(b, topic, 1, "read_committed") == [b"plain"]


def test_txn_offset_commit_before_add_offsets_to_txn_is_refused_invalid_txn_state(txn_broker):
    """KIP-890 part 1 reaches the group coordinator (Kafka 3.6+): a TxnOffsetCommit whose transaction never added
    the group's offsets partition with AddOffsetsToTxn would open a transaction nobody ends in `__consumer_offsets`,
    so it is refused, and accepted once AddOffsetsToTxn was sent."""
    from kafka_wire import Reader, exchange, frame, header_v1, i8, i16, i32, i64, string

    from conftest import HOST
    port = txn_broker.port
    topic, txn_id, group = fresh("offsets-verify"), fresh("offsets-verify-tx"), fresh("offsets-verify-g")
    create_topic(txn_broker.bootstrap, topic, partitions=1)
    c = Consumer({"bootstrap.servers": txn_broker.bootstrap, "group.id": group, "enable.auto.commit": False})
    # FindCoordinator creates `__consumer_offsets` and waits for the group's coordinator to load.
    assert c.committed([TopicPartition(topic, 0)], timeout=30)[0].offset < 0

    def call(api: int, body: bytes) -> Reader:
        r = Reader(exchange(HOST, port, frame(header_v1(api, 0, 7) + body)))
        r.i32()  # correlation id
        return r

    def txn_offset_commit(pid: int, epoch: int, offset: int) -> int:
        r = call(28, string(txn_id) + string(group) + i64(pid) + i16(epoch)
                 + i32(1) + string(topic) + i32(1) + i32(0) + i64(offset) + string(None))
        r.i32(), r.i32(), r.string(), r.i32(), r.i32()  # throttle, topics, name, partitions, partition
        return r.i16()

    r = None
    deadline = time.monotonic() + 60
    while True:  # the coordinator may still be loading __transaction_state
        r = call(22, string(txn_id) + i32(60000))
        r.i32()
        error, pid, epoch = r.i16(), r.i64(), r.i16()
        if error == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert error == 0
    r = call(24, string(txn_id) + i64(pid) + i16(epoch) + i32(1) + string(topic) + i32(1) + i32(0))
    r.i32(), r.i32(), r.string(), r.i32(), r.i32()
    assert r.i16() == 0

    assert txn_offset_commit(pid, epoch, 5) == 48  # INVALID_TXN_STATE
    r = call(25, string(txn_id) + i64(pid) + i16(epoch) + string(group))
    r.i32()
    assert r.i16() == 0
    assert txn_offset_commit(pid, epoch, 5) == 0
    r = call(26, string(txn_id) + i64(pid) + i16(epoch) + i8(1))
    r.i32()
    assert r.i16() == 0
    try:
        wait_until(lambda: c.committed([TopicPartition(topic, 0)], timeout=10)[0].offset == 5, 30,
                   "the transactional offset to be committed")
    finally:
        c.close()
