"""At least 100,000 random and mutated frames over many connections, then the broker still works."""

import os
import random
import socket
import struct
import threading
import time

import kafka_wire as w
from clients import confluent_produce, kafka_python_consume
from conftest import HOST, create_topic

MIN_FRAMES = 100_000
TIME_BUDGET = float(os.environ.get("NEEDLETAIL_FUZZ_SECONDS", "60"))
HARD_LIMIT = TIME_BUDGET * 2  # only used if the broker is too slow to take 100,000 frames in the budget
THREADS = 8
MAX_REQUEST = 100 * 1024 * 1024  # socket.request.max.bytes


def _valid_requests(topic: str) -> list[bytes]:
    batch = w.record_batch([b"fuzz-%d" % i for i in range(5)])
    return [
        w.api_versions_v0(1), w.api_versions_v3(2), w.metadata_v1(3), w.metadata_v1(4, [topic]),
        w.metadata_v1(5, ["no-such-topic-fuzz"]), w.produce_v3(6, topic, 0, batch), w.produce_v3(7, topic, 0, batch, 0),
        w.fetch_v4(8, topic, 0, 0), w.fetch_v4(9, topic, 0, 1 << 40),
    ]


def _mutate(rng: random.Random, frame: bytes) -> bytes:
    body = bytearray(frame[4:])
    kind = rng.randrange(10)
    if kind == 0:  # flip random bytes
        for _ in range(rng.randint(1, 8)):
            if body:
                body[rng.randrange(len(body))] = rng.randrange(256)
    elif kind == 1:  # unknown api key
        body[0:2] = struct.pack(">h", rng.choice([-1, 99, 1000, 32767, rng.randrange(-32768, 32768)]))
    elif kind == 2:  # unsupported version
        body[2:4] = struct.pack(">h", rng.choice([-1, 50, 99, 32767]))
    elif kind == 3:  # truncated body, honest size
        body = body[:rng.randrange(len(body))]
    elif kind == 4:  # overwrite an int32 somewhere with an extreme length
        if len(body) > 12:
            pos = rng.randrange(8, len(body) - 4)
            body[pos:pos + 4] = struct.pack(">i", rng.choice([-2, -1, 0x7FFFFFFF, 0x40000000, -0x80000000]))
    elif kind == 5:  # overwrite an int16 with an extreme string length
        if len(body) > 10:
            pos = rng.randrange(8, len(body) - 2)
            body[pos:pos + 2] = struct.pack(">h", rng.choice([-2, -1, 0x7FFF]))
    elif kind == 6:  # append garbage
        body += rng.randbytes(rng.randint(1, 64))
    elif kind == 7:  # splice two frames' bodies
        cut = rng.randrange(len(body) or 1)
        body = body[:cut] + rng.randbytes(rng.randint(0, 40))
    elif kind == 8:  # insert random bytes
        pos = rng.randrange(len(body) + 1)
        body[pos:pos] = rng.randbytes(rng.randint(1, 16))
    else:  # random varint-ish bytes in the flexible sections
        for _ in range(3):
            if body:
                body[rng.randrange(len(body))] = rng.choice([0x80, 0xFF, 0x7F, 0x00])
    return struct.pack(">i", len(body)) + bytes(body)


def _random_frame(rng: random.Random) -> tuple[bytes, bool]:
    """(bytes, ends_connection) — frames whose size is a lie end the connection's useful life."""
    kind = rng.randrange(4)
    if kind == 0:
        return struct.pack(">i", rng.choice([-1, -100, -0x80000000])) + rng.randbytes(8), True
    if kind == 1:
        return struct.pack(">i", rng.choice([MAX_REQUEST + 1, 0x7FFFFFFF])) + rng.randbytes(16), True
    if kind == 2:  # size claims more than what follows, then the socket closes
        return struct.pack(">i", rng.randint(20, 5000)) + rng.randbytes(rng.randint(0, 19)), True
    body = rng.randbytes(rng.randint(0, 200))
    return struct.pack(">i", len(body)) + body, False


def _worker(seed: int, templates: list[bytes], deadline: float, counts: list[int], errors: list[str]) -> None:
    rng = random.Random(seed)
    soft_deadline = deadline - (HARD_LIMIT - TIME_BUDGET)
    # Run for the time budget; past it, keep going only until the frame minimum is reached.
    while time.monotonic() < deadline:
        if time.monotonic() > soft_deadline and counts[0] >= MIN_FRAMES:
            break
        frames: list[bytes] = []
        for _ in range(rng.randint(1, 120)):
            roll = rng.random()
            if roll < 0.15:
                frames.append(rng.choice(templates))
            elif roll < 0.85:
                frames.append(_mutate(rng, rng.choice(templates)))
            else:
                f, ends = _random_frame(rng)
                frames.append(f)
                if ends:
                    break
        try:
            with socket.create_connection((HOST, counts[1]), timeout=3) as s:
                s.sendall(b"".join(frames))
                s.shutdown(socket.SHUT_WR)
                s.settimeout(0.05 if rng.random() < 0.9 else 0.5)
                try:
                    while s.recv(1 << 16):
                        pass
                except (socket.timeout, OSError):
                    pass
        except ConnectionRefusedError as e:
            errors.append(repr(e))  # the listener is gone: the broker most likely died
            time.sleep(0.05)
        except OSError:
            pass  # the broker may close or reset a connection on bad input; that is allowed
        counts[0] += len(frames)


def test_broker_survives_100000_random_and_mutated_frames_then_round_trips(broker):
    topic = "fuzz-target"
    create_topic(broker.bootstrap, topic, partitions=1)
    templates = _valid_requests(topic)
    counts = [0, broker.port]
    errors: list[str] = []
    deadline = time.monotonic() + HARD_LIMIT
    threads = [threading.Thread(target=_worker, args=(1000 + i, templates, deadline, counts, errors))
               for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(HARD_LIMIT + 30)

    assert broker.running(), f"broker died under fuzzing (exit {broker.proc.returncode})"
    assert counts[0] >= MIN_FRAMES, f"only {counts[0]} frames sent in {HARD_LIMIT}s; errors: {errors[:3]}"
    # The broker may still be finishing requests of connections the fuzzer has just closed; it must answer a
    # fresh client promptly, but a loaded CI machine gets a few seconds.
    deadline = time.monotonic() + 20
    while not w.answers_metadata(HOST, broker.port) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert w.answers_metadata(HOST, broker.port)

    probe = "after-fuzz"
    create_topic(broker.bootstrap, probe, partitions=1)
    msgs = [(b"k%d" % i, b"after-fuzz-%d" % i) for i in range(500)]
    confluent_produce(broker.bootstrap, probe, msgs)
    got = kafka_python_consume(broker.bootstrap, probe, [0], len(msgs))
    assert [(m.key, m.value) for m in sorted(got, key=lambda m: m.offset)] == msgs


def test_a_controlled_shutdown_without_the_brokers_own_epoch_changes_nothing(broker):
    """Regression (found by the fuzz test above): a garbled Metadata v1 frame whose API key byte flipped to 7 reads
    as ControlledShutdown v1 for broker 1 (the topic count) with no broker epoch. The controller believed it, marked
    broker 1 as shutting down, and no later topic got a leader. Now only the registration's own epoch counts."""
    # ControlledShutdown v1, correlation id 77, client id "fuzz", broker id 1 (no epoch before v2).
    v1 = bytes.fromhex("00070001" "0000004d" "000466757a7a" "00000001")
    # v2 with a garbage epoch (the bytes of a topic name).
    v2 = bytes.fromhex("00070002" "0000004e" "000466757a7a" "00000001" "6e6f2d7375636820")
    for frame, cid in ((v1, 77), (v2, 78)):
        response = w.exchange(HOST, broker.port, struct.pack(">i", len(frame)) + frame)
        correlation, error = struct.unpack(">ih", response[:6])
        assert correlation == cid and error == 77, f"STALE_BROKER_EPOCH expected, got error {error}"
    probe = "after-forged-shutdown"
    create_topic(broker.bootstrap, probe, partitions=1)
    confluent_produce(broker.bootstrap, probe, [(b"k", b"v")])
