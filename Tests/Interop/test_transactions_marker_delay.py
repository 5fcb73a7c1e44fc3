"""The KAFKA-17754 scenario with real network delay: the transaction coordinator's WriteTxnMarkers are held by
`tools/capture-proxy` (1.5 s each) while the producer already runs its next transaction.

The broker advertises the proxy's port, so clients and the coordinator's own marker connection go through it, and
only WriteTxnMarkers is slowed. EndTxn is answered once PrepareCommit/PrepareAbort is in `__transaction_state`, so
the producer starts the next transaction while the previous one's markers are still on their way:

- v0-era flow (confluent-kafka / librdkafka, KIP-890 part 1): the next transaction's AddPartitionsToTxn gets
  CONCURRENT_TRANSACTIONS until the markers are written, which librdkafka retries;
- transaction version 2 (raw frames: no client here speaks it): the next transaction's Produce v12 implicit add is
  answered NOT_ENOUGH_REPLICAS, retried, until the markers are written.

A read_committed reader then sees exactly the committed transactions, each whole and in order (no aborted read, no
torn transaction), and read_uncommitted sees every record.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, Producer, TopicPartition

from conftest import HOST, ROOT, create_topic, free_port, kafka_wire
from test_transactions_v2 import batch, end_txn_v5, init_producer_id, produce_v12

pytestmark = pytest.mark.needletail_only

MARKER_DELAY_MS = 1500


@pytest.fixture(scope="module")
def delayed_broker(cluster, tmp_path_factory):
    b = cluster.broker(1, overrides={
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "transaction.version": "2",
    }, start=False)
    proxy_port = free_port()
    b.props["advertised.listeners"] = f"PLAINTEXT://{HOST}:{proxy_port}"
    out = tmp_path_factory.mktemp("marker-delay-capture")
    proxy = subprocess.Popen([sys.executable, str(ROOT / "tools" / "capture-proxy"), "--listen", str(proxy_port),
                              "--upstream", f"{HOST}:{b.port}", "--out", str(out),
                              "--delay", f"27:{MARKER_DELAY_MS}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while not kafka_wire.port_open(HOST, proxy_port):
            assert time.monotonic() < deadline and proxy.poll() is None, "capture-proxy did not start"
            time.sleep(0.05)
        b.start()
        b.proxy_port, b.capture = proxy_port, out
        yield b
    finally:
        proxy.terminate()
        proxy.wait(10)


def fresh(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def read_all(bootstrap: str, topic: str, partitions: int, isolation: str) -> list[bytes]:
    c = Consumer({"bootstrap.servers": bootstrap, "group.id": fresh("reader"), "enable.auto.commit": False,
                  "isolation.level": isolation, "enable.partition.eof": True})
    try:
        c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions)])
        values: list[bytes] = []
        done: set[int] = set()
        deadline = time.monotonic() + 60
        while len(done) < partitions and time.monotonic() < deadline:
            for msg in c.consume(num_messages=1000, timeout=0.5):
                if msg.error() is not None:
                    if msg.error().code() == -191:  # _PARTITION_EOF
                        done.add(msg.partition())
                        continue
                    raise AssertionError(f"consume error: {msg.error()}")
                done.discard(msg.partition())
                values.append(msg.value())
        assert len(done) == partitions, f"did not reach the end of {topic}"
        return values
    finally:
        c.close()


def markers_delayed(capture) -> int:
    """How many WriteTxnMarkers requests passed (and were held by) the proxy."""
    with open(capture / "frames.jsonl", encoding="utf-8") as f:
        return sum(1 for line in f if '"api_key": 27' in line and '"dir": "request"' in line)


def test_delayed_markers_leave_no_aborted_read_and_no_torn_transaction_in_the_v0_flow(delayed_broker):
    bootstrap = f"{HOST}:{delayed_broker.proxy_port}"
    topic, txn_id = fresh("marker-delay"), fresh("marker-delay-tx")
    create_topic(bootstrap, topic, partitions=2)
    p = Producer({"bootstrap.servers": bootstrap, "transactional.id": txn_id, "linger.ms": 5})
    p.init_transactions(30)
    committed: list[list[bytes]] = []
    everything: list[bytes] = []
    for t in range(6):
        # Each begin follows the previous EndTxn at once: its markers are still held by the proxy.
        p.begin_transaction()
        values = [f"t{t}-{i}".encode() for i in range(6)]
        for i, v in enumerate(values):
            p.produce(topic, v, partition=i % 2)
        everything += values
        p.flush(30)  # in the log before EndTxn, so that an abort has records to hide
        if t % 2 == 0:
            p.commit_transaction(60)
            committed.append(values)
        else:
            p.abort_transaction(60)
    # One WriteTxnMarkers per transaction (both partitions have the one leader); the last may still be held.
    assert markers_delayed(delayed_broker.capture) >= 5

    seen = read_all(bootstrap, topic, 2, "read_committed")
    assert sorted(seen) == sorted(v for values in committed for v in values)  # no aborted read, nothing lost
    for values in committed:  # whole transactions, in order within each partition
        for part in (0, 1):
            mine = [v for v in seen if v in values[part::2]]
            assert mine == values[part::2]
    assert sorted(read_all(bootstrap, topic, 2, "read_uncommitted")) == sorted(everything)


def test_delayed_markers_with_transaction_version_2_fence_nothing_and_lose_nothing(delayed_broker):
    port, bootstrap = delayed_broker.proxy_port, f"{HOST}:{delayed_broker.proxy_port}"
    topic, txn_id = fresh("marker-delay-v2"), fresh("marker-delay-v2-tx")
    create_topic(bootstrap, topic, partitions=1)
    pid, epoch = init_producer_id(port, txn_id)
    expected: list[bytes] = []
    retried = 0
    for t in range(4):
        values = [f"v2-t{t}-{i}".encode() for i in range(3)]
        deadline = time.monotonic() + 30
        # The first produce of a transaction adds the partition; while the previous markers are held, the
        # coordinator is still in Prepare and the leader answers NOT_ENOUGH_REPLICAS (19), which a producer retries.
        while (error := produce_v12(port, txn_id, topic, batch(pid, epoch, 0, values))) == 19:
            assert time.monotonic() < deadline
            retried += 1
            time.sleep(0.1)
        assert error == 0
        error, pid, next_epoch = end_txn_v5(port, txn_id, pid, epoch, commit=t % 2 == 0)
        assert error == 0 and next_epoch == epoch + 1
        if t % 2 == 0:
            expected += values
        epoch = next_epoch
    assert retried > 0  # the next transaction did wait for the delayed markers
    assert read_all(bootstrap, topic, 1, "read_committed") == expected
