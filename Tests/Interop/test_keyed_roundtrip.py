"""10,000 keyed messages with headers: produced by confluent-kafka, read back byte-exact by every other client."""

import random
import zlib

import pytest

from clients import aiokafka_consume, by_partition, confluent_produce, kafka_python_consume, kcat_consume
from conftest import create_topic

COUNT = 10_000
PARTITIONS = 3


@pytest.fixture(scope="module")
def produced(broker):
    topic = "roundtrip-keyed"
    create_topic(broker.bootstrap, topic, partitions=PARTITIONS)
    rng = random.Random(42)
    messages = []
    for i in range(COUNT):
        key = f"key-{i % 700}".encode()
        value = bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300)))
        headers = [("seq", str(i).encode()), ("origin", b"confluent-kafka")]
        messages.append((key, value, headers))
    acked = confluent_produce(broker.bootstrap, topic, messages)
    assert len(acked) == COUNT
    return topic, acked


def _expected(acked):
    return by_partition(acked)


def test_confluent_kafka_acks_every_message_with_dense_offsets_per_partition(produced):
    _, acked = produced
    for partition, rows in by_partition(acked).items():
        assert [r[0] for r in rows] == list(range(len(rows))), f"partition {partition} offsets not dense"


def test_each_key_maps_to_one_partition_by_librdkafka_consistent_hash(produced):
    _, acked = produced
    seen = {}
    for m in acked:
        assert seen.setdefault(m.key, m.partition) == m.partition
        assert m.partition == zlib.crc32(m.key) % PARTITIONS


def test_messages_within_a_partition_keep_produce_order(produced):
    _, acked = produced
    for rows in by_partition(acked).values():
        seqs = [int(dict(r[3])["seq"]) for r in rows]
        assert seqs == sorted(seqs)


def test_kafka_python_reads_every_message_byte_exact_via_manual_assign(broker, produced):
    topic, acked = produced
    got = kafka_python_consume(broker.bootstrap, topic, list(range(PARTITIONS)), COUNT)
    assert len(got) == COUNT
    assert by_partition(got) == _expected(acked)


def test_aiokafka_reads_every_message_byte_exact_via_manual_assign(broker, produced):
    topic, acked = produced
    got = aiokafka_consume(broker.bootstrap, topic, list(range(PARTITIONS)), COUNT)
    assert len(got) == COUNT
    assert by_partition(got) == _expected(acked)


@pytest.mark.kcat
def test_kcat_reads_every_message_byte_exact(broker, produced):
    topic, acked = produced
    got = kcat_consume(broker.bootstrap, topic)
    assert len(got) == COUNT
    assert by_partition(got) == _expected(acked)
