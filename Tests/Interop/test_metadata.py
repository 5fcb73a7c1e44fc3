"""Metadata as each client sees it: one broker, a controller id that is in the broker list, a stable cluster id."""

import asyncio
import json

import pytest

from conftest import BACKEND, run_kcat


@pytest.mark.kcat
def test_kcat_lists_the_broker_and_controller(broker):
    out = run_kcat(["-b", broker.bootstrap, "-L", "-J", "-m", "20"], timeout=60)
    assert out.returncode == 0, out.stderr.decode()
    md = json.loads(out.stdout)
    ids = [b["id"] for b in md["brokers"]]
    assert ids == [broker.broker_id]
    assert md["brokers"][0]["name"] == broker.bootstrap
    assert md["controllerid"] == broker.broker_id


def test_confluent_kafka_metadata_names_broker_controller_and_cluster_id(broker):
    from confluent_kafka.admin import AdminClient

    md = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=20)
    assert list(md.brokers) == [broker.broker_id]
    assert md.brokers[broker.broker_id].port == broker.port
    assert md.controller_id == broker.broker_id
    assert md.cluster_id
    again = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=20)
    assert again.cluster_id == md.cluster_id


def test_kafka_python_admin_describes_the_cluster(broker):
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=20000)
    try:
        desc = admin.describe_cluster()
    finally:
        admin.close()
    assert [b["broker_id"] for b in desc["brokers"]] == [broker.broker_id]
    assert desc["controller_id"] == broker.broker_id
    assert desc["cluster_id"]


def test_kafka_python_consumer_sees_created_topic_partitions(broker, topic_name):
    from conftest import create_topic
    from kafka import KafkaConsumer

    create_topic(broker.bootstrap, topic_name, partitions=3)
    consumer = KafkaConsumer(bootstrap_servers=broker.bootstrap, request_timeout_ms=20000)
    try:
        assert consumer.partitions_for_topic(topic_name) == {0, 1, 2}
    finally:
        consumer.close()


def test_aiokafka_client_reads_brokers_and_topic_partitions(broker, topic_name):
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    from conftest import create_topic

    create_topic(broker.bootstrap, topic_name, partitions=2)

    async def run():
        # A consumer only tracks metadata for topics it uses (aiokafka asks Metadata v5 with an empty topic list,
        # which means "no topics"), so ask through the producer's public partitions_for().
        producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap)
        consumer = AIOKafkaConsumer(bootstrap_servers=broker.bootstrap)
        await producer.start()
        await consumer.start()
        try:
            parts = await producer.partitions_for(topic_name)
            topics = await consumer.topics()
            brokers = consumer._client.cluster.brokers()
            return parts, topics, brokers
        finally:
            await consumer.stop()
            await producer.stop()

    parts, topics, brokers = asyncio.run(run())
    assert parts == {0, 1}
    assert topic_name in topics
    assert [b.nodeId for b in brokers] == [broker.broker_id]


@pytest.mark.needletail_only
def test_cluster_id_matches_the_cluster_id_znode(broker, cluster):
    from confluent_kafka.admin import AdminClient
    from kazoo.client import KazooClient

    md = AdminClient({"bootstrap.servers": broker.bootstrap}).list_topics(timeout=20)
    zk = KazooClient(hosts=cluster.zk_connect)
    zk.start(timeout=20)
    try:
        data, _ = zk.get("/cluster/id")
    finally:
        zk.stop()
        zk.close()
    node = json.loads(data)
    assert node["version"] == "1"
    assert node["id"] == md.cluster_id
    assert len(node["id"]) == 22
