"""Reads Kafka's on-disk segment files (.log) batch by batch, to check what the broker wrote."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from kafka.record.util import calc_crc32c

BATCH_HEADER = 61


@dataclass
class StoredBatch:
    position: int
    base_offset: int
    length: int
    magic: int
    crc: int
    attributes: int
    last_offset_delta: int
    producer_id: int
    base_sequence: int
    records: int
    crc_ok: bool

    @property
    def last_offset(self) -> int:
        return self.base_offset + self.last_offset_delta

    @property
    def compression(self) -> int:
        return self.attributes & 0x7


def read_batches(path: Path) -> tuple[list[StoredBatch], int]:
    """Return (whole batches, bytes left over after the last whole batch)."""
    data = Path(path).read_bytes()
    pos = 0
    batches: list[StoredBatch] = []
    while pos + 12 <= len(data):
        base_offset, length = struct.unpack_from(">qi", data, pos)
        end = pos + 12 + length
        if length < BATCH_HEADER - 12 or end > len(data):
            break
        (leader_epoch, magic, crc, attributes, last_delta, _base_ts, _max_ts, producer_id, _epoch, base_seq,
         count) = struct.unpack_from(">ibIhiqqqhii", data, pos + 12)
        crc_ok = calc_crc32c(data[pos + 21:end]) == crc
        batches.append(StoredBatch(pos, base_offset, length, magic, crc, attributes, last_delta, producer_id,
                                   base_seq, count, crc_ok))
        pos = end
    return batches, len(data) - pos


def partition_dir(log_dir: Path, topic: str, partition: int) -> Path:
    return Path(log_dir) / f"{topic}-{partition}"


def segment_logs(log_dir: Path, topic: str, partition: int) -> list[Path]:
    return sorted(partition_dir(log_dir, topic, partition).glob("*.log"))
