"""Every codec written by one client is read by another; the broker stores the producer's compressed batches."""

import asyncio
import subprocess

import pytest

from clients import aiokafka_consume, confluent_consume, confluent_produce, kafka_python_consume, kcat_consume
from conftest import BACKEND, create_topic
from kafka_log import read_batches, segment_logs

CODECS = {"gzip": 1, "snappy": 2, "lz4": 3, "zstd": 4}
CLIENTS = ["kcat", "confluent-kafka", "kafka-python", "aiokafka"]
COUNT = 300


def _messages(codec, writer):
    # Repetitive values so every codec really shrinks them.
    return [(f"{writer}-{i}".encode(), (f"{codec}:{writer}:{i}:" + "abcdefgh" * 20).encode()) for i in range(COUNT)]


def _produce(writer, bootstrap, topic, codec, messages):
    if writer == "kcat":
        lines = b"".join(k + b"\t" + v + b"\n" for k, v in messages)
        out = subprocess.run(["kcat", "-P", "-b", bootstrap, "-t", topic, "-p", "0", "-z", codec, "-K", "\t",
                              "-X", "linger.ms=20"], input=lines, capture_output=True, timeout=120)
        assert out.returncode == 0, out.stderr.decode(errors="replace")
    elif writer == "confluent-kafka":
        confluent_produce(bootstrap, topic, [(k, v, None, 0) for k, v in messages],
                          {"compression.type": codec, "linger.ms": 20})
    elif writer == "kafka-python":
        from kafka import KafkaProducer

        producer = KafkaProducer(bootstrap_servers=bootstrap, compression_type=codec, linger_ms=20, acks="all")
        try:
            futures = [producer.send(topic, key=k, value=v, partition=0) for k, v in messages]
            producer.flush(60)
            for f in futures:
                f.get(timeout=60)
        finally:
            producer.close()
    elif writer == "aiokafka":
        from aiokafka import AIOKafkaProducer

        async def run():
            producer = AIOKafkaProducer(bootstrap_servers=bootstrap, compression_type=codec, linger_ms=20, acks="all")
            await producer.start()
            try:
                futures = [await producer.send(topic, key=k, value=v, partition=0) for k, v in messages]
                await asyncio.gather(*futures)
            finally:
                await producer.stop()

        asyncio.run(run())


def _consume(reader, bootstrap, topic):
    if reader == "kcat":
        return kcat_consume(bootstrap, topic)
    if reader == "confluent-kafka":
        return confluent_consume(bootstrap, topic, [0], COUNT)
    if reader == "kafka-python":
        return kafka_python_consume(bootstrap, topic, [0], COUNT)
    return aiokafka_consume(bootstrap, topic, [0], COUNT)


CASES = [(codec, writer, CLIENTS[(i + 1 + j) % len(CLIENTS)])
         for j, codec in enumerate(CODECS) for i, writer in enumerate(CLIENTS)]


def _marks(writer, reader):
    return [pytest.mark.kcat] if "kcat" in (writer, reader) else []


@pytest.mark.parametrize("codec,writer,reader",
                         [pytest.param(c, w, r, marks=_marks(w, r), id=f"{c}-{w}-to-{r}") for c, w, r in CASES])
def test_codec_written_by_one_client_is_read_by_another(broker, codec, writer, reader):
    topic = f"codec-{codec}-{writer}-{reader}"
    create_topic(broker.bootstrap, topic, partitions=1)
    messages = _messages(codec, writer)
    _produce(writer, broker.bootstrap, topic, codec, messages)
    got = _consume(reader, broker.bootstrap, topic)
    assert [(m.key, m.value) for m in sorted(got, key=lambda m: m.offset)] == messages
    assert [m.offset for m in sorted(got, key=lambda m: m.offset)] == list(range(COUNT))

    if BACKEND == "needletail":
        batches = []
        for seg in segment_logs(broker.log_dir, topic, 0):
            batches += read_batches(seg)[0]
        assert batches, "no batches found on disk"
        assert {b.compression for b in batches} == {CODECS[codec]}
        assert sum(b.last_offset_delta + 1 for b in batches) == COUNT
        assert len(batches) < COUNT / 5, "the producer's batches were not kept whole"
