"""Consumer groups on three brokers: the group coordinator (leader of the group's `__consumer_offsets` partition)
dies and the group carries on at a new coordinator with its committed offsets intact.

Uses conftest's `replicated_cluster` (brokers 1..3 on the session's ZooKeeper ensemble, 6 offsets partitions with
replication factor 3, zookeeper.session.timeout.ms=6000).
"""

from __future__ import annotations

import time

import pytest
from confluent_kafka import Consumer, TopicPartition
from confluent_kafka.admin import AdminClient

from clients import confluent_produce
from conftest import create_topic, record_timing, wait_until

pytestmark = pytest.mark.needletail_only

HANG_S = 60.0  # an upper bound that means "hung", never a performance expectation


@pytest.fixture
def rc(replicated_cluster):
    replicated_cluster.ensure_healthy()
    return replicated_cluster


def coordinator_of(bootstrap: str, group: str) -> int:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    description = admin.describe_consumer_groups([group])[group].result(timeout=HANG_S)
    return description.coordinator.id


def test_killing_the_group_coordinator_keeps_the_group_consuming_with_committed_offsets_intact(rc):
    topic, group, total = "coordinator-failover", "failover-group", 3000
    create_topic(rc.bootstrap, topic, partitions=6, replication=3, config={"min.insync.replicas": "2"})
    rc.wait_full_isr(topic, 6, timeout=HANG_S)
    values = [b"cf-%05d" % i for i in range(total)]
    confluent_produce(rc.bootstrap, topic, [(None, v, None, i % 6) for i, v in enumerate(values)])

    consumer = Consumer({"bootstrap.servers": rc.bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "session.timeout.ms": 10000})
    received: list[bytes] = []
    victim = None
    try:
        consumer.subscribe([topic])
        deadline = time.monotonic() + HANG_S
        while len(received) < total // 2 and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=100, timeout=0.5):
                if msg.error() is None:
                    received.append(msg.value())
        assert len(received) >= total // 2, f"the group consumed only {len(received)} messages"
        consumer.commit(asynchronous=False)
        partitions = [TopicPartition(topic, p) for p in range(6)]
        before = {tp.partition: tp.offset for tp in consumer.committed(partitions, timeout=HANG_S)}
        assert sum(max(o, 0) for o in before.values()) == len(received), (before, len(received))  # -1001: none yet

        coordinator = coordinator_of(rc.bootstrap, group)
        victim = rc.broker_by_id(coordinator)
        t0 = time.monotonic()
        victim.kill9()

        # The committed offsets are read back from the new coordinator (which loaded them from its replica).
        def committed_again():
            try:
                got = consumer.committed(partitions, timeout=5)
            except Exception:  # noqa: BLE001 - coordinator moving: librdkafka reports it as a KafkaException
                return False
            return {tp.partition: tp.offset for tp in got} == before

        wait_until(committed_again, HANG_S, lambda: f"committed offsets {before} at the new coordinator")
        record_timing(f"kill -9 group coordinator (broker {coordinator}) until its offsets answer elsewhere",
                      time.monotonic() - t0)
        new_coordinator = coordinator_of(rc.bootstrap, group)
        assert new_coordinator != coordinator

        # The group carries on: the rest of the topic arrives, and nothing committed comes again.
        deadline = time.monotonic() + HANG_S
        while len(set(received)) < total and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=500, timeout=0.5):
                if msg.error() is None:
                    received.append(msg.value())
        assert set(received) == set(values), f"{total - len(set(received))} messages never arrived"
        consumer.commit(asynchronous=False)
        after = {tp.partition: tp.offset for tp in consumer.committed(partitions, timeout=HANG_S)}
        assert sum(after.values()) == total, after
    finally:
        consumer.close()
        if victim is not None and not victim.running():
            rc.restart_after_kill(victim)
