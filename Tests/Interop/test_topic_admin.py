"""Create, describe and delete topics with confluent-kafka's AdminClient and kafka-python's KafkaAdminClient."""

import time

import pytest
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

from conftest import wait_for_leaders

INVALID_NAMES = ["has space", "slash/name", "..", "x" * 250]


def _confluent(broker):
    return AdminClient({"bootstrap.servers": broker.bootstrap})


def _create_error(admin, topic: NewTopic) -> int:
    fut = admin.create_topics([topic], operation_timeout=20, request_timeout=30)[topic.topic]
    with pytest.raises(KafkaException) as err:
        fut.result(timeout=60)
    return err.value.args[0].code()


def _wait_gone(admin, name, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if name not in admin.list_topics(timeout=10).topics:
            return
        time.sleep(0.2)
    raise AssertionError(f"topic {name} still listed {timeout}s after deletion")


def test_confluent_admin_creates_describes_and_deletes_a_topic(broker, topic_name):
    admin = _confluent(broker)
    admin.create_topics([NewTopic(topic_name, 4, 1, config={"retention.ms": "3600000"})],
                        operation_timeout=20)[topic_name].result(timeout=60)
    wait_for_leaders(broker.bootstrap, topic_name, 4)
    md = admin.list_topics(topic=topic_name, timeout=10).topics[topic_name]
    assert sorted(md.partitions) == [0, 1, 2, 3]
    assert all(p.leader == broker.broker_id and p.replicas == [broker.broker_id] for p in md.partitions.values())

    res = ConfigResource(ConfigResource.Type.TOPIC, topic_name)
    configs = admin.describe_configs([res])[res].result(timeout=30)
    assert configs["retention.ms"].value == "3600000"

    admin.delete_topics([topic_name], operation_timeout=20)[topic_name].result(timeout=60)
    _wait_gone(admin, topic_name)


def test_confluent_admin_reports_topic_already_exists(broker, topic_name):
    admin = _confluent(broker)
    admin.create_topics([NewTopic(topic_name, 1, 1)], operation_timeout=20)[topic_name].result(timeout=60)
    assert _create_error(admin, NewTopic(topic_name, 1, 1)) == KafkaError.TOPIC_ALREADY_EXISTS


@pytest.mark.parametrize("name", INVALID_NAMES, ids=["space", "slash", "dotdot", "too-long"])
def test_confluent_admin_rejects_invalid_topic_names(broker, name):
    assert _create_error(_confluent(broker), NewTopic(name, 1, 1)) == KafkaError.TOPIC_EXCEPTION


def test_confluent_admin_rejects_replication_factor_above_broker_count(broker, topic_name):
    assert _create_error(_confluent(broker), NewTopic(topic_name, 1, 3)) == KafkaError.INVALID_REPLICATION_FACTOR


def test_confluent_admin_rejects_zero_partitions(broker, topic_name):
    assert _create_error(_confluent(broker), NewTopic(topic_name, 0, 1)) == KafkaError.INVALID_PARTITIONS


def test_confluent_admin_deleting_an_unknown_topic_reports_unknown_topic(broker, topic_name):
    admin = _confluent(broker)
    fut = admin.delete_topics([topic_name], operation_timeout=20)[topic_name]
    with pytest.raises(KafkaException) as err:
        fut.result(timeout=60)
    assert err.value.args[0].code() == KafkaError.UNKNOWN_TOPIC_OR_PART


def test_kafka_python_admin_creates_describes_and_deletes_a_topic(broker, topic_name):
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=30000)
    try:
        admin.create_topics({topic_name: {"num_partitions": 3, "replication_factor": 1}}, timeout_ms=20000)
        wait_for_leaders(broker.bootstrap, topic_name, 3)
        desc = admin.describe_topics([topic_name])
        assert len(desc) == 1 and desc[0]["name"] == topic_name and desc[0]["error_code"] == 0
        assert sorted(p["partition_index"] for p in desc[0]["partitions"]) == [0, 1, 2]
        assert all(p["leader_id"] == broker.broker_id for p in desc[0]["partitions"])
        assert topic_name in admin.list_topics()
        admin.delete_topics([topic_name], timeout_ms=20000)
        _wait_gone(_confluent(broker), topic_name)
    finally:
        admin.close()


def test_kafka_python_admin_maps_creation_errors_to_exceptions(broker, topic_name):
    from kafka import KafkaAdminClient
    from kafka.errors import InvalidReplicationFactorError, InvalidTopicError, TopicAlreadyExistsError

    admin = KafkaAdminClient(bootstrap_servers=broker.bootstrap, request_timeout_ms=30000)
    try:
        def create(name, partitions=1, replication=1):
            admin.create_topics({name: {"num_partitions": partitions, "replication_factor": replication}},
                                timeout_ms=20000)

        create(topic_name)
        with pytest.raises(TopicAlreadyExistsError):
            create(topic_name)
        with pytest.raises(InvalidReplicationFactorError):
            create(topic_name + "-rf", replication=2)
        with pytest.raises(InvalidTopicError):
            create("bad name")
    finally:
        admin.close()
