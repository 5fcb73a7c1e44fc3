"""A tiny hand-written Kafka request encoder for readiness probes, the fuzz test and the cluster tests.

Only the handful of non-flexible request versions the suite needs: ApiVersions v0/v3, Metadata v1,
Produce v3 and Fetch v4, plus decoders for the Metadata v1 and Produce v3 responses (the cluster tests ask one
particular broker, which a client library cannot be made to do). Frames are built from the published field
layouts, not from any client's code.
"""

from __future__ import annotations

import socket
import struct
import time

from kafka.record.default_records import DefaultRecordBatchBuilder


def i8(v: int) -> bytes:
    return struct.pack(">b", v)


def i16(v: int) -> bytes:
    return struct.pack(">h", v)


def i32(v: int) -> bytes:
    return struct.pack(">i", v)


def i64(v: int) -> bytes:
    return struct.pack(">q", v)


def string(s: str | None) -> bytes:
    if s is None:
        return i16(-1)
    b = s.encode()
    return i16(len(b)) + b


def uvarint(v: int) -> bytes:
    out = bytearray()
    while True:
        byte = v & 0x7F
        v >>= 7
        if v:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def compact_string(s: str | None) -> bytes:
    if s is None:
        return uvarint(0)
    b = s.encode()
    return uvarint(len(b) + 1) + b


def header_v1(api_key: int, version: int, correlation_id: int, client_id: str | None = "interop") -> bytes:
    return i16(api_key) + i16(version) + i32(correlation_id) + string(client_id)


def frame(payload: bytes) -> bytes:
    return i32(len(payload)) + payload


def api_versions_v0(cid: int) -> bytes:
    return frame(header_v1(18, 0, cid))


def api_versions_v3(cid: int) -> bytes:
    # Flexible request header v2: client_id keeps its int16 length, then an empty tag section.
    body = compact_string("interop-fuzz") + compact_string("1.0") + b"\x00"
    return frame(header_v1(18, 3, cid) + b"\x00" + body)


def metadata_v1(cid: int, topics: list[str] | None = None) -> bytes:
    if topics is None:
        body = i32(-1)
    else:
        body = i32(len(topics)) + b"".join(string(t) for t in topics)
    return frame(header_v1(3, 1, cid) + body)


def record_batch(values: list[bytes], key: bytes | None = b"k") -> bytes:
    builder = DefaultRecordBatchBuilder(
        magic=2, compression_type=0, is_transactional=0,
        producer_id=-1, producer_epoch=-1, base_sequence=-1, batch_size=1 << 24)
    now = int(time.time() * 1000)
    for offset, value in enumerate(values):
        builder.append(offset, timestamp=now, key=key, value=value, headers=[])
    return bytes(builder.build())


def produce_v3(cid: int, topic: str, partition: int, batch: bytes, acks: int = 1, timeout_ms: int = 5000) -> bytes:
    body = (string(None) + i16(acks) + i32(timeout_ms)
            + i32(1) + string(topic)
            + i32(1) + i32(partition) + i32(len(batch)) + batch)
    return frame(header_v1(0, 3, cid) + body)


def fetch_v4(cid: int, topic: str, partition: int, offset: int) -> bytes:
    body = (i32(-1) + i32(100) + i32(1) + i32(1 << 20) + i8(0)
            + i32(1) + string(topic)
            + i32(1) + i32(partition) + i64(offset) + i32(1 << 20))
    return frame(header_v1(1, 4, cid) + body)


def read_frame(sock: socket.socket) -> bytes:
    size = struct.unpack(">i", recv_exact(sock, 4))[0]
    if size < 4 or size > 200 * 1024 * 1024:
        raise ValueError(f"bad response size {size}")
    return recv_exact(sock, size)


def recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed by broker")
        buf += chunk
    return bytes(buf)


def answers_metadata(host: str, port: int, timeout: float = 2.0) -> bool:
    """True when the broker answers ApiVersions v0 and Metadata v1 with matching correlation ids."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as s:
            s.sendall(api_versions_v0(101) + metadata_v1(102, []))
            first = read_frame(s)
            second = read_frame(s)
            return first[:4] == i32(101) and second[:4] == i32(102)
    except (OSError, ValueError, ConnectionError):
        return False


class Reader:
    """Decodes the non-flexible (classic) response fields, front to back."""

    def __init__(self, data: bytes):
        self.data = data
        self.pos = 0

    def take(self, fmt: str):
        value = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return value

    def i8(self) -> int:
        return self.take(">b")

    def i16(self) -> int:
        return self.take(">h")

    def i32(self) -> int:
        return self.take(">i")

    def i64(self) -> int:
        return self.take(">q")

    def string(self) -> str | None:
        n = self.i16()
        if n < 0:
            return None
        s = self.data[self.pos:self.pos + n].decode()
        self.pos += n
        return s

    def array(self, item):
        return [item() for _ in range(self.i32())]


def exchange(host: str, port: int, request: bytes, timeout: float = 10.0) -> bytes:
    """Send one framed request on a fresh connection and return the response (correlation id included)."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(request)
        return read_frame(s)


def parse_metadata_v1(response: bytes) -> dict:
    """Metadata v1 response -> {"brokers": {id: (host, port, rack)}, "controller": id,
    "topics": {name: {"error": code, "internal": bool, "partitions": {p: {"error", "leader", "replicas", "isr"}}}}}."""
    r = Reader(response)
    r.i32()  # correlation id
    brokers = {}
    for _ in range(r.i32()):
        node, host, port, rack = r.i32(), r.string(), r.i32(), r.string()
        brokers[node] = (host, port, rack)
    controller = r.i32()
    topics = {}
    for _ in range(r.i32()):
        error, name, internal = r.i16(), r.string(), bool(r.i8())
        partitions = {}
        for _ in range(r.i32()):
            p_error, p, leader = r.i16(), r.i32(), r.i32()
            replicas = r.array(r.i32)
            isr = r.array(r.i32)
            partitions[p] = {"error": p_error, "leader": leader, "replicas": replicas, "isr": isr}
        topics[name] = {"error": error, "internal": internal, "partitions": partitions}
    return {"brokers": brokers, "controller": controller, "topics": topics}


def metadata(host: str, port: int, topics: list[str] | None = None, timeout: float = 10.0) -> dict:
    """Metadata v1 from exactly this broker (not whichever one a client library picks)."""
    return parse_metadata_v1(exchange(host, port, metadata_v1(1, topics), timeout))


def parse_produce_v3(response: bytes) -> list[tuple[str, int, int, int]]:
    """Produce v3 response -> [(topic, partition, error_code, base_offset)]."""
    r = Reader(response)
    r.i32()  # correlation id
    out = []
    for _ in range(r.i32()):
        topic = r.string()
        for _ in range(r.i32()):
            partition, error, base_offset = r.i32(), r.i16(), r.i64()
            r.i64()  # log append time
            out.append((topic, partition, error, base_offset))
    return out


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False
