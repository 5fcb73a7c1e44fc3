"""Large values, offsets by timestamp, and earliest/latest offsets as each client asks for them."""

import asyncio

import pytest

from clients import aiokafka_consume, confluent_produce, kafka_python_consume
from conftest import create_topic

BIG = 900 * 1024
T0 = 1_700_000_000_000


def test_900_kb_values_round_trip_through_kafka_python_and_aiokafka(broker):
    topic = "big-values"
    create_topic(broker.bootstrap, topic, partitions=1)
    values = [bytes([i]) * BIG for i in range(1, 7)]
    confluent_produce(broker.bootstrap, topic, [(b"k%d" % i, v, None, 0) for i, v in enumerate(values)],
                      {"message.max.bytes": 1_000_000, "linger.ms": 0})
    for consume in (kafka_python_consume, aiokafka_consume):
        got = consume(broker.bootstrap, topic, [0], len(values))
        assert [m.value for m in sorted(got, key=lambda m: m.offset)] == values, consume.__name__


@pytest.fixture(scope="module")
def timed_topic(broker):
    topic = "timed"
    create_topic(broker.bootstrap, topic, partitions=1)
    confluent_produce(broker.bootstrap, topic,
                      [(None, b"v%d" % i, None, 0, T0 + i * 1000) for i in range(100)], {"linger.ms": 0})
    return topic


def test_kafka_python_offsets_for_times_finds_the_first_offset_at_or_after_a_timestamp(broker, timed_topic):
    from kafka import KafkaConsumer, TopicPartition

    tp = TopicPartition(timed_topic, 0)
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap)
    try:
        found = consumer.offsets_for_times({tp: T0 + 50_500})[tp]
        assert (found.offset, found.timestamp) == (51, T0 + 51_000)
        assert consumer.offsets_for_times({tp: T0})[tp].offset == 0
        assert consumer.offsets_for_times({tp: T0 + 1_000_000})[tp] is None
        assert consumer.beginning_offsets([tp])[tp] == 0
        assert consumer.end_offsets([tp])[tp] == 100
    finally:
        consumer.close()


def test_confluent_kafka_offsets_for_times_and_watermarks(broker, timed_topic):
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "timed-reader"})
    try:
        res = consumer.offsets_for_times([TopicPartition(timed_topic, 0, T0 + 50_500)], timeout=20)
        assert res[0].offset == 51
        res = consumer.offsets_for_times([TopicPartition(timed_topic, 0, T0 + 1_000_000)], timeout=20)
        assert res[0].offset == -1
        assert consumer.get_watermark_offsets(TopicPartition(timed_topic, 0), timeout=20) == (0, 100)
    finally:
        consumer.close()


def test_aiokafka_reads_earliest_latest_and_timestamp_offsets(broker, timed_topic):
    from aiokafka import AIOKafkaConsumer, TopicPartition

    tp = TopicPartition(timed_topic, 0)

    async def run():
        consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap)
        await consumer.start()
        try:
            return (await consumer.beginning_offsets([tp]), await consumer.end_offsets([tp]),
                    await consumer.offsets_for_times({tp: T0 + 99_000}))
        finally:
            await consumer.stop()

    begin, end, times = asyncio.run(run())
    assert begin[tp] == 0 and end[tp] == 100
    assert times[tp].offset == 99 and times[tp].timestamp == T0 + 99_000


def test_earliest_and_latest_of_an_empty_partition_are_zero(broker):
    from kafka import KafkaConsumer, TopicPartition

    create_topic(broker.bootstrap, "empty-offsets", partitions=2)
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap)
    try:
        tps = [TopicPartition("empty-offsets", p) for p in range(2)]
        assert consumer.beginning_offsets(tps) == {tp: 0 for tp in tps}
        assert consumer.end_offsets(tps) == {tp: 0 for tp in tps}
    finally:
        consumer.close()
