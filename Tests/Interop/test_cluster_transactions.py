"""Transactions on three brokers, with kill -9 in the middle of transactions:
- the transaction coordinator (leader of the id's `__transaction_state` partition): the producer commits at the new
  coordinator, which loaded the transaction from its replica, and read_committed readers see exactly the committed
  records;
- the group coordinator (leader of the group's `__consumer_offsets` partition) between
  `send_offsets_to_transaction` and the commit: the offsets were written to the log as a transactional batch at once,
  so the new group coordinator rebuilds them from its replica and the COMMIT marker makes them the group's;
- KIP-890 part 1: a partition leader asks the (remote) transaction coordinator before it lets a transactional
  batch open a transaction, so a raw produce for a partition never added, or after the commit, is refused and
  leaves no hanging transaction."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition
from kafka.record.default_records import DefaultRecordBatchBuilder

from conftest import HOST, ReplicatedCluster, create_topic, record_timing, wait_until
from kafka_wire import Reader, exchange, frame, header_v1, i8, i16, i32, i64, string

pytestmark = pytest.mark.needletail_only

HANG_S = 90.0  # an upper bound that means "hung", never a performance expectation
STATE_PARTITIONS = 6
OFFSETS_PARTITIONS = 6  # ReplicatedCluster's offsets.topic.num.partitions


@pytest.fixture(scope="module")
def txn_cluster(request, zookeeper_ensemble):
    c = ReplicatedCluster("cluster-transactions", zookeeper_ensemble, overrides={
        "transaction.state.log.replication.factor": "3",
        "transaction.state.log.min.isr": "2",
        # 6 instead of Kafka's 50 partitions: 150 replicas would only add load here.
        "transaction.state.log.num.partitions": str(STATE_PARTITIONS),
    })
    try:
        c.start()
        yield c
    finally:
        c.teardown()


def java_hash(s: str) -> int:
    h = 0
    for unit in s.encode("utf-16-be").hex(" ", 2).split():
        h = (31 * h + int(unit, 16)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def state_partition(txn_id: str) -> int:
    h = java_hash(txn_id)
    return 0 if h == -(1 << 31) else abs(h) % STATE_PARTITIONS


def offsets_partition(group: str) -> int:
    h = java_hash(group)
    return 0 if h == -(1 << 31) else abs(h) % OFFSETS_PARTITIONS


def read_committed(bootstrap: str, topic: str, partitions: int, expected: int) -> list[bytes]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": f"r-{uuid.uuid4().hex[:6]}",
                  "enable.auto.commit": False, "isolation.level": "read_committed"})
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        out: list[bytes] = []
        deadline = time.monotonic() + HANG_S
        while len(out) < expected and time.monotonic() < deadline:
            out.extend(m.value() for m in c.consume(num_messages=1000, timeout=0.5) if m.error() is None)
        # Anything past the expected count would be an aborted or duplicated record: give it a moment to show.
        out.extend(m.value() for m in c.consume(num_messages=1000, timeout=2.0) if m.error() is None)
        return out
    finally:
        c.close()


def test_killing_the_transaction_coordinator_mid_transaction_lets_the_producer_commit_elsewhere(txn_cluster):
    rc = txn_cluster
    topic = "txn-failover"
    create_topic(rc.bootstrap, topic, partitions=3, replication=3, config={"min.insync.replicas": "2"})
    rc.wait_full_isr(topic, 3, timeout=HANG_S)
    txn_id = f"failover-{uuid.uuid4().hex[:8]}"
    producer = Producer({"bootstrap.servers": rc.bootstrap, "transactional.id": txn_id, "linger.ms": 5,
                         "transaction.timeout.ms": 120000})
    producer.init_transactions(HANG_S)
    producer.begin_transaction()
    for i in range(30):
        producer.produce(topic, value=b"before-%d" % i, partition=i % 3)
    producer.commit_transaction(HANG_S)

    rc.wait_full_isr("__transaction_state", STATE_PARTITIONS, timeout=HANG_S)
    producer.begin_transaction()
    for i in range(30):
        producer.produce(topic, value=b"during-%d" % i, partition=i % 3)
    producer.flush(HANG_S)
    coordinator = rc.leaders("__transaction_state")[state_partition(txn_id)]
    victim = rc.broker_by_id(coordinator)
    t0 = time.monotonic()
    victim.kill9()
    try:
        producer.commit_transaction(HANG_S)
        record_timing(f"kill -9 transaction coordinator (broker {coordinator}) until the commit succeeds",
                      time.monotonic() - t0)
        assert rc.leaders("__transaction_state")[state_partition(txn_id)] != coordinator
        producer.begin_transaction()
        producer.produce(topic, value=b"after", partition=0)
        producer.commit_transaction(HANG_S)

        expected = sorted([b"before-%d" % i for i in range(30)] + [b"during-%d" % i for i in range(30)] + [b"after"])
        assert sorted(read_committed(rc.bootstrap, topic, 3, len(expected))) == expected
    finally:
        rc.restart_after_kill(victim)


def test_killing_the_group_coordinator_after_send_offsets_to_transaction_keeps_the_offsets(txn_cluster):
    rc = txn_cluster
    source, sink = "txn-offsets-source", "txn-offsets-sink"
    for t in (source, sink):
        create_topic(rc.bootstrap, t, partitions=1, replication=3)
        rc.wait_full_isr(t, 1, timeout=HANG_S)
    plain = Producer({"bootstrap.servers": rc.bootstrap})
    for i in range(10):
        plain.produce(source, value=b"in-%d" % i, partition=0)
    plain.flush(HANG_S)

    # Both internal topics exist and are fully replicated before the ids are placed on them.
    warmup = Producer({"bootstrap.servers": rc.bootstrap, "transactional.id": f"warmup-{uuid.uuid4().hex[:6]}"})
    warmup.init_transactions(HANG_S)
    probe = Consumer({"bootstrap.servers": rc.bootstrap, "group.id": "probe"})
    probe.committed([TopicPartition(source, 0)], timeout=HANG_S)
    probe.close()
    rc.wait_full_isr("__transaction_state", STATE_PARTITIONS, timeout=HANG_S)
    rc.wait_full_isr("__consumer_offsets", OFFSETS_PARTITIONS, timeout=HANG_S)

    # The group coordinator and the transaction coordinator on different brokers, so only the former dies.
    txn_leaders, group_leaders = rc.leaders("__transaction_state"), rc.leaders("__consumer_offsets")
    suffix = next(s for s in (uuid.uuid4().hex[:8] for _ in range(1000))
                  if group_leaders[offsets_partition(f"copier-{s}")] != txn_leaders[state_partition(f"copier-tx-{s}")])
    group, txn_id = f"copier-{suffix}", f"copier-tx-{suffix}"
    group_coordinator = group_leaders[offsets_partition(group)]

    consumer = Consumer({"bootstrap.servers": rc.bootstrap, "group.id": group, "enable.auto.commit": False,
                         "isolation.level": "read_committed"})
    consumer.assign([TopicPartition(source, 0, OFFSET_BEGINNING)])
    producer = Producer({"bootstrap.servers": rc.bootstrap, "transactional.id": txn_id,
                         "transaction.timeout.ms": 120000})
    producer.init_transactions(HANG_S)
    copied: list[bytes] = []
    deadline = time.monotonic() + HANG_S
    while len(copied) < 10 and time.monotonic() < deadline:
        copied.extend(m.value() for m in consumer.consume(num_messages=10, timeout=0.5) if m.error() is None)
    assert len(copied) == 10
    producer.begin_transaction()
    for v in copied:
        producer.produce(sink, value=v.replace(b"in", b"out"), partition=0)
    producer.send_offsets_to_transaction(consumer.position([TopicPartition(source, 0)]),
                                         consumer.consumer_group_metadata(), HANG_S)
    consumer.close()

    victim = rc.broker_by_id(group_coordinator)
    victim.kill9()
    try:
        producer.commit_transaction(HANG_S)
        assert rc.leaders("__consumer_offsets")[offsets_partition(group)] != group_coordinator
        check = Consumer({"bootstrap.servers": rc.bootstrap, "group.id": group})

        def committed() -> int | None:
            # Until the dead coordinator's session expires and a new leader loads the partition, OffsetFetch times
            # out on the client side; a client retries, and so does this test.
            try:
                return check.committed([TopicPartition(source, 0)], timeout=10)[0].offset
            except KafkaException:
                return None

        try:
            # Had the offsets lived only in the dead coordinator's memory, the group would have no offset at all.
            wait_until(lambda: committed() == 10, HANG_S,
                       "the group's committed offset to reach 10 at the new group coordinator")
        finally:
            check.close()
        assert sorted(read_committed(rc.bootstrap, sink, 1, 10)) == sorted(b"out-%d" % i for i in range(10))
    finally:
        rc.restart_after_kill(victim)


INVALID_TXN_STATE = 48
NOT_LEADER_OR_FOLLOWER = 6
COORDINATOR_RETRIABLE = {14, 15, 16}  # COORDINATOR_LOAD_IN_PROGRESS, COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR


def raw_init_producer_id(port: int, txn_id: str) -> tuple[int, int]:
    """InitProducerId v0 with a transactional id at its coordinator -> (producer id, epoch), retrying while it loads."""
    deadline = time.monotonic() + HANG_S
    while True:
        r = Reader(exchange(HOST, port, frame(header_v1(22, 0, 1) + string(txn_id) + i32(60000))))
        r.i32(), r.i32()  # correlation id, throttle
        error, pid, epoch = r.i16(), r.i64(), r.i16()
        if error == 0:
            return pid, epoch
        assert error in COORDINATOR_RETRIABLE and time.monotonic() < deadline, f"InitProducerId error {error}"
        time.sleep(0.2)


def raw_add_partition(port: int, txn_id: str, pid: int, epoch: int, topic: str) -> int:
    """AddPartitionsToTxn v0 of partition 0 (the client flow of librdkafka) -> its error code."""
    body = string(txn_id) + i64(pid) + i16(epoch) + i32(1) + string(topic) + i32(1) + i32(0)
    r = Reader(exchange(HOST, port, frame(header_v1(24, 0, 2) + body)))
    r.i32(), r.i32(), r.i32(), r.string(), r.i32()  # correlation id, throttle, topics, name, partitions
    r.i32()
    return r.i16()


def raw_end_txn(port: int, txn_id: str, pid: int, epoch: int, commit: bool) -> int:
    r = Reader(exchange(HOST, port, frame(header_v1(26, 0, 3) + string(txn_id) + i64(pid) + i16(epoch)
                                          + i8(1 if commit else 0))))
    r.i32(), r.i32()
    return r.i16()


def raw_transactional_produce(port: int, txn_id: str, topic: str, pid: int, epoch: int, sequence: int,
                              value: bytes) -> int:
    """Produce v3, acks=all, of one transactional batch to partition 0 -> its error code."""
    builder = DefaultRecordBatchBuilder(magic=2, compression_type=0, is_transactional=1, producer_id=pid,
                                        producer_epoch=epoch, base_sequence=sequence, batch_size=1 << 20)
    builder.append(0, timestamp=int(time.time() * 1000), key=None, value=value, headers=[])
    batch = bytes(builder.build())
    body = (string(txn_id) + i16(-1) + i32(10000) + i32(1) + string(topic)
            + i32(1) + i32(0) + i32(len(batch)) + batch)
    r = Reader(exchange(HOST, port, frame(header_v1(0, 3, 4) + body)))
    r.i32(), r.i32(), r.string(), r.i32()  # correlation id, topics, name, partitions
    r.i32()
    return r.i16()


def list_latest_committed(port: int, topic: str) -> int:
    """ListOffsets v2 latest with read_committed: the partition's last stable offset."""
    body = i32(-1) + i8(1) + i32(1) + string(topic) + i32(1) + i32(0) + i64(-1)
    r = Reader(exchange(HOST, port, frame(header_v1(2, 2, 5) + body)))
    r.i32(), r.i32(), r.i32(), r.string(), r.i32()  # correlation id, throttle, topics, name, partitions
    r.i32()
    error, _, offset = r.i16(), r.i64(), r.i64()
    assert error == 0, f"ListOffsets error {error}"
    return offset


def test_a_transactional_write_to_a_partition_outside_the_transaction_is_refused_by_its_leader(txn_cluster):
    rc = txn_cluster
    topic = "txn-verification"
    create_topic(rc.bootstrap, topic, partitions=1, replication=3)
    rc.wait_full_isr(topic, 1, timeout=HANG_S)
    rc.wait_full_isr("__transaction_state", STATE_PARTITIONS, timeout=HANG_S)
    # The leader has to ask another broker: the AddPartitionsToTxn v4 verifyOnly path between brokers.
    leader_id = rc.leaders(topic)[0]
    txn_leaders = rc.leaders("__transaction_state")
    txn_id = next(t for t in (f"verify-{uuid.uuid4().hex[:8]}" for _ in range(1000))
                  if txn_leaders[state_partition(t)] != leader_id)
    leader = rc.broker_by_id(leader_id).port
    coordinator = rc.broker_by_id(txn_leaders[state_partition(txn_id)]).port
    pid, epoch = raw_init_producer_id(coordinator, txn_id)

    # A follower answers NOT_LEADER_OR_FOLLOWER at once, without asking the coordinator (its append would fail so).
    follower = rc.broker_by_id(next(i for i in (1, 2, 3) if i != leader_id)).port
    assert raw_transactional_produce(follower, txn_id, topic, pid, epoch, 0, b"follower") == NOT_LEADER_OR_FOLLOWER
    # Never added to a transaction: the leader refuses, nothing reaches the log.
    assert raw_transactional_produce(leader, txn_id, topic, pid, epoch, 0, b"stray") == INVALID_TXN_STATE
    # Added (the flow every client of today follows): accepted, and later batches need no new check.
    assert raw_add_partition(coordinator, txn_id, pid, epoch, topic) == 0
    assert raw_transactional_produce(leader, txn_id, topic, pid, epoch, 0, b"in-1") == 0
    assert raw_transactional_produce(leader, txn_id, topic, pid, epoch, 1, b"in-2") == 0
    assert raw_end_txn(coordinator, txn_id, pid, epoch, commit=True) == 0
    wait_until(lambda: list_latest_committed(leader, topic) == 3, HANG_S, "the COMMIT marker to be stable")

    # A late write of the same producer after the commit would open a transaction no coordinator knows.
    assert raw_transactional_produce(leader, txn_id, topic, pid, epoch, 2, b"late") == INVALID_TXN_STATE
    assert list_latest_committed(leader, topic) == 3
    assert sorted(read_committed(rc.bootstrap, topic, 1, 2)) == [b"in-1", b"in-2"]

    # A real client's transaction on the same partition still commits.
    producer = Producer({"bootstrap.servers": rc.bootstrap, "transactional.id": txn_id})
    producer.init_transactions(HANG_S)
    producer.begin_transaction()
    producer.produce(topic, value=b"client", partition=0)
    producer.commit_transaction(HANG_S)
    assert sorted(read_committed(rc.bootstrap, topic, 1, 3)) == [b"client", b"in-1", b"in-2"]
