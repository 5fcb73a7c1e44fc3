"""Small produce/consume helpers shared by the interop tests (each one drives a real client library)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class Message:
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    timestamp: int = -1


def confluent_produce(bootstrap: str, topic: str, messages, config: dict | None = None,
                      timeout: float = 120) -> list[Message]:
    """Produce (key, value, headers[, partition[, timestamp_ms]]) tuples; return what was acknowledged, in ack order."""
    from confluent_kafka import Producer

    conf = {"bootstrap.servers": bootstrap, "linger.ms": 5, "acks": "all"}
    conf.update(config or {})
    producer = Producer(conf)
    acked: list[Message] = []
    errors: list[str] = []

    def reporter(headers):
        # Delivery reports do not carry headers back, so the callback remembers the ones that were sent.
        def report(err, msg):
            if err is not None:
                errors.append(str(err))
            else:
                acked.append(Message(msg.partition(), msg.offset(), msg.key(), msg.value(), list(headers or []),
                                     msg.timestamp()[1]))
        return report

    for m in messages:
        headers = m[2] if len(m) > 2 else None
        kwargs = {"key": m[0], "value": m[1], "headers": headers, "on_delivery": reporter(headers)}
        if len(m) > 3 and m[3] is not None:
            kwargs["partition"] = m[3]
        if len(m) > 4 and m[4] is not None:
            kwargs["timestamp"] = m[4]
        while True:
            try:
                producer.produce(topic, **kwargs)
                break
            except BufferError:
                producer.poll(0.05)
        producer.poll(0)
    remaining = producer.flush(timeout)
    assert remaining == 0, f"{remaining} messages not delivered; errors: {errors[:5]}"
    assert not errors, f"delivery errors: {errors[:5]}"
    return acked


def kafka_python_consume(bootstrap: str, topic: str, partitions: list[int], expected: int,
                         timeout: float = 120, **config) -> list[Message]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest",
                             request_timeout_ms=30000, **config)
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        out: list[Message] = []
        deadline = time.monotonic() + timeout
        while len(out) < expected and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=500, max_records=5000).items():
                for r in records:
                    out.append(Message(tp.partition, r.offset, r.key, r.value,
                                       [(k, bytes(v) if v is not None else None) for k, v in r.headers],
                                       r.timestamp))
        return out
    finally:
        consumer.close()


def aiokafka_consume(bootstrap: str, topic: str, partitions: list[int], expected: int,
                     timeout: float = 120, **config) -> list[Message]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    async def run() -> list[Message]:
        consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False,
                                    auto_offset_reset="earliest", **config)
        await consumer.start()
        try:
            tps = [TopicPartition(topic, p) for p in partitions]
            consumer.assign(tps)
            await consumer.seek_to_beginning(*tps)
            out: list[Message] = []
            deadline = time.monotonic() + timeout
            while len(out) < expected and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=500, max_records=5000)
                for tp, records in batch.items():
                    for r in records:
                        out.append(Message(tp.partition, r.offset, r.key, r.value,
                                           [(k, bytes(v) if v is not None else None) for k, v in r.headers],
                                           r.timestamp))
            return out
        finally:
            await consumer.stop()

    return asyncio.run(run())


def confluent_consume(bootstrap: str, topic: str, partitions: list[int], expected: int,
                      timeout: float = 120) -> list[Message]:
    from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"interop-{time.monotonic_ns()}",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    try:
        consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in partitions])
        out: list[Message] = []
        deadline = time.monotonic() + timeout
        while len(out) < expected and time.monotonic() < deadline:
            for msg in consumer.consume(num_messages=5000, timeout=0.5):
                if msg.error() is not None:
                    raise AssertionError(f"consume error: {msg.error()}")
                out.append(Message(msg.partition(), msg.offset(), msg.key(), msg.value(),
                                   list(msg.headers() or []), msg.timestamp()[1]))
        return out
    finally:
        consumer.close()


def kcat_consume(bootstrap: str, topic: str, timeout: float = 120) -> list[Message]:
    """Read the whole topic with kcat -e using a length-prefixed, binary-safe output format."""
    import subprocess

    fmt = "%p %o %K %S %h\n%k%s\n"
    out = subprocess.run(["kcat", "-C", "-b", bootstrap, "-t", topic, "-o", "beginning", "-e", "-q", "-f", fmt],
                         capture_output=True, timeout=timeout)
    assert out.returncode == 0, out.stderr.decode(errors="replace")
    return parse_kcat_output(out.stdout)


def parse_kcat_output(data: bytes) -> list[Message]:
    msgs: list[Message] = []
    pos = 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        head = data[pos:nl].decode()
        part, off, klen, vlen, headers = (head.split(" ", 4) + [""])[:5]
        pos = nl + 1
        klen_i, vlen_i = int(klen), int(vlen)
        key = data[pos:pos + max(klen_i, 0)] if klen_i >= 0 else None
        pos += max(klen_i, 0)
        value = data[pos:pos + max(vlen_i, 0)] if vlen_i >= 0 else None
        pos += max(vlen_i, 0)
        assert data[pos:pos + 1] == b"\n", f"kcat output out of step at byte {pos}"
        pos += 1
        hdrs = [(h.split("=", 1)[0], h.split("=", 1)[1].encode()) for h in headers.split(",") if h] if headers else []
        msgs.append(Message(int(part), int(off), key, value, hdrs))
    return msgs


def by_partition(messages: list[Message]) -> dict[int, list[tuple]]:
    """partition -> [(offset, key, value, headers)] sorted by offset."""
    out: dict[int, list[tuple]] = {}
    for m in messages:
        out.setdefault(m.partition, []).append((m.offset, m.key, m.value, [(k, v) for k, v in m.headers]))
    return {p: sorted(v, key=lambda t: t[0]) for p, v in out.items()}
