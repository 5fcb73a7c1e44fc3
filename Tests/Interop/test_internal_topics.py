"""The internal topic `__consumer_offsets` is created only the coordinator's way (its partition count, replication
factor and compaction), whatever asks for it first: a Metadata request naming it (kcat -L -t, Burrow, monitoring
tools), FindCoordinator, or CreateTopics (refused). Regression for: a Metadata request before any group existed
auto-created it as an ordinary 1-partition topic, and every consumer group then waited for a coordinator forever."""
from __future__ import annotations

import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic
from kafka import KafkaConsumer

import kafka_wire
from conftest import HOST, Cluster, ReplicatedCluster, create_topic, run_kcat, wait_until

OFFSETS = "__consumer_offsets"
PARTITIONS = 10
INVALID_TOPIC_EXCEPTION = 17
INVALID_REPLICATION_FACTOR = 38

pytestmark = pytest.mark.needletail_only


def java_hash(s: str) -> int:
    h = 0
    for ch in s.encode("utf-16-be").decode("utf-16-be"):
        h = (31 * h + ord(ch)) & 0xFFFFFFFF
    return h - (1 << 32) if h >= 1 << 31 else h


def offsets_partition(group: str, partitions: int) -> int:
    h = java_hash(group)
    return (0 if h == -(1 << 31) else abs(h)) % partitions


def groups_on_different_partitions(partitions: int) -> tuple[str, str]:
    first = f"g-{uuid.uuid4().hex[:8]}"
    while True:
        second = f"g-{uuid.uuid4().hex[:8]}"
        if offsets_partition(second, partitions) != offsets_partition(first, partitions):
            return first, second


@pytest.fixture(scope="module")
def fresh_broker(cluster):
    return cluster.broker(1, {"offsets.topic.num.partitions": str(PARTITIONS)})


def offsets_metadata(broker) -> dict:
    return kafka_wire.metadata(HOST, broker.port, [OFFSETS])["topics"].get(OFFSETS) or {}


def test_metadata_for_the_offsets_topic_creates_it_as_the_group_coordinator_would(fresh_broker):
    # kcat asks Metadata for the topic by name before any group exists (Burrow and monitoring tools do the same).
    run_kcat(["-b", fresh_broker.bootstrap, "-L", "-t", OFFSETS, "-m", "5"])
    md = AdminClient({"bootstrap.servers": fresh_broker.bootstrap}).list_topics(topic=OFFSETS, timeout=10)
    assert OFFSETS in md.topics
    wait_until(lambda: len(offsets_metadata(fresh_broker).get("partitions", {})) == PARTITIONS, 30,
               lambda: f"{OFFSETS} with {PARTITIONS} partitions: {offsets_metadata(fresh_broker)}")
    topic = offsets_metadata(fresh_broker)
    assert topic["error"] == 0 and topic["internal"] is True
    admin = AdminClient({"bootstrap.servers": fresh_broker.bootstrap})
    resource = ConfigResource(ConfigResource.Type.TOPIC, OFFSETS)
    configs = admin.describe_configs([resource])[resource].result(timeout=30)
    assert configs["cleanup.policy"].value == "compact"
    assert configs["compression.type"].value == "producer"


def test_groups_of_two_clients_on_different_offsets_partitions_consume_and_commit(fresh_broker, topic_name):
    create_topic(fresh_broker.bootstrap, topic_name, partitions=1)
    p = Producer({"bootstrap.servers": fresh_broker.bootstrap})
    for i in range(20):
        p.produce(topic_name, value=b"v%d" % i)
    p.flush(30)
    group_a, group_b = groups_on_different_partitions(PARTITIONS)

    c = Consumer({"bootstrap.servers": fresh_broker.bootstrap, "group.id": group_a,
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic_name])
    seen = 0
    deadline = time.monotonic() + 60
    while seen < 20 and time.monotonic() < deadline:
        m = c.poll(1.0)
        if m is not None and m.error() is None:
            seen += 1
    assert seen == 20
    c.commit(asynchronous=False)
    assert c.committed([TopicPartition(topic_name, 0)], timeout=10)[0].offset == 20
    c.close()

    k = KafkaConsumer(topic_name, bootstrap_servers=fresh_broker.bootstrap, group_id=group_b,
                      auto_offset_reset="earliest", enable_auto_commit=False, consumer_timeout_ms=20000)
    got = []
    for m in k:
        got.append(m.value)
        if len(got) == 20:
            break
    assert len(got) == 20
    k.commit()
    from kafka import TopicPartition as KTopicPartition
    assert k.committed(KTopicPartition(topic_name, 0)) == 20
    k.close()


def test_create_topics_and_delete_topics_refuse_the_offsets_topic(fresh_broker):
    admin = AdminClient({"bootstrap.servers": fresh_broker.bootstrap})
    f = admin.delete_topics([OFFSETS], operation_timeout=10, request_timeout=20)[OFFSETS]
    with pytest.raises(KafkaException) as deleted:
        f.result(timeout=30)
    assert deleted.value.args[0].code() == INVALID_TOPIC_EXCEPTION
    assert len(offsets_metadata(fresh_broker)["partitions"]) == PARTITIONS


def test_create_topics_cannot_make_the_offsets_topic_with_other_settings(zookeeper):
    # A broker in a chroot of its own, before any group: the topic does not exist yet.
    fresh = Cluster("internal-topics-create", zookeeper)
    b = fresh.broker(1, {"offsets.topic.num.partitions": "4"})
    try:
        admin = AdminClient({"bootstrap.servers": b.bootstrap})
        f = admin.create_topics([NewTopic(OFFSETS, 1, 1)], operation_timeout=10, request_timeout=20)[OFFSETS]
        with pytest.raises(KafkaException) as created:
            f.result(timeout=30)
        assert created.value.args[0].code() == INVALID_TOPIC_EXCEPTION
        # Ordinary auto-creation must not make it either: a Metadata v1 request (always auto-creating) names it.
        wait_until(lambda: len(offsets_metadata(b).get("partitions", {})) == 4, 30,
                   lambda: f"{OFFSETS} with 4 partitions: {offsets_metadata(b)}")
    finally:
        fresh.teardown()


def test_offsets_topic_waits_for_as_many_live_brokers_as_its_replication_factor(zookeeper_ensemble):
    c = ReplicatedCluster("internal-topics-rf", zookeeper_ensemble,
                          overrides={"auto.create.topics.enable": "true"})
    try:
        for broker_id in (1, 2, 3):
            c.broker(broker_id, dict(c.overrides), start=False)
        first = c.brokers[1].start()
        c.wait_registered({1})
        c.wait_for_controller()
        # Metadata (kcat -L -t), FindCoordinator (a consumer group) and confluent-kafka's list_topics all ask.
        run_kcat(["-b", first.bootstrap, "-L", "-t", OFFSETS, "-m", "5"])
        AdminClient({"bootstrap.servers": first.bootstrap}).list_topics(topic=OFFSETS, timeout=10)
        consumer = Consumer({"bootstrap.servers": first.bootstrap, "group.id": "early", "session.timeout.ms": 6000})
        consumer.subscribe(["nothing-yet"])
        consumer.poll(2.0)
        consumer.close()
        answer = kafka_wire.metadata(HOST, first.port, [OFFSETS])["topics"][OFFSETS]
        assert answer["error"] == INVALID_REPLICATION_FACTOR and answer["internal"] is True
        assert OFFSETS not in c.topics()

        c.brokers[2].start(wait=False)
        c.brokers[3].start(wait=False)
        for b in (c.brokers[2], c.brokers[3]):
            b.wait_ready(60)
        c.wait_registered({1, 2, 3})

        def created():
            kafka_wire.metadata(HOST, first.port, [OFFSETS])
            return OFFSETS in c.topics()

        wait_until(created, 60, "the offsets topic created once three brokers are registered", interval=0.5)
        assignment = c.assignment(OFFSETS)
        assert len(assignment) == 6 and all(len(r) == 3 for r in assignment.values())
    finally:
        c.teardown()
