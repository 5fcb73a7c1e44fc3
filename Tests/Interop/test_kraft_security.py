"""SCRAM users, ACLs and client quotas on a single KRaft node, as a Kafka 3.9 KRaft user sets them up.

One combined node (no ZooKeeper) with a SASL_PLAINTEXT client listener (PLAIN for the `admin` super user from the
listener's JAAS config, SCRAM for users created at runtime) and a PLAINTEXT controller listener, with
`authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer`. Every write goes through the
tools a Kafka user runs (`configs`, `acls`, kafka-python's admin client); the node's controller writes them as
metadata records, and the broker serves logins, authorization and quotas from its metadata image. The last test
restarts the node and finds everything again, and reads the records back with `dump-log`.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

import pytest
from confluent_kafka import KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from conftest import HOST, TMP_ROOT, free_port, wait_until
from test_kraft_cluster import NODES, KRaftCluster
from test_kraft_single_node import KRaftNode, needletail

pytestmark = pytest.mark.needletail_only

HANG_S = 60.0  # means "hung", never a performance expectation
ADMIN = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "PLAIN", "sasl.username": "admin",
         "sasl.password": "admin-secret"}
ALICE = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "SCRAM-SHA-512", "sasl.username": "alice",
         "sasl.password": "alice-secret"}


class SecuredKRaftNode(KRaftNode):
    def __init__(self, directory: Path):
        super().__init__(directory)
        jaas = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" '
                'password="admin-secret" user_admin="admin-secret";')
        self.config.write_text(
            "process.roles=broker,controller\n"
            "node.id=1\n"
            f"controller.quorum.voters=1@{HOST}:{self.controller_port}\n"
            f"listeners=SASL_PLAINTEXT://{HOST}:{self.port},CONTROLLER://{HOST}:{self.controller_port}\n"
            f"advertised.listeners=SASL_PLAINTEXT://{HOST}:{self.port}\n"
            "listener.security.protocol.map=SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT\n"
            "inter.broker.listener.name=SASL_PLAINTEXT\n"
            "sasl.mechanism.inter.broker.protocol=PLAIN\n"
            "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512\n"
            f"listener.name.sasl_plaintext.plain.sasl.jaas.config={jaas}\n"
            "controller.listener.names=CONTROLLER\n"
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n"
            # The controller listener is PLAINTEXT, so forwarded admin writes arrive as User:ANONYMOUS, which
            # Kafka's KRaft docs also name a super user in this layout.
            "super.users=User:admin;User:ANONYMOUS\n"
            f"log.dirs={directory}/data\n"
            "offsets.topic.replication.factor=1\n"
            "offsets.topic.num.partitions=1\n"
            "transaction.state.log.replication.factor=1\n"
            "transaction.state.log.min.isr=1\n"
            "transaction.state.log.num.partitions=1\n"
            "group.initial.rebalance.delay.ms=0\n")
        self.admin_properties = directory / "admin.properties"
        self.admin_properties.write_text(
            "security.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n"
            'sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required '
            'username="admin" password="admin-secret";\n')

    def is_ready(self) -> bool:
        assert self.process.poll() is None, f"the node exited: {self.tail()}"
        try:
            md = AdminClient({"bootstrap.servers": self.bootstrap, **ADMIN}).list_topics(timeout=2)
        except Exception:
            return False
        return 1 in md.brokers

    def cli(self, tool: str, *args: str) -> str:
        out = needletail(tool, "--bootstrap-server", self.bootstrap, "--command-config", str(self.admin_properties),
                         *args, timeout=120)
        assert out.returncode == 0, f"{tool} {' '.join(args)} failed: {out.stderr}{out.stdout}"
        return out.stdout


@pytest.fixture(scope="module")
def node():
    d = Path(tempfile.mkdtemp(prefix="kraft-security-", dir=TMP_ROOT))
    n = SecuredKRaftNode(d)
    n.format()
    n.start()
    yield n
    n.stop()
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def topic(node) -> str:
    name = f"secured-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": node.bootstrap, **ADMIN})
    admin.create_topics([NewTopic(name, 1, 1)])[name].result(30)
    return name


def logs_in(node, conf: dict) -> bool:
    try:
        AdminClient({"bootstrap.servers": node.bootstrap, **conf}).list_topics(timeout=5)
        return True
    except Exception:
        return False


def produce_error(node, conf: dict, topic: str, partition: int = 0, bootstrap: str | None = None) -> KafkaError | None:
    errors: list[KafkaError | None] = []
    p = Producer({"bootstrap.servers": bootstrap or node.bootstrap, **conf, "message.timeout.ms": 20000,
                  "retries": 0})
    p.produce(topic, b"v", partition=partition, callback=lambda err, msg: errors.append(err))
    p.flush(HANG_S)
    assert errors, "no delivery report"
    return errors[0]


def test_a_scram_user_created_with_configs_logs_in_with_confluent_kafka(node):
    assert not logs_in(node, ALICE)
    out = node.cli("configs", "--alter", "--add-config", "SCRAM-SHA-512=[password=alice-secret]",
                   "--entity-type", "users", "--entity-name", "alice")
    assert out.strip() == "Completed updating config for user alice."
    described = node.cli("configs", "--describe", "--entity-type", "users", "--entity-name", "alice")
    assert "SCRAM credential configs for user-principal 'alice' are SCRAM-SHA-512=iterations=4096" in described
    # The write returns once this node's image holds the credential, so the first login works.
    assert logs_in(node, ALICE)
    assert not logs_in(node, {**ALICE, "sasl.password": "wrong"})


def test_a_produce_is_denied_until_an_acl_allows_it_and_kafka_python_manages_acls_too(node, topic):
    err = produce_error(node, ALICE, topic)
    assert err is not None and err.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, err
    node.cli("acls", "--add", "--allow-principal", "User:alice", "--operation", "Write", "--topic", topic)
    assert produce_error(node, ALICE, topic) is None

    from kafka import KafkaAdminClient
    from kafka.admin import ACL, ACLFilter, ACLOperation, ACLPermissionType, ResourcePattern, ResourceType
    admin = KafkaAdminClient(bootstrap_servers=node.bootstrap, security_protocol="SASL_PLAINTEXT",
                             sasl_mechanism="PLAIN", sasl_plain_username="admin", sasl_plain_password="admin-secret")
    try:
        bob = ACL(principal="User:bob", host="*", operation=ACLOperation.READ,
                  permission_type=ACLPermissionType.ALLOW, resource_pattern=ResourcePattern(ResourceType.TOPIC, topic))
        created = admin.create_acls([bob])
        assert created["succeeded"] and not created["failed"], created
        acls, error = admin.describe_acls(ACLFilter(principal=None, host="*", operation=ACLOperation.ANY,
                                                    permission_type=ACLPermissionType.ANY,
                                                    resource_pattern=ResourcePattern(ResourceType.TOPIC, topic)))
        assert {(a.principal, a.operation) for a in acls} == {("User:alice", ACLOperation.WRITE),
                                                              ("User:bob", ACLOperation.READ)}
    finally:
        admin.close()
    listed = node.cli("acls", "--list", "--topic", topic)
    assert "principal=User:alice" in listed and "operation=WRITE" in listed and "principal=User:bob" in listed
    node.cli("acls", "--remove", "--force", "--allow-principal", "User:bob", "--operation", "Read", "--topic", topic)
    assert "User:bob" not in node.cli("acls", "--list", "--topic", topic)


def test_a_user_quota_set_with_configs_throttles_the_producer(node, topic):
    node.cli("configs", "--alter", "--add-config", "producer_byte_rate=1024", "--entity-type", "users",
             "--entity-name", "alice")
    described = node.cli("configs", "--describe", "--entity-type", "users", "--entity-name", "alice")
    assert "producer_byte_rate=1024.0" in described, described
    import json
    throttles: list[int] = []

    def stats(text: str) -> None:
        for b in json.loads(text).get("brokers", {}).values():
            throttles.append(b.get("throttle", {}).get("max", 0))

    p = Producer({"bootstrap.servers": node.bootstrap, **ALICE, "linger.ms": 0, "statistics.interval.ms": 200,
                  "stats_cb": stats})
    for _ in range(10):
        p.produce(topic, b"x" * 20_000)
        p.poll(0)
    assert p.flush(HANG_S) == 0
    wait_until(lambda: p.poll(0.3) is not None or any(t > 0 for t in throttles), HANG_S,
               "throttle_time_ms reported to the producer")


def test_a_restarted_node_keeps_users_acls_and_quotas_and_dump_log_prints_their_records(node, topic):
    node.stop()
    node.start()
    assert logs_in(node, ALICE)
    assert produce_error(node, ALICE, topic) is None
    assert "principal=User:alice" in node.cli("acls", "--list", "--topic", topic)
    described = node.cli("configs", "--describe", "--entity-type", "users", "--entity-name", "alice")
    assert "producer_byte_rate=1024.0" in described and "SCRAM-SHA-512=iterations=4096" in described
    log = node.directory / "data" / "__cluster_metadata-0" / "00000000000000000000.log"
    out = needletail("dump-log", "--cluster-metadata-decoder", "--files", str(log))
    assert out.returncode == 0, out.stderr
    for record in ("USER_SCRAM_CREDENTIAL_RECORD", "ACCESS_CONTROL_ENTRY_RECORD",
                   "REMOVE_ACCESS_CONTROL_ENTRY_RECORD", "CLIENT_QUOTA_RECORD"):
        assert f'"type":"{record}"' in out.stdout, record


# --------------------------------------------------------------------------------------------------------------
# Three combined nodes: writes sent to a node whose controller is not the active one are forwarded to it, and every
# node's image (so its logins, authorizer and quotas) shows them.


@pytest.fixture(scope="module")
def secured_cluster():
    d = Path(tempfile.mkdtemp(prefix="kraft-security-cluster-", dir=TMP_ROOT))
    c = KRaftCluster(d)
    voters = ",".join(f"{n}@{HOST}:{p}" for n, p in c.controller_ports.items())
    jaas = ('org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" '
            'password="admin-secret" user_admin="admin-secret";')
    c.sasl_ports = {n: free_port() for n in NODES}
    for n in NODES:
        # Brokers talk PLAINTEXT (User:ANONYMOUS, allowed while no ACL names the cluster); clients log in on the
        # SASL_PLAINTEXT listener.
        c.configs[n].write_text(
            f"process.roles=broker,controller\nnode.id={n}\ncontroller.quorum.voters={voters}\n"
            f"listeners=PLAINTEXT://{HOST}:{c.broker_ports[n]},SASL_PLAINTEXT://{HOST}:{c.sasl_ports[n]},"
            f"CONTROLLER://{HOST}:{c.controller_ports[n]}\n"
            f"advertised.listeners=PLAINTEXT://{HOST}:{c.broker_ports[n]},"
            f"SASL_PLAINTEXT://{HOST}:{c.sasl_ports[n]}\n"
            "listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:PLAINTEXT\n"
            "inter.broker.listener.name=PLAINTEXT\ncontroller.listener.names=CONTROLLER\n"
            "sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256\n"
            f"listener.name.sasl_plaintext.plain.sasl.jaas.config={jaas}\n"
            "authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer\n"
            "allow.everyone.if.no.acl.found=true\nsuper.users=User:admin\n"
            f"log.dirs={d}/data-{n}\ngroup.initial.rebalance.delay.ms=0\n")
    for n in NODES:
        c.start(n)
    wait_until(lambda: c.active_controller(), 60, c.logs)
    yield c
    for n in NODES:
        c.stop(n)
    shutil.rmtree(d, ignore_errors=True)


def test_security_writes_through_a_non_controller_node_take_effect_on_every_node(secured_cluster):
    c = secured_cluster
    controller = wait_until(c.active_controller, 60, c.logs)
    other = next(n for n in NODES if n != controller)

    def cli(*args: str) -> str:
        out = needletail(*args[:1], "--bootstrap-server", c.bootstrap([other]), *args[1:], timeout=120)
        assert out.returncode == 0, f"{' '.join(args)} failed: {out.stderr}{out.stdout}{c.logs()}"
        return out.stdout

    cli("configs", "--alter", "--add-config", "SCRAM-SHA-256=[iterations=8192,password=carol-secret]",
        "--entity-type", "users", "--entity-name", "carol")
    carol = {"security.protocol": "SASL_PLAINTEXT", "sasl.mechanisms": "SCRAM-SHA-256", "sasl.username": "carol",
             "sasl.password": "carol-secret"}
    for n in NODES:
        bootstrap = f"{HOST}:{c.sasl_ports[n]}"

        def carol_logs_in() -> bool:
            try:
                AdminClient({"bootstrap.servers": bootstrap, **carol}).list_topics(timeout=5)
                return True
            except Exception:
                return False

        wait_until(carol_logs_in, HANG_S, f"carol logs in on node {n}")

    topic = f"denied-{uuid.uuid4().hex[:8]}"
    c.create_topic(topic, 3)
    for p in range(3):
        assert produce_error(None, {}, topic, p, c.bootstrap()) is None
    cli("acls", "--add", "--deny-principal", "User:ANONYMOUS", "--operation", "Write", "--topic", topic)
    # The three partitions' leaders are spread over the three nodes; each enforces the DENY from its own image.
    for p in range(3):
        wait_until(lambda: (e := produce_error(None, {}, topic, p, c.bootstrap())) is not None
                   and e.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED, HANG_S, f"partition {p} denied")

    cli("configs", "--alter", "--add-config", "producer_byte_rate=2048", "--entity-type", "clients",
        "--entity-name", "slow-app")
    for n in NODES:
        wait_until(lambda: "producer_byte_rate=2048.0" in needletail(
            "configs", "--bootstrap-server", c.bootstrap([n]), "--describe", "--entity-type", "clients",
            "--entity-name", "slow-app").stdout, HANG_S, f"node {n} describes the quota")
