"""Authorization as Kafka's AclAuthorizer does it in ZooKeeper mode, proven with real clients.

Three brokers share one ZooKeeper chroot with `authorizer.class.name=kafka.security.authorizer.AclAuthorizer`.
Every connection is PLAINTEXT, so every client (and every broker talking to another) is `User:ANONYMOUS`, as in
Kafka: the inter-broker requests need Cluster ClusterAction, which the module grants straight into ZooKeeper with
`needletail acls --authorizer-properties zookeeper.connect=…` before any broker starts. The module also grants
Cluster Alter (to manage ACLs through the brokers), Create on the topic prefixes `authz-`, `hidden-` and `spread-`,
and Describe on `authz-`; every test then adds and removes the topic and group ACLs it is about, and asserts the
error codes Kafka's clients see.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

import kafka_wire
from conftest import HOST, NEEDLETAIL_BIN, create_topic, run_kcat, wait_until

pytestmark = pytest.mark.needletail_only

HANG_S = 60.0  # means "hung", never a performance expectation
ANON = "User:ANONYMOUS"
TOPIC_AUTHZ_FAILED = 29
GROUP_AUTHZ_FAILED = 30


def acls(*args: str, timeout: float = 60) -> str:
    out = subprocess.run([str(NEEDLETAIL_BIN), "acls", *args], capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, f"needletail acls {' '.join(args)} failed: {out.stderr}{out.stdout}"
    return out.stdout


@pytest.fixture(scope="module")
def secured(cluster):
    zk = ["--authorizer-properties", f"zookeeper.connect={cluster.zk_connect}"]
    acls(*zk, "--add", "--allow-principal", ANON, "--operation", "ClusterAction", "--operation", "Alter",
         "--cluster")
    acls(*zk, "--add", "--allow-principal", ANON, "--operation", "Create", "--resource-pattern-type", "prefixed",
         "--topic", "authz-", "--topic", "hidden-", "--topic", "spread-")
    acls(*zk, "--add", "--allow-principal", ANON, "--operation", "Describe", "--resource-pattern-type", "prefixed",
         "--topic", "authz-")
    overrides = {"authorizer.class.name": "kafka.security.authorizer.AclAuthorizer",
                 "offsets.topic.num.partitions": "3"}
    for broker_id in (1, 2, 3):
        cluster.broker(broker_id, overrides=overrides, start=False)
    for b in cluster.brokers.values():
        b.start(wait=False)
    for b in cluster.brokers.values():
        b.wait_ready(HANG_S)
    return cluster


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def via(broker, *args: str) -> str:
    return acls("--bootstrap-server", broker.bootstrap, *args)


def change(cluster, *args: str) -> str:
    """Changes ACLs through broker 1, then waits until every broker's cache lists the same ACLs (each follows the
    change notifications on its own; Kafka's brokers converge the same way)."""
    out = via(cluster.brokers[1], *args)
    brokers = list(cluster.brokers.values())
    wait_until(lambda: len({via(b, "--list") for b in brokers}) == 1, HANG_S, "every broker lists the same ACLs")
    return out


def produce_error(bootstrap: str, topic: str) -> KafkaError | None:
    """Produces one message; returns the delivery error (None on success)."""
    errors: list[KafkaError | None] = []
    p = Producer({"bootstrap.servers": bootstrap, "message.timeout.ms": 20000, "retries": 0})
    p.produce(topic, b"v", callback=lambda err, msg: errors.append(err))
    p.flush(HANG_S)
    assert errors, "no delivery report"
    return errors[0]


def consume_error(bootstrap: str, topic: str, group: str, want: int = 1) -> KafkaError | None:
    """Subscribes with a group; returns the first error a poll reports, or None once `want` messages arrived."""
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                  "session.timeout.ms": 10000})
    try:
        c.subscribe([topic])
        got = 0
        deadline = time.monotonic() + HANG_S
        while time.monotonic() < deadline:
            msg = c.poll(0.5)
            if msg is None:
                continue
            if msg.error() is not None:
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                return msg.error()
            got += 1
            if got >= want:
                return None
        raise AssertionError("consumer neither received nor failed")
    finally:
        c.close()


def test_a_producer_needs_topic_write_and_gets_topic_authorization_failed_without_it(secured):
    b1 = secured.brokers[1]
    topic = unique("authz-write-")
    create_topic(secured.bootstrap, topic)
    err = produce_error(secured.bootstrap, topic)
    assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, err
    change(secured, "--add", "--allow-principal", ANON, "--operation", "Write", "--topic", topic)
    wait_until(lambda: produce_error(secured.bootstrap, topic) is None, HANG_S, "produce allowed after Write")


def test_a_consumer_needs_group_read_then_topic_read(secured):
    b1 = secured.brokers[1]
    topic, group = unique("authz-read-"), unique("g-read-")
    create_topic(secured.bootstrap, topic)
    change(secured, "--add", "--allow-principal", ANON, "--operation", "Write", "--topic", topic)
    wait_until(lambda: produce_error(secured.bootstrap, topic) is None, HANG_S, "produce allowed")
    # Topic Read alone: FindCoordinator/JoinGroup refuse the group.
    change(secured, "--add", "--allow-principal", ANON, "--operation", "Read", "--topic", topic)
    err = consume_error(secured.bootstrap, topic, group)
    assert err is not None and err.code() == KafkaError.GROUP_AUTHORIZATION_FAILED, err
    # Group Read granted, topic Read removed (Describe stays, from the module's prefix): the fetch is refused.
    change(secured, "--add", "--allow-principal", ANON, "--operation", "Read", "--group", group)
    change(secured, "--remove", "--force", "--allow-principal", ANON, "--operation", "Read", "--topic", topic)
    err = consume_error(secured.bootstrap, topic, group)
    assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, err
    change(secured, "--add", "--consumer", "--allow-principal", ANON, "--topic", topic, "--group", group)
    assert consume_error(secured.bootstrap, topic, group) is None


def test_metadata_hides_topics_the_principal_cannot_describe(secured):
    b1 = secured.brokers[1]
    hidden, visible = unique("hidden-"), unique("authz-visible-")
    admin = AdminClient({"bootstrap.servers": b1.bootstrap})
    admin.create_topics([NewTopic(hidden, 1, 1)])[hidden].result(timeout=HANG_S)
    create_topic(secured.bootstrap, visible)
    listed = admin.list_topics(timeout=30).topics
    assert visible in listed and hidden not in listed
    # Asked for by name, the hidden topic is TOPIC_AUTHORIZATION_FAILED, not its metadata.
    md = wait_until(lambda: (m := kafka_wire.metadata(HOST, b1.port, [hidden, visible]))["topics"][visible]["error"]
                    == 0 and m, HANG_S, "broker 1 knows the visible topic's leader")
    assert md["topics"][hidden]["error"] == TOPIC_AUTHZ_FAILED and not md["topics"][hidden]["partitions"]
    assert md["topics"][visible]["partitions"]


def test_auto_creation_needs_create_and_is_refused_without_it(secured):
    b1 = secured.brokers[1]
    name = unique("noacl-auto-")
    change(secured, "--add", "--allow-principal", ANON, "--operation", "Describe", "--topic", name)
    md = kafka_wire.metadata(HOST, b1.port, [name])
    assert md["topics"][name]["error"] == TOPIC_AUTHZ_FAILED
    assert name not in kafka_wire.metadata(HOST, b1.port, None)["topics"]
    # Under the module's prefixed Create grant, the same request auto-creates.
    allowed = unique("authz-auto-")
    wait_until(lambda: kafka_wire.metadata(HOST, b1.port, [allowed])["topics"][allowed]["error"] == 0, HANG_S,
               "auto-created topic gets a leader")


def test_prefixed_acls_grant_by_prefix_and_a_deny_beats_them(secured):
    b1 = secured.brokers[1]
    prefix = unique("authz-pfx-") + "-"
    topic, other = prefix + "a", unique("authz-nopfx-")
    create_topic(secured.bootstrap, topic)
    create_topic(secured.bootstrap, other)
    change(secured, "--add", "--allow-principal", ANON, "--operation", "Write", "--resource-pattern-type", "prefixed",
        "--topic", prefix)
    wait_until(lambda: produce_error(secured.bootstrap, topic) is None, HANG_S, "prefixed Write allows")
    err = produce_error(secured.bootstrap, other)
    assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED
    change(secured, "--add", "--deny-principal", ANON, "--operation", "Write", "--topic", topic)
    err = produce_error(secured.bootstrap, topic)
    assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, "DENY must beat ALLOW"
    listing = via(b1, "--list", "--topic", topic, "--resource-pattern-type", "match")
    assert f"ResourcePattern(resourceType=TOPIC, name={prefix}, patternType=PREFIXED)" in listing
    assert f"(principal={ANON}, host=*, operation=WRITE, permissionType=DENY)" in listing


def test_an_acl_written_by_hand_in_kafkas_znode_format_takes_effect(secured):
    from kazoo.client import KazooClient

    topic = unique("authz-hand-")
    create_topic(secured.bootstrap, topic)
    zk = KazooClient(hosts=secured.zk_connect)
    zk.start(timeout=30)
    try:
        data = {"version": 1, "acls": [{"principal": ANON, "permissionType": "Allow", "operation": "Write",
                                        "host": "*"}]}
        zk.create(f"/kafka-acl/Topic/{topic}", json.dumps(data).encode(), makepath=True)
        zk.create("/kafka-acl-changes/acl_changes_", f"Topic:{topic}".encode(), sequence=True, makepath=True)
        # kcat (librdkafka 2.0.2) produces once every broker has picked the notification up.
        wait_until(lambda: run_kcat(["-b", secured.bootstrap, "-P", "-t", topic, "-p", "0", "-X",
                                     "message.timeout.ms=10000"], b"hello\n").returncode == 0,
                   HANG_S, "kcat produce allowed by the hand-written ACL")
        # And the reverse: what the broker writes is Kafka's format.
        via(secured.brokers[1], "--add", "--allow-principal", "User:bob", "--operation", "Read", "--topic", topic)
        stored = json.loads(zk.get(f"/kafka-acl/Topic/{topic}")[0])
        assert stored["version"] == 1
        assert {"principal": "User:bob", "permissionType": "Allow", "operation": "Read", "host": "*"} in stored["acls"]
    finally:
        zk.stop()


def test_kafka_python_and_kcat_see_topic_authorization_failed(secured):
    from kafka import KafkaProducer
    from kafka.errors import TopicAuthorizationFailedError

    topic = unique("authz-clients-")
    create_topic(secured.bootstrap, topic)
    producer = KafkaProducer(bootstrap_servers=secured.bootstrap, max_block_ms=20000, retries=0)
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            producer.send(topic, b"v").get(timeout=30)
    finally:
        producer.close(timeout=5)
    out = run_kcat(["-b", secured.bootstrap, "-P", "-t", topic, "-p", "0", "-X", "message.timeout.ms=10000"],
                   b"x\n")
    assert out.returncode != 0 and b"authorization failed" in out.stderr.lower(), out.stderr


def test_an_acl_removed_on_one_broker_is_enforced_on_all_three(secured):
    b1, b2, b3 = (secured.brokers[i] for i in (1, 2, 3))
    topic = unique("spread-")
    change(secured, "--add", "--allow-principal", ANON, "--operation", "Describe", "--topic", topic)
    create_topic(secured.bootstrap, topic)

    def errors():
        return [kafka_wire.metadata(HOST, b.port, [topic])["topics"][topic]["error"] for b in (b1, b2, b3)]

    wait_until(lambda: errors() == [0, 0, 0], HANG_S, lambda: f"Describe visible everywhere: {errors()}")
    via(b2, "--remove", "--force", "--allow-principal", ANON, "--operation", "Describe", "--topic", topic)
    wait_until(lambda: errors() == [TOPIC_AUTHZ_FAILED] * 3, 10,
               lambda: f"removal enforced on every broker: {errors()}")


def test_acls_list_prints_kafkas_text_and_explain_says_why(secured):
    b1 = secured.brokers[1]
    topic = unique("authz-list-")
    added = change(secured, "--add", "--allow-principal", "User:alice", "--operation", "Read", "--topic", topic)
    header = f"ResourcePattern(resourceType=TOPIC, name={topic}, patternType=LITERAL)"
    assert f"Adding ACLs for resource `{header}`: \n \t(principal=User:alice, host=*, operation=READ, " \
           f"permissionType=ALLOW) \n" in added
    listed = via(b1, "--list", "--topic", topic)
    assert listed == (f"Current ACLs for resource `{header}`: \n "
                      f"\t(principal=User:alice, host=*, operation=READ, permissionType=ALLOW) \n\n")
    allowed = acls("explain", "--bootstrap-server", b1.bootstrap, "--principal", "User:alice", "--operation",
                   "Describe", "--topic", topic)
    assert allowed.startswith("ALLOWED") and "READ implies it" in allowed
    denied = acls("explain", "--bootstrap-server", b1.bootstrap, "--principal", "User:bob", "--operation", "Read",
                  "--topic", topic)
    assert denied.startswith("DENIED")
    assert f"--add --allow-principal User:bob --operation Read --topic {topic}" in denied


def test_followers_replicate_under_the_authorizer_with_cluster_clusteraction(secured):
    # acks=all on a topic with min.insync.replicas=3 completes only when both followers' Fetch requests (replica id
    # set, so they need Cluster ClusterAction) are served.
    b1 = secured.brokers[1]
    topic = unique("authz-replicated-")
    create_topic(secured.bootstrap, topic, replication=3, config={"min.insync.replicas": "3"})
    change(secured, "--add", "--allow-principal", ANON, "--operation", "Write", "--topic", topic)

    delivered: list = []
    p = Producer({"bootstrap.servers": secured.bootstrap, "acks": "all", "message.timeout.ms": 20000})
    deadline = time.monotonic() + HANG_S
    while time.monotonic() < deadline and None not in delivered:
        p.produce(topic, b"replicated", on_delivery=lambda err, msg: delivered.append(err))
        p.flush(30)
    assert None in delivered, f"acks=all produce with three in-sync replicas never succeeded: {delivered}"
