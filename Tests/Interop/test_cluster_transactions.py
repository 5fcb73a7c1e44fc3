"""Transactions on three brokers, with kill -9 in the middle of transactions:
- the transaction coordinator (leader of the id's `__transaction_state` partition): the producer commits at the new
  coordinator, which loaded the transaction from its replica, and read_committed readers see exactly the committed
  records;
- the group coordinator (leader of the group's `__consumer_offsets` partition) between
  `send_offsets_to_transaction` and the commit: the offsets were written to the log as a transactional batch at once,
  so the new group coordinator rebuilds them from its replica and the COMMIT marker makes them the group's."""

from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

from conftest import ReplicatedCluster, create_topic, record_timing, wait_until

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
