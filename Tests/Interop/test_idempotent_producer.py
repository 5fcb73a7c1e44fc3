"""An idempotent confluent-kafka producer: 50,000 sent, exactly 50,000 stored."""

from confluent_kafka import Consumer, TopicPartition

from clients import confluent_consume, confluent_produce
from conftest import BACKEND, create_topic
from kafka_log import read_batches, segment_logs

COUNT = 50_000


def test_idempotent_producer_sends_50000_messages_and_exactly_50000_arrive(broker):
    topic = "idempotent"
    create_topic(broker.bootstrap, topic, partitions=3)
    messages = [(b"k%d" % (i % 97), b"value-%d" % i) for i in range(COUNT)]
    acked = confluent_produce(broker.bootstrap, topic, messages,
                              {"enable.idempotence": True, "linger.ms": 5, "max.in.flight.requests.per.connection": 5},
                              timeout=300)
    assert len(acked) == COUNT

    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": "idem-count"})
    try:
        total = 0
        for p in range(3):
            low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=20)
            total += high - low
    finally:
        consumer.close()
    assert total == COUNT

    got = confluent_consume(broker.bootstrap, topic, [0, 1, 2], COUNT, timeout=180)
    values = [m.value for m in got]
    assert len(values) == COUNT
    assert len(set(values)) == COUNT

    if BACKEND == "needletail":
        for p in range(3):
            for seg in segment_logs(broker.log_dir, topic, p):
                batches, _ = read_batches(seg)
                assert batches and all(b.producer_id >= 0 and b.base_sequence >= 0 for b in batches)
