"""Three brokers on a real three-node ZooKeeper ensemble: replication, failover, fencing and admin across brokers.

One cluster per module (conftest `replicated_cluster`: brokers 1..3, zookeeper.session.timeout.ms=6000,
replica.lag.time.max.ms=10000, leader.imbalance.check.interval.seconds=10). Every test starts with
`ensure_healthy()` (all brokers running and registered, a controller elected, earlier tests' topics deleted) and
uses its own topics, so a test can kill, pause or stop brokers freely. Failover timings are recorded with `record_timing` and printed in the
"cluster failover timings" section at the end of the run; the only time assertions are hang bounds (60 s).
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter

import pytest
from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewPartitions

import kafka_wire
from clients import confluent_produce, kafka_python_consume
from conftest import HOST, NEEDLETAIL_BIN, SESSION_TIMEOUT_S, create_topic, record_timing, run_kcat, wait_until
from kafka_log import read_batches, segment_logs

pytestmark = pytest.mark.needletail_only

HANG_S = 60.0  # an upper bound that means "hung", never a performance expectation
NOT_ENOUGH_REPLICAS = 19
RF3 = {"min.insync.replicas": "2"}
ZKCLI = "/usr/share/zookeeper/bin/zkCli.sh"


@pytest.fixture
def rc(replicated_cluster):
    replicated_cluster.ensure_healthy()
    return replicated_cluster


# ---------------------------------------------------------------------------------------------------------------
# Helpers


def idempotent_producer(bootstrap: str, **extra) -> Producer:
    conf = {"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5,
            "message.timeout.ms": 180000, "retry.backoff.ms": 100, "retry.backoff.max.ms": 1000,
            "reconnect.backoff.max.ms": 1000}
    conf.update(extra)
    return Producer(conf)


def most_leaders(rc, topic: str) -> int:
    counts = Counter(leader for leader in rc.leaders(topic).values() if leader >= 0)
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]


def read_partitions(bootstrap: str, topic: str, partitions: list[int], timeout: float = 120) -> dict[int, list]:
    """partition -> [(offset, value)] from the log start up to the high watermark (ListOffsets latest)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"verify-{uuid.uuid4().hex[:8]}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        hw = {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30, cached=False)[1]
              for p in partitions}
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        out: dict[int, list] = {p: [] for p in partitions}
        nxt = {p: 0 for p in partitions}
        deadline = time.monotonic() + timeout
        while any(nxt[p] < hw[p] for p in partitions):
            assert time.monotonic() < deadline, f"read only up to {nxt} of high watermarks {hw} in {timeout}s"
            for msg in consumer.consume(num_messages=5000, timeout=0.5):
                if msg.error() is not None:
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    raise AssertionError(f"consume error: {msg.error()}")
                if msg.offset() < hw[msg.partition()]:
                    out[msg.partition()].append((msg.offset(), msg.value()))
                nxt[msg.partition()] = msg.offset() + 1
        return out
    finally:
        consumer.close()


def high_watermarks(bootstrap: str, topic: str, partitions: list[int]) -> dict[int, int]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"hw-{uuid.uuid4().hex[:8]}"})
    try:
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30, cached=False)[1]
                for p in partitions}
    finally:
        consumer.close()


def low_watermark(bootstrap: str, topic: str, partition: int) -> int | None:
    """ListOffsets earliest from the partition's leader; None while the client cannot get an answer."""
    from confluent_kafka import KafkaException

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"lw-{uuid.uuid4().hex[:8]}"})
    try:
        return consumer.get_watermark_offsets(TopicPartition(topic, partition), timeout=10, cached=False)[0]
    except KafkaException:
        return None
    finally:
        consumer.close()


def replica_bytes(broker, topic: str, partition: int, hw: int) -> tuple[bytes, int, list[tuple[int, int]]]:
    """The raw bytes of every stored batch below `hw` (segments concatenated), the offset they reach, and
    (base offset, length) per batch for diagnostics."""
    out = bytearray()
    end = 0
    index: list[tuple[int, int]] = []
    for seg in segment_logs(broker.log_dir, topic, partition):
        data = seg.read_bytes()
        batches, _ = read_batches(seg)
        for b in batches:
            if b.base_offset >= hw:
                break
            assert b.crc_ok, f"broker {broker.broker_id} {seg.name}: CRC mismatch in batch at offset {b.base_offset}"
            out += data[b.position:b.position + 12 + b.length]
            end = b.last_offset + 1
            index.append((b.base_offset, b.length))
    return bytes(out), end, index


def assert_replicas_identical_below_hw(rc, topic: str, partitions: int) -> None:
    """Every replica's log holds the very same batch bytes below the leader's high watermark."""
    rc.wait_full_isr(topic, partitions, timeout=HANG_S)
    hws = high_watermarks(rc.bootstrap, topic, list(range(partitions)))
    for p, hw in hws.items():
        copies = {b.broker_id: replica_bytes(b, topic, p, hw) for b in rc.brokers.values()}
        for broker_id, (_, end, index) in copies.items():
            assert end == hw, f"{topic}-{p}: broker {broker_id}'s log reaches offset {end}, high watermark {hw}"
        reference_id = min(copies)
        reference = copies[reference_id]
        for broker_id, copy in copies.items():
            if copy[0] != reference[0]:
                first = next((i for i, (a, b) in enumerate(zip(reference[2], copy[2])) if a != b), None)
                raise AssertionError(
                    f"{topic}-{p}: broker {broker_id}'s log differs from broker {reference_id}'s below HW {hw} "
                    f"({len(copy[0])} vs {len(reference[0])} bytes; first differing batch "
                    f"{copy[2][first] if first is not None else '?'} vs "
                    f"{reference[2][first] if first is not None else '?'})")


def leaders_moved_off(rc, topic: str, victim: int, partitions: list[int]):
    leaders = rc.leaders(topic)
    return all(leaders.get(p, -1) not in (-1, victim) for p in partitions)


def raw_produce(broker, topic: str, partition: int, value: bytes, acks: int, timeout_ms: int = 5000,
                socket_timeout: float = 15.0):
    """One Produce v3 request straight to `broker`; returns the partition's error code, or None on no answer."""
    request = kafka_wire.produce_v3(7, topic, partition, kafka_wire.record_batch([value]), acks=acks,
                                    timeout_ms=timeout_ms)
    try:
        response = kafka_wire.exchange(HOST, broker.port, request, timeout=socket_timeout)
    except (OSError, ConnectionError):
        return None
    return kafka_wire.parse_produce_v3(response)[0][2]


# ---------------------------------------------------------------------------------------------------------------
# Scenarios


@pytest.mark.kcat
def test_a_replicated_topic_reaches_full_isr_and_every_broker_serves_the_same_metadata(rc):
    topic = "rf3-metadata"
    t0 = time.monotonic()
    create_topic(rc.bootstrap, topic, partitions=6, replication=3, config=RF3)
    rc.wait_full_isr(topic, 6, timeout=HANG_S)
    record_timing("CreateTopics (6 partitions, RF=3) until every partition has its full ISR", time.monotonic() - t0)

    assignment = rc.assignment(topic)
    assert sorted(assignment) == list(range(6))
    assert all(sorted(r) == [1, 2, 3] for r in assignment.values()), assignment
    # Kafka's rack-unaware assignment: consecutive partitions start on consecutive brokers.
    assert Counter(r[0] for r in assignment.values()) == {1: 2, 2: 2, 3: 2}, assignment

    controller = rc.controller_id()
    expected_brokers = {b.broker_id: (HOST, b.port) for b in rc.brokers.values()}

    def views_agree():
        states = rc.states(topic)
        for b in rc.brokers.values():
            md = rc.metadata_from(b, [topic])
            if {k: v[:2] for k, v in md["brokers"].items()} != expected_brokers or md["controller"] != controller:
                return False
            t = md["topics"].get(topic)
            if t is None or t["error"] != 0 or sorted(t["partitions"]) != list(range(6)):
                return False
            for p, part in t["partitions"].items():
                s = states[p]
                if (part["error"] != 0 or part["leader"] != s["leader"] or part["replicas"] != assignment[p]
                        or sorted(part["isr"]) != sorted(s["isr"])):
                    return False
        return True

    wait_until(views_agree, 30, lambda: {b.broker_id: rc.metadata_from(b, [topic]) for b in rc.brokers.values()})

    # ZooKeeper holds Kafka's JSON, readable by any Kafka tool.
    topic_znode = rc.get_json(f"/brokers/topics/{topic}")
    assert topic_znode["version"] >= 2 and topic_znode["adding_replicas"] == {} \
        and topic_znode["removing_replicas"] == {}, topic_znode
    if topic_znode["version"] >= 3:
        assert len(topic_znode["topic_id"]) == 22
    assert rc.get_json(f"/config/topics/{topic}") == {"version": 1, "config": {"min.insync.replicas": "2"}}
    controller_epoch = int(rc.zk.get("/controller_epoch")[0])
    for p, replicas in assignment.items():
        state = rc.partition_state(topic, p)
        assert state["version"] == 1 and state["leader"] == replicas[0] and state["leader_epoch"] == 0, state
        assert sorted(state["isr"]) == [1, 2, 3] and 1 <= state["controller_epoch"] <= controller_epoch, state
        assert set(state) <= {"version", "leader", "leader_epoch", "controller_epoch", "isr", "leader_recovery_state"}
    ctl = rc.get_json("/controller")
    assert ctl["version"] in (1, 2) and ctl["brokerid"] == controller and ctl["timestamp"].isdigit(), ctl
    for b in rc.brokers.values():
        assert rc.get_json(f"/brokers/ids/{b.broker_id}")["endpoints"] == [f"PLAINTEXT://{b.bootstrap}"]

    if os.path.exists(ZKCLI) and shutil.which("java"):
        server = rc.zk_hosts.split(",")[1]
        out = subprocess.run([ZKCLI, "-server", server, "get", f"{rc.chroot}/brokers/topics/{topic}/partitions/0/state"],
                             capture_output=True, text=True, timeout=60)
        line = next((ln for ln in out.stdout.splitlines() if ln.startswith("{")), None)
        assert line is not None, f"zkCli printed no JSON: {out.stdout[-500:]} {out.stderr[-500:]}"
        assert json.loads(line) == rc.partition_state(topic, 0)

    # kcat (librdkafka 2.0.2) sees the same cluster.
    out = run_kcat(["-b", rc.bootstrap, "-L", "-J", "-t", topic], timeout=60)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    md = json.loads(out.stdout)
    assert sorted(b["id"] for b in md["brokers"]) == [1, 2, 3]
    parts = md["topics"][0]["partitions"]
    assert len(parts) == 6 and all(len(p["replicas"]) == 3 and len(p["isrs"]) == 3 for p in parts), parts


TOTAL = 100_000
KILLS = 5
PARTITIONS = 6


def test_an_idempotent_producer_loses_and_duplicates_nothing_while_leaders_are_killed_and_replicas_stay_identical(rc):
    topic = "kill-leaders"
    create_topic(rc.bootstrap, topic, partitions=PARTITIONS, replication=3, config=RF3)
    rc.wait_full_isr(topic, PARTITIONS, timeout=HANG_S)

    producer = idempotent_producer(rc.bootstrap)
    acked: dict[bytes, tuple[int, int]] = {}  # value -> (partition, offset)
    errors: list[str] = []

    def report(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            acked[msg.value()] = (msg.partition(), msg.offset())

    def produce_range(start: int, stop: int) -> None:
        for i in range(start, stop):
            p = i % PARTITIONS
            value = b"%d:%08d" % (p, i // PARTITIONS)
            while True:
                try:
                    producer.produce(topic, value=value, partition=p, on_delivery=report)
                    break
                except BufferError:
                    producer.poll(0.05)
            producer.poll(0)

    def poll_until(predicate, timeout: float, what):
        return wait_until(lambda: (producer.poll(0.1), predicate())[1], timeout, what, interval=0)

    chunk = TOTAL // (KILLS + 1)
    produce_range(0, chunk)
    for round_no in range(KILLS):
        start = round_no * chunk
        # Kill while part of the chunk is still unacknowledged: those batches are retried on the new leader.
        poll_until(lambda: len(acked) >= start + chunk // 2, HANG_S * 2,
                   lambda: f"{len(acked)} acks, waiting for {start + chunk // 2}; errors {errors[:3]}")
        victim = rc.brokers[most_leaders(rc, topic)]
        led = [p for p, leader in rc.leaders(topic).items() if leader == victim.broker_id]
        t0 = time.monotonic()
        victim.kill9()
        produce_range(start + chunk, start + 2 * chunk if round_no < KILLS - 1 else TOTAL)
        poll_until(lambda: leaders_moved_off(rc, topic, victim.broker_id, led), HANG_S,
                   lambda: f"new leaders for {led} after killing broker {victim.broker_id}: {rc.states(topic)}")
        record_timing(f"kill -9 leader (broker {victim.broker_id}, {len(led)} partitions) until new leaders",
                      time.monotonic() - t0)
        poll_until(lambda: victim.broker_id not in rc.registered(), HANG_S, "old registration gone")
        t1 = time.monotonic()
        victim.start(timeout=HANG_S)
        poll_until(lambda: rc.full_isr(topic, PARTITIONS), HANG_S,
                   lambda: f"broker {victim.broker_id} back in the ISR: {rc.states(topic)}")
        record_timing(f"restarted broker {victim.broker_id} until back in every ISR", time.monotonic() - t1)

    remaining = producer.flush(180)
    assert remaining == 0, f"{remaining} messages never acknowledged; errors {errors[:5]}"
    assert not errors, f"{len(errors)} delivery errors, e.g. {errors[:5]}"
    assert len(acked) == TOTAL

    stored = read_partitions(rc.bootstrap, topic, list(range(PARTITIONS)), timeout=180)
    for p in range(PARTITIONS):
        rows = stored[p]
        seqs = [int(v.split(b":")[1]) for _, v in rows]
        dupes = [s for s, n in Counter(seqs).items() if n > 1]
        assert not dupes, f"partition {p}: {len(dupes)} messages stored twice, e.g. {dupes[:5]}"
        assert seqs == sorted(seqs), f"partition {p}: messages out of order"
        by_offset = dict(rows)
        mine = {v: o for v, (pp, o) in acked.items() if pp == p}
        wrong = [(v, o, by_offset.get(o)) for v, o in mine.items() if by_offset.get(o) != v]
        assert not wrong, f"partition {p}: {len(wrong)} acknowledged messages not at their acked offset, e.g. {wrong[:3]}"
        assert len(rows) == len(mine), f"partition {p}: {len(rows)} stored, {len(mine)} acknowledged"

    assert_replicas_identical_below_hw(rc, topic, PARTITIONS)


def test_killing_the_controller_elects_a_new_one_and_topic_creation_and_produce_keep_working(rc):
    before = "controller-before"
    create_topic(rc.bootstrap, before, partitions=3, replication=3, config=RF3)
    rc.wait_full_isr(before, 3, timeout=HANG_S)
    idempotent = {"enable.idempotence": True}
    first = confluent_produce(rc.bootstrap, before, [(None, b"before-%d" % i, None, i % 3) for i in range(600)],
                              idempotent)

    old = rc.controller_id()
    epoch = int(rc.zk.get("/controller_epoch")[0])
    victim = rc.brokers[old]
    t0 = time.monotonic()
    victim.kill9()
    new = rc.wait_for_controller(not_id=old, timeout=SESSION_TIMEOUT_S + HANG_S)
    record_timing(f"kill -9 controller (broker {old}) until /controller names broker {new}", time.monotonic() - t0)
    assert new != old and new in rc.registered()
    assert int(rc.zk.get("/controller_epoch")[0]) > epoch

    # The new controller creates topics (RF=2: only two brokers are alive) and moves the dead broker's leaders.
    after = "controller-after"
    t1 = time.monotonic()
    create_topic(rc.bootstrap, after, partitions=3, replication=2)
    record_timing("CreateTopics served by the new controller", time.monotonic() - t1)
    wait_until(lambda: leaders_moved_off(rc, before, old, [0, 1, 2]), HANG_S, lambda: rc.states(before))
    second = confluent_produce(rc.bootstrap, before, [(None, b"during-%d" % i, None, i % 3) for i in range(600)],
                               idempotent)
    third = confluent_produce(rc.bootstrap, after, [(None, b"new-%d" % i, None, i % 3) for i in range(300)],
                              idempotent)

    rc.restart_after_kill(victim)
    rc.wait_full_isr(before, 3, timeout=HANG_S)
    rc.wait_full_isr(after, 3, timeout=HANG_S)

    got = kafka_python_consume(rc.bootstrap, before, [0, 1, 2], len(first) + len(second), timeout=120)
    values = Counter(m.value for m in got)
    expected = {m.value for m in first + second}
    assert not expected - values.keys(), f"lost {len(expected - values.keys())} acknowledged messages"
    assert all(n == 1 for n in values.values()), "duplicates"
    got_after = kafka_python_consume(rc.bootstrap, after, [0, 1, 2], len(third), timeout=120)
    assert sorted(m.value for m in got_after) == sorted(m.value for m in third)


def test_a_paused_leader_never_acknowledges_a_write_after_losing_leadership_and_rejoins_as_a_follower(rc):
    topic = "paused-leader"
    create_topic(rc.bootstrap, topic, partitions=1, replication=3, config=RF3)
    rc.wait_full_isr(topic, 1, timeout=HANG_S)
    first = confluent_produce(rc.bootstrap, topic, [(None, b"first-%d" % i) for i in range(200)])

    old_id = rc.leaders(topic)[0]
    old = rc.brokers[old_id]
    others = [b for b in rc.brokers.values() if b.broker_id != old_id]
    # Connected while the broker still runs; the request below waits in the paused process's socket buffer and is
    # the first thing it reads after SIGCONT, before it can have noticed that its session expired.
    zombie = socket.create_connection((HOST, old.port), timeout=20)
    old.pause()
    t0 = time.monotonic()
    try:
        new_leader = wait_until(lambda: (lead := rc.leaders(topic)[0]) not in (-1, old_id) and lead,
                                SESSION_TIMEOUT_S + HANG_S, lambda: f"a new leader: {rc.states(topic)}")
        record_timing(f"SIGSTOP leader (broker {old_id}) until broker {new_leader} leads", time.monotonic() - t0)
        during = confluent_produce(",".join(b.bootstrap for b in others), topic,
                                   [(None, b"during-%d" % i) for i in range(500)])
        zombie.sendall(kafka_wire.produce_v3(99, topic, 0, kafka_wire.record_batch([b"zombie-write"]), acks=-1,
                                             timeout_ms=5000))
    finally:
        old.resume()
    t1 = time.monotonic()
    try:
        zombie.settimeout(20)
        answer = kafka_wire.parse_produce_v3(kafka_wire.read_frame(zombie))[0][2]
    except (OSError, ConnectionError, ValueError):
        answer = None  # no answer (timeout or closed connection) is not an acknowledgement either
    finally:
        zombie.close()
    assert answer != 0, "the deposed leader acknowledged an acks=all write after losing leadership"
    print(f"deposed leader answered the queued acks=all produce with error {answer}")
    # A fresh request after it woke up is refused too.
    fresh = raw_produce(old, topic, 0, b"zombie-write-2", acks=-1)
    assert fresh != 0, "the deposed leader acknowledged a fresh acks=all write"

    def rejoined():
        s = rc.partition_state(topic, 0)
        return s if s and old_id in s["isr"] else None

    state = wait_until(rejoined, HANG_S, lambda: f"broker {old_id} back in the ISR: {rc.states(topic)}")
    record_timing(f"SIGCONT until broker {old_id} is back in the ISR", time.monotonic() - t1)
    assert state["leader"] != old_id, f"broker {old_id} rejoined as leader, not as a follower: {state}"

    stored = read_partitions(rc.bootstrap, topic, [0])[0]
    values = [v for _, v in stored]
    assert b"zombie-write" not in values and b"zombie-write-2" not in values
    assert Counter(values) == Counter(m.value for m in first + during)
    assert_replicas_identical_below_hw(rc, topic, 1)


def test_a_rolling_restart_with_controlled_shutdown_loses_nothing_and_a_consumer_group_keeps_consuming(rc):
    topic = "rolling"
    create_topic(rc.bootstrap, topic, partitions=6, replication=3, config=RF3)
    rc.wait_full_isr(topic, 6, timeout=HANG_S)

    stop = threading.Event()
    acked: set[bytes] = set()
    delivery_errors: list[str] = []
    client_errors: list[str] = []
    fatal: list[str] = []
    received: list[bytes] = []
    received_set: set[bytes] = set()
    consumer_errors: list[str] = []

    def on_error(err):
        (fatal if err.fatal() else client_errors).append(str(err))

    def produce_loop():
        producer = idempotent_producer(rc.bootstrap, error_cb=on_error)

        def report(err, msg):
            if err is None:
                acked.add(msg.value())
            else:
                delivery_errors.append(str(err))

        i = 0
        while not stop.is_set():
            for _ in range(50):
                try:
                    producer.produce(topic, value=b"r-%08d" % i, on_delivery=report)
                    i += 1
                except BufferError:
                    break
            producer.poll(0.02)
        remaining = producer.flush(120)
        if remaining:
            delivery_errors.append(f"{remaining} messages still unacknowledged at the end")
        producer_done.set()

    def consume_loop():
        consumer = Consumer({"bootstrap.servers": rc.bootstrap, "group.id": "rolling-group",
                             "auto.offset.reset": "earliest", "enable.auto.commit": True,
                             "auto.commit.interval.ms": 1000, "session.timeout.ms": 10000,
                             "error_cb": lambda err: (fatal if err.fatal() else consumer_errors).append(str(err))})
        consumer.subscribe([topic])
        try:
            # Only once the producer has flushed is `acked` final; then read until the group has all of it.
            while not (producer_done.is_set() and acked <= received_set):
                for msg in consumer.consume(num_messages=1000, timeout=0.2):
                    if msg.error() is None:
                        received.append(msg.value())
                        received_set.add(msg.value())
                    elif msg.error().fatal():
                        fatal.append(str(msg.error()))
                    else:
                        consumer_errors.append(str(msg.error()))
                if stop.is_set() and time.monotonic() > stop_deadline[0]:
                    break
        finally:
            consumer.close()

    stop_deadline = [float("inf")]
    producer_done = threading.Event()
    threads = [threading.Thread(target=produce_loop, daemon=True), threading.Thread(target=consume_loop, daemon=True)]
    for t in threads:
        t.start()
    try:
        wait_until(lambda: len(received) > 1000, HANG_S, "the group consumes before the restarts")
        for b in list(rc.brokers.values()):
            led = [p for p, leader in rc.leaders(topic).items() if leader == b.broker_id]
            t0 = time.monotonic()
            code = b.stop(timeout=HANG_S)
            record_timing(f"SIGTERM broker {b.broker_id} (controlled shutdown, led {len(led)}) until exit",
                          time.monotonic() - t0)
            assert code == 0, f"broker {b.broker_id} exited with {code} after SIGTERM"
            wait_until(lambda: leaders_moved_off(rc, topic, b.broker_id, led), HANG_S,
                       lambda: f"leaders moved off broker {b.broker_id}: {rc.states(topic)}")
            mark = len(received)
            t1 = time.monotonic()
            b.start(timeout=HANG_S)
            rc.wait_full_isr(topic, 6, timeout=HANG_S)
            record_timing(f"restart broker {b.broker_id} until back in every ISR", time.monotonic() - t1)
            for t in rc.topics():  # as an operator would: no under-replicated partition before the next broker
                rc.wait_full_isr(t, timeout=HANG_S)
            wait_until(lambda: len(received) > mark + 500, HANG_S,
                       lambda: f"the group consumes after broker {b.broker_id} restarted ({len(received)} received)")
    finally:
        stop_deadline[0] = time.monotonic() + 90
        stop.set()
        for t in threads:
            t.join(150)

    assert not fatal, f"fatal client errors: {fatal[:5]}"
    assert not delivery_errors, f"{len(delivery_errors)} delivery errors, e.g. {delivery_errors[:5]}"
    print(f"rolling restart: {len(acked)} acknowledged, {len(received)} consumed by the group; "
          f"{len(client_errors)} non-fatal producer errors, {len(consumer_errors)} non-fatal consumer errors")
    stored = read_partitions(rc.bootstrap, topic, list(range(6)), timeout=180)
    values = Counter(v for rows in stored.values() for _, v in rows)
    lost = acked - values.keys()
    assert not lost, f"{len(lost)} acknowledged messages are not in the log, e.g. {sorted(lost)[:3]}"
    assert all(n == 1 for n in values.values()), "messages stored twice"
    missing = acked - received_set
    where = {p: [o for o, v in rows if v in missing][:1] + [o for o, v in rows if v in missing][-1:]
             for p, rows in stored.items() if any(v in missing for _, v in rows)}
    assert not missing, (f"the group never received {len(missing)} acknowledged messages that are in the log, "
                         f"e.g. {sorted(missing)[:3]}; first/last offsets per partition: {where}")


@pytest.mark.kcat
def test_with_two_brokers_down_acks_all_gets_not_enough_replicas_and_acks_1_still_works(rc):
    topic = "min-isr"
    create_topic(rc.bootstrap, topic, partitions=1, replication=3, config=RF3)
    rc.wait_full_isr(topic, 1, timeout=HANG_S)
    leader = rc.brokers[rc.leaders(topic)[0]]
    down = [b for b in rc.brokers.values() if b is not leader]
    try:
        for b in down:
            assert b.stop(timeout=HANG_S) == 0
        wait_until(lambda: (s := rc.partition_state(topic, 0)) and s["isr"] == [leader.broker_id]
                   and s["leader"] == leader.broker_id, HANG_S, lambda: rc.states(topic))
        # ZooKeeper shows the shrunk ISR as soon as the controller wrote it; the leader applies it when the
        # controller's LeaderAndIsr arrives, and its Metadata shows it after the UpdateMetadata queued behind it.
        wait_until(lambda: rc.metadata_from(leader, [topic])["topics"][topic]["partitions"][0]["isr"]
                   == [leader.broker_id], HANG_S, "the leader's own view of the shrunk ISR")

        assert raw_produce(leader, topic, 0, b"needs-two", acks=-1) == NOT_ENOUGH_REPLICAS
        p = Producer({"bootstrap.servers": leader.bootstrap, "acks": "all", "message.timeout.ms": 4000})
        outcome: list = []
        p.produce(topic, value=b"needs-two-confluent", partition=0,
                  on_delivery=lambda err, msg: outcome.append(err))
        p.flush(30)
        assert outcome and outcome[0] is not None, "acks=all succeeded with one in-sync replica"
        assert outcome[0].code() in (KafkaError.NOT_ENOUGH_REPLICAS, KafkaError._MSG_TIMED_OUT), outcome[0]

        assert raw_produce(leader, topic, 0, b"one-ack-raw", acks=1) == 0
        acked = confluent_produce(leader.bootstrap, topic, [(None, b"one-ack")], {"acks": "1"})
        assert len(acked) == 1
        out = run_kcat(["-P", "-b", leader.bootstrap, "-t", topic, "-p", "0", "-X", "acks=1"], b"one-ack-kcat\n",
                       timeout=60)
        assert out.returncode == 0, out.stderr.decode(errors="replace")
    finally:
        for b in down:
            if not b.running():
                b.start(timeout=HANG_S)
    rc.wait_full_isr(topic, 1, timeout=HANG_S)
    values = [v for _, v in read_partitions(rc.bootstrap, topic, [0])[0]]
    assert sorted(values) == [b"one-ack", b"one-ack-kcat", b"one-ack-raw"], values


def test_create_partitions_delete_records_and_topic_deletion_reach_every_broker(rc):
    topic = "admin-across"
    create_topic(rc.bootstrap, topic, partitions=3, replication=3)
    rc.wait_full_isr(topic, 3, timeout=HANG_S)
    confluent_produce(rc.bootstrap, topic, [(None, b"v%d" % i, None, i % 3) for i in range(300)])
    admin = AdminClient({"bootstrap.servers": rc.bootstrap})

    admin.create_partitions([NewPartitions(topic, 6)], operation_timeout=30)[topic].result(timeout=HANG_S)
    rc.wait_full_isr(topic, 6, timeout=HANG_S)
    wait_until(lambda: all((b.log_dir / f"{topic}-{p}").is_dir() for b in rc.brokers.values() for p in range(6)),
               30, "a directory for each of the 6 partitions on every broker")
    wait_until(lambda: all(len(rc.metadata_from(b, [topic])["topics"][topic]["partitions"]) == 6
                           for b in rc.brokers.values()), 30, "every broker's Metadata lists 6 partitions")
    confluent_produce(rc.bootstrap, topic, [(None, b"new%d" % p, None, p) for p in range(3, 6)])

    result = admin.delete_records([TopicPartition(topic, 0, 40)], operation_timeout=30)
    deleted = list(result.values())[0].result(timeout=HANG_S)
    assert deleted.low_watermark == 40
    assert low_watermark(rc.bootstrap, topic, 0) == 40
    # The followers learn the new log start offset by replication: after a controlled shutdown of the leader the
    # new leader answers the same.
    leader = rc.brokers[rc.leaders(topic)[0]]
    assert leader.stop(timeout=HANG_S) == 0
    try:
        wait_until(lambda: leaders_moved_off(rc, topic, leader.broker_id, [0]), HANG_S, lambda: rc.states(topic))
        assert wait_until(lambda: low_watermark(rc.bootstrap, topic, 0) == 40, 30,
                          lambda: f"low watermark on the new leader: {low_watermark(rc.bootstrap, topic, 0)}")
    finally:
        leader.start(timeout=HANG_S)
    rc.wait_full_isr(topic, 6, timeout=HANG_S)

    t0 = time.monotonic()
    # A fresh admin client: the first one cached broker 1 as controller before it was stopped, and librdkafka's
    # admin worker can wait on that broker's reconnect backoff without ever sending (one CI run: no broker saw the
    # DeleteTopics within 60 s). The broker's side of deletion is what this test is about.
    admin = AdminClient({"bootstrap.servers": rc.bootstrap})
    admin.delete_topics([topic], operation_timeout=30)[topic].result(timeout=HANG_S)

    def gone_everywhere():
        for b in rc.brokers.values():
            if rc.metadata_from(b, [topic])["topics"].get(topic, {}).get("error") != 3:  # UNKNOWN_TOPIC_OR_PARTITION
                return False
            if any(d.name.startswith(f"{topic}-") for d in b.log_dir.iterdir()):
                return False
        return not rc.zk.exists(f"/brokers/topics/{topic}") and not rc.zk.exists(f"/admin/delete_topics/{topic}")

    wait_until(gone_everywhere, HANG_S, lambda: {
        b.broker_id: sorted(d.name for d in b.log_dir.iterdir() if d.name.startswith(topic)) for b in rc.brokers.values()})
    record_timing("DeleteTopics until directories, znodes and metadata are gone on every broker",
                  time.monotonic() - t0)


def test_a_broker_down_during_topic_deletion_removes_the_stray_logs_when_it_returns(rc):
    gone, again = "deleted-while-down", "recreated-while-down"
    for t in (gone, again):
        create_topic(rc.bootstrap, t, partitions=2, replication=3)
        rc.wait_full_isr(t, 2, timeout=HANG_S)
        confluent_produce(rc.bootstrap, t, [(None, b"old-%d" % i, None, i % 2) for i in range(200)])
    # Not the controller: this test is about the deletion, not about a controller failover racing it.
    victim = rc.brokers[max(b for b in rc.brokers if b != rc.controller_id())]
    victim.kill9()
    try:
        admin = AdminClient({"bootstrap.servers": rc.bootstrap})
        for t in (gone, again):
            admin.delete_topics([t], operation_timeout=30)[t].result(timeout=HANG_S)
        # The deletion completes without the down replica.
        wait_until(lambda: not rc.zk.exists(f"/brokers/topics/{gone}") and not rc.zk.exists(f"/brokers/topics/{again}")
                   and not rc.zk.get_children("/admin/delete_topics"), HANG_S, "deletion completed without broker "
                   f"{victim.broker_id}")
        assert any(d.name.startswith(f"{gone}-") for d in victim.log_dir.iterdir())
        # The same name again, with a new topic id and fewer records than the old replica holds.
        live = [b for b in rc.brokers if b != victim.broker_id]
        wait_until(lambda: create_topic_ok(rc.bootstrap, again, {0: live + [victim.broker_id], 1: live + [victim.broker_id]}),
                   HANG_S, f"recreating {again}")
        confluent_produce(rc.bootstrap, again, [(None, b"new-%d" % i, None, i % 2) for i in range(20)])
    finally:
        rc.restart_after_kill(victim)
    assert not any(d.name.startswith(f"{gone}-") for d in victim.log_dir.iterdir())
    rc.wait_full_isr(again, 2, timeout=HANG_S)
    assert_replicas_identical_below_hw(rc, again, 2)
    topic_id = json.loads(rc.zk.get(f"/brokers/topics/{again}")[0])["topic_id"]
    for p in range(2):
        text = (victim.log_dir / f"{again}-{p}" / "partition.metadata").read_text()
        assert f"topic_id: {topic_id}" in text
    values = [v for vs in read_partitions(rc.bootstrap, again, [0, 1]).values() for (_, v) in vs]
    assert sorted(values) == sorted(b"new-%d" % i for i in range(20))


def create_topic_ok(bootstrap: str, topic: str, assignment: dict[int, list[int]]) -> bool:
    """CreateTopics with an explicit assignment (kafka-python's admin client); False while the old topic of that
    name is still being deleted."""
    from kafka.admin import KafkaAdminClient, NewTopic as KafkaPythonNewTopic
    from kafka.errors import TopicAlreadyExistsError
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=60000)
    try:
        admin.create_topics([KafkaPythonNewTopic(topic, -1, -1, replica_assignments=assignment)], timeout_ms=30000)
        return True
    except TopicAlreadyExistsError:
        return False
    finally:
        admin.close()


def test_preferred_leaders_return_after_a_broker_restarts(rc):
    topic = "preferred"
    create_topic(rc.bootstrap, topic, partitions=3, replication=3)
    rc.wait_full_isr(topic, 3, timeout=HANG_S)
    preferred = {p: r[0] for p, r in rc.assignment(topic).items()}
    wait_until(lambda: rc.leaders(topic) == preferred, 30, lambda: rc.states(topic))
    victim = rc.brokers[preferred[0]]
    own = [p for p, b in preferred.items() if b == victim.broker_id]

    # 1. Automatic: leader.imbalance.check.interval.seconds=10 moves leadership back.
    assert victim.stop(timeout=HANG_S) == 0
    wait_until(lambda: leaders_moved_off(rc, topic, victim.broker_id, own), HANG_S, lambda: rc.states(topic))
    victim.start(timeout=HANG_S)
    rc.wait_full_isr(topic, 3, timeout=HANG_S)
    t0 = time.monotonic()
    wait_until(lambda: rc.leaders(topic) == preferred, HANG_S,
               lambda: f"preferred leaders {preferred}, now {rc.leaders(topic)}")
    record_timing(f"broker {victim.broker_id} back in ISR until auto rebalance restores preferred leaders",
                  time.monotonic() - t0)

    # 2. On request: ElectLeaders (preferred) through the CLI.
    assert victim.stop(timeout=HANG_S) == 0
    wait_until(lambda: leaders_moved_off(rc, topic, victim.broker_id, own), HANG_S, lambda: rc.states(topic))
    victim.start(timeout=HANG_S)
    for t in rc.topics():  # --all-topic-partitions fails for any partition whose preferred replica is not in sync yet
        rc.wait_full_isr(t, timeout=HANG_S)
    t1 = time.monotonic()
    out = subprocess.run([str(NEEDLETAIL_BIN), "leader-election", "--bootstrap-server", rc.bootstrap,
                          "--election-type", "preferred", "--all-topic-partitions"],
                         capture_output=True, text=True, timeout=HANG_S)
    print(out.stdout, out.stderr)
    assert out.returncode == 0, out.stdout + out.stderr
    wait_until(lambda: rc.leaders(topic) == preferred, HANG_S,
               lambda: f"preferred leaders {preferred}, now {rc.leaders(topic)}")
    record_timing("needletail leader-election --election-type preferred until preferred leaders",
                  time.monotonic() - t1)
