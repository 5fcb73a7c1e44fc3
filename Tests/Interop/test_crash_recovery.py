"""kill -9 in the middle of a produce stream, then restart with the same config."""

import threading
import time

import pytest
from confluent_kafka import Producer

from clients import confluent_consume
from conftest import create_topic
from kafka_log import read_batches, segment_logs

pytestmark = pytest.mark.needletail_only

TOTAL = 30_000
KILL_AFTER_ACKS = 4_000


def test_kill_9_mid_produce_keeps_every_acknowledged_message_exactly_once(broker):
    topic = "crash"
    create_topic(broker.bootstrap, topic, partitions=2)
    producer = Producer({"bootstrap.servers": broker.bootstrap, "enable.idempotence": True, "acks": "all",
                         "linger.ms": 2, "message.timeout.ms": 120000, "retry.backoff.ms": 200,
                         "reconnect.backoff.max.ms": 500})
    acked: set[bytes] = set()
    failed: list[str] = []
    lock = threading.Lock()

    def report(err, msg):
        with lock:
            if err is None:
                acked.add(msg.value())
            else:
                failed.append(str(err))

    killed = threading.Event()

    def killer():
        while True:
            with lock:
                if len(acked) >= KILL_AFTER_ACKS:
                    break
            time.sleep(0.01)
        broker.kill9()
        killed.set()
        time.sleep(0.5)
        broker.start()

    t = threading.Thread(target=killer, daemon=True)
    t.start()
    for i in range(TOTAL):
        while True:
            try:
                producer.produce(topic, key=b"k%d" % (i % 50), value=b"m-%06d" % i, on_delivery=report)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
        if i % 1000 == 0:
            time.sleep(0.05)  # keep the stream going long enough to be cut in the middle
    t.join(120)
    assert killed.is_set(), "the broker was never killed"
    assert producer.flush(180) == 0
    with lock:
        acked_now = set(acked)
    assert len(acked_now) >= KILL_AFTER_ACKS

    got = confluent_consume(broker.bootstrap, topic, [0, 1], len(acked_now), timeout=180)
    values = [m.value for m in got]
    counts: dict[bytes, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    missing = acked_now - counts.keys()
    dupes = [v for v, n in counts.items() if n > 1]
    assert not missing, f"{len(missing)} acknowledged messages lost, e.g. {sorted(missing)[:3]}"
    assert not dupes, f"{len(dupes)} messages stored twice, e.g. {dupes[:3]}"

    for p in range(2):
        for seg in segment_logs(broker.log_dir, topic, p):
            batches, leftover = read_batches(seg)
            assert leftover == 0, f"{seg} ends {leftover} bytes past its last whole batch"
            assert all(b.crc_ok and b.magic == 2 for b in batches), f"{seg} holds a corrupt batch"
            offsets = [(b.base_offset, b.last_offset) for b in batches]
            assert all(a[1] < b[0] for a, b in zip(offsets, offsets[1:])), f"{seg} offsets overlap"


def test_restart_after_kill_9_leaves_a_log_that_ends_on_a_batch_boundary(broker):
    broker.kill9()
    broker.start()
    broker.stop()
    for log in sorted(broker.log_dir.glob("*/*.log")):
        batches, leftover = read_batches(log)
        assert leftover == 0, f"{log} ends {leftover} bytes past its last whole batch"
        assert all(b.crc_ok for b in batches)
    broker.start()
