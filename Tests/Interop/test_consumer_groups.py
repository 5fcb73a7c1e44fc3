"""Consumer groups: rebalances, committed offsets across a restart, kafka-python, aiokafka and kcat -G."""

import asyncio
import time
import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from conftest import create_topic, run_kcat

pytestmark = pytest.mark.needletail_only


def produce(bootstrap, topic, partitions, count, start=0):
    p = Producer({"bootstrap.servers": bootstrap})
    for i in range(start, start + count):
        p.produce(topic, value=b"m%d" % i, partition=i % partitions)
    assert p.flush(30) == 0


def consumer(bootstrap, group, **extra):
    conf = {"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
            "enable.auto.commit": False, "session.timeout.ms": 10000}
    conf.update(extra)
    return Consumer(conf)


def drain(c, want, timeout=30):
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < want and time.monotonic() < deadline:
        m = c.poll(0.2)
        if m is not None and m.error() is None:
            got.append(m.value())
    return got


def test_three_confluent_consumers_share_six_partitions_then_two_take_over(broker, topic_name):
    create_topic(broker.bootstrap, topic_name, partitions=6)
    group = "g-" + uuid.uuid4().hex[:8]
    assigned = {}
    consumers = []
    for n in range(3):
        c = consumer(broker.bootstrap, group)
        c.subscribe([topic_name], on_assign=lambda _c, parts, n=n: assigned.__setitem__(n, sorted(p.partition for p in parts)))
        consumers.append(c)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (len(assigned) == 3 and all(len(v) == 2 for v in assigned.values())):
        for c in consumers:
            c.poll(0.1)
    assert sorted(len(v) for v in assigned.values()) == [2, 2, 2], assigned
    assert sorted(sum(assigned.values(), [])) == list(range(6))

    consumers[2].close()
    del assigned[2]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and sorted(assigned[0] + assigned[1]) != list(range(6)):
        for c in consumers[:2]:
            c.poll(0.1)
    assert sorted(assigned[0] + assigned[1]) == list(range(6)), assigned
    for c in consumers[:2]:
        c.close()


def test_committed_offsets_survive_a_restart_without_redelivery(broker, topic_name):
    create_topic(broker.bootstrap, topic_name, partitions=3)
    group = "resume-" + uuid.uuid4().hex[:8]
    produce(broker.bootstrap, topic_name, 3, 30)
    c = consumer(broker.bootstrap, group)
    c.subscribe([topic_name])
    first = drain(c, 30)
    assert len(first) == 30
    c.commit(asynchronous=False)
    committed = c.committed([TopicPartition(topic_name, p) for p in range(3)], timeout=10)
    assert sorted(tp.offset for tp in committed) == [10, 10, 10]
    c.close()

    broker.restart()
    produce(broker.bootstrap, topic_name, 3, 9, start=30)
    c = consumer(broker.bootstrap, group)
    c.subscribe([topic_name])
    second = drain(c, 9)
    extra = drain(c, 1, timeout=2)
    c.close()
    assert sorted(second) == sorted(b"m%d" % i for i in range(30, 39))
    assert extra == []


def test_standalone_commit_with_assign_and_offset_fetch_of_unknown_partitions(broker, topic_name):
    create_topic(broker.bootstrap, topic_name, partitions=2)
    group = "standalone-" + uuid.uuid4().hex[:8]
    c = consumer(broker.bootstrap, group)
    c.assign([TopicPartition(topic_name, 0)])
    c.commit(offsets=[TopicPartition(topic_name, 0, 5)], asynchronous=False)
    got = c.committed([TopicPartition(topic_name, 0), TopicPartition(topic_name, 1)], timeout=10)
    c.close()
    assert [tp.offset for tp in got] == [5, -1001]  # -1001 = librdkafka's "no committed offset"


def test_kafka_python_group_consumes_and_commits(broker, topic_name):
    from kafka import KafkaConsumer, TopicPartition as KTP

    create_topic(broker.bootstrap, topic_name, partitions=2)
    produce(broker.bootstrap, topic_name, 2, 10)
    group = "kp-" + uuid.uuid4().hex[:8]
    c = KafkaConsumer(topic_name, bootstrap_servers=broker.bootstrap, group_id=group, auto_offset_reset="earliest",
                      enable_auto_commit=False, consumer_timeout_ms=15000)
    got = []
    for m in c:
        got.append(m.value)
        if len(got) == 10:
            break
    c.commit()
    assert c.committed(KTP(topic_name, 0)) == 5
    c.close()
    assert len(got) == 10


def test_aiokafka_group_consumes_and_commits(broker, topic_name):
    from aiokafka import AIOKafkaConsumer
    from aiokafka.structs import TopicPartition as ATP

    create_topic(broker.bootstrap, topic_name, partitions=2)
    produce(broker.bootstrap, topic_name, 2, 10)
    group = "aio-" + uuid.uuid4().hex[:8]

    async def run():
        c = AIOKafkaConsumer(topic_name, bootstrap_servers=broker.bootstrap, group_id=group,
                             auto_offset_reset="earliest", enable_auto_commit=False)
        await c.start()
        try:
            got = []
            while len(got) < 10:
                batch = await asyncio.wait_for(c.getmany(timeout_ms=1000), 20)
                for msgs in batch.values():
                    got.extend(m.value for m in msgs)
            await c.commit()
            return got, await c.committed(ATP(topic_name, 1))
        finally:
            await c.stop()

    got, committed = asyncio.run(run())
    assert len(got) == 10
    assert committed == 5


def test_kcat_balanced_consumer_commits(broker, topic_name):
    create_topic(broker.bootstrap, topic_name, partitions=2)
    produce(broker.bootstrap, topic_name, 2, 6)
    group = "kcat-" + uuid.uuid4().hex[:8]
    r = run_kcat(["-b", broker.bootstrap, "-G", group, "-X", "auto.offset.reset=earliest", "-c", "6", "-q",
                  topic_name], timeout=60)
    assert r.returncode == 0, r.stderr
    assert len(r.stdout.splitlines()) == 6
    c = consumer(broker.bootstrap, group)
    deadline = time.monotonic() + 10
    offsets = []
    while time.monotonic() < deadline:
        offsets = [tp.offset for tp in c.committed([TopicPartition(topic_name, p) for p in range(2)], timeout=10)]
        if offsets == [3, 3]:
            break
        time.sleep(0.5)
    c.close()
    assert offsets == [3, 3]


def test_admin_lists_describes_and_deletes_groups(broker, topic_name):
    from confluent_kafka.admin import AdminClient

    create_topic(broker.bootstrap, topic_name, partitions=1)
    group = "adm-" + uuid.uuid4().hex[:8]
    c = consumer(broker.bootstrap, group)
    c.subscribe([topic_name])
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not c.assignment():
        c.poll(0.2)
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})
    listed = admin.list_consumer_groups().result(timeout=20)
    assert group in [g.group_id for g in listed.valid]
    desc = admin.describe_consumer_groups([group])[group].result(timeout=20)
    assert str(desc.state).endswith("STABLE")
    assert len(desc.members) == 1
    assert [tp.partition for tp in desc.members[0].assignment.topic_partitions] == [0]
    c.close()
    unknown = admin.describe_consumer_groups(["nobody-" + group])["nobody-" + group].result(timeout=20)
    assert str(unknown.state).endswith("DEAD")
    admin.delete_consumer_groups([group])[group].result(timeout=20)
    listed = admin.list_consumer_groups().result(timeout=20)
    assert group not in [g.group_id for g in listed.valid]
