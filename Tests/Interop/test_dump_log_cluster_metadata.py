"""`needletail dump-log --cluster-metadata-decoder` prints KRaft metadata record values as Kafka's DumpLogSegments
does. The records are produced as plain values into an ordinary topic by kafka-python, so the segment is one the
broker wrote; the values are Kafka's bytes for a FeatureLevelRecord and a TopicRecord."""

from __future__ import annotations

import base64
import json
import subprocess

import pytest
from kafka import KafkaProducer

from conftest import NEEDLETAIL_BIN, wait_for_leaders

# frame version 1, FeatureLevelRecord (12), v0, "metadata.version", level 20, no tagged fields
FEATURE_LEVEL = bytes.fromhex("010c00") + bytes([17]) + b"metadata.version" + bytes.fromhex("0014 00")
TOPIC_ID = bytes.fromhex("00000000000040008000000000000091")
# frame version 1, TopicRecord (2), v0, "saz", topic id, no tagged fields
TOPIC = bytes.fromhex("010200") + bytes([4]) + b"saz" + TOPIC_ID + b"\x00"


def needletail(*args: str) -> str:
    return subprocess.run([str(NEEDLETAIL_BIN), *args], check=True, capture_output=True, timeout=60).stdout.decode()


@pytest.mark.needletail_only
def test_cluster_metadata_decoder_prints_records_as_kafka_json(broker, topic_name):
    needletail("topics", "--bootstrap-server", broker.bootstrap, "--create", "--topic", topic_name,
               "--partitions", "1")
    wait_for_leaders(broker.bootstrap, topic_name, 1)
    producer = KafkaProducer(bootstrap_servers=broker.bootstrap, acks="all")
    for value in (FEATURE_LEVEL, TOPIC, bytes.fromhex("016300")):
        producer.send(topic_name, value=value).get(timeout=30)
    producer.close()
    segment = broker.log_dir / f"{topic_name}-0" / "00000000000000000000.log"
    out = needletail("dump-log", "--cluster-metadata-decoder", "--files", str(segment)).splitlines()
    records = [line for line in out if line.startswith("| offset: ")]
    assert len(records) == 3
    assert records[0].startswith("| offset: 0 CreateTime: ")
    assert " keySize: -1 valueSize: 23 sequence: " in records[0] and " headerKeys: [] payload: {" in records[0]
    payloads = [line.split(" payload: ", 1)[1] for line in records]
    assert json.loads(payloads[0]) == {
        "type": "FEATURE_LEVEL_RECORD", "version": 0, "data": {"name": "metadata.version", "featureLevel": 20}}
    topic_id = base64.urlsafe_b64encode(TOPIC_ID).rstrip(b"=").decode()
    assert payloads[1] == '{"type":"TOPIC_RECORD","version":0,"data":{"name":"saz","topicId":"' + topic_id + '"}}'
    # An unknown record type (99) is reported and skipped, as Kafka does.
    assert payloads[2].startswith("Error at 2, skipping. ")
