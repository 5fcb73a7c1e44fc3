"""Old clients: message-set magic 0/1 on Produce v0–v2 is up-converted, Fetch v0–v3 gets down-converted data.

kafka-python pinned to an old `api_version` speaks exactly what Sarama at its default version, kafka-go 0.2 and
Burrow send: magic-1 (0.10) or magic-0 (0.8/0.9) message sets, and Fetch versions that cannot read magic 2.
"""

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from conftest import create_topic


@pytest.mark.parametrize("api_version,codec", [((0, 10, 0), None), ((0, 10, 0), "gzip"), ((0, 9), None),
                                               ((0, 8, 2), None)])
def test_an_old_protocol_client_round_trips_through_up_and_down_conversion(broker, api_version, codec):
    topic = "legacy-%s-%s" % ("".join(map(str, api_version)), codec or "none")
    create_topic(broker.bootstrap, topic, partitions=1)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, api_version=api_version, compression_type=codec)
    for i in range(200):
        producer.send(topic, key=b"k%d" % i, value=b"v%d" % i)
    producer.flush()
    producer.close()

    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, api_version=api_version,
                             auto_offset_reset="earliest", consumer_timeout_ms=5000, enable_auto_commit=False)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.seek_to_beginning(tp)
    got = [(m.offset, m.key, m.value) for m in consumer]
    consumer.close()
    assert got == [(i, b"k%d" % i, b"v%d" % i) for i in range(200)]
