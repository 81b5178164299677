"""Read an offline W&B run back from its `.wandb` file, through wandb's own protobuf records.

The file is a LevelDB-style log (what wandb's datastore writes): a 7-byte header (":W&B", magic 0xBEE1, version 0),
then 32 KiB blocks of chunks, each with a 7-byte header (CRC-32C, little-endian length, type: 1 full, 2 first,
3 middle, 4 last); a block's tail shorter than a header is zero padding. Each record is a serialized
`wandb.proto.wandb_internal_pb2.Record`.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

BLOCK = 32768
HEADER = 7


def complete_records(path: Path, timeout: float = 300.0) -> list:
    """The records of a run file once its writer (wandb's service, a separate process) has flushed the run and its
    summary: on a loaded machine the file can exist with only its header for a while after `finish()` returns."""
    import time

    from google.protobuf.message import DecodeError

    deadline = time.time() + timeout
    while True:
        try:
            found = records(path) if Path(path).stat().st_size > HEADER else []
        except DecodeError:  # read while the writer was between a chunk's header and its last bytes: read again
            if time.time() > deadline:
                raise
            found = []
        kinds = {r.WhichOneof("record_type") for r in found}
        if {"run", "summary"} <= kinds or time.time() > deadline:
            return found
        time.sleep(0.5)


def records(path: Path) -> list:
    from wandb.proto import wandb_internal_pb2

    data = Path(path).read_bytes()
    if data[:4] != b":W&B":
        raise ValueError(f"{path} is not a W&B run file")
    out, pending, offset = [], b"", HEADER
    while offset + HEADER <= len(data):
        left_in_block = BLOCK - offset % BLOCK
        if left_in_block < HEADER:
            offset += left_in_block
            continue
        length, kind = struct.unpack_from("<HB", data, offset + 4)
        if offset + HEADER + length > len(data):  # the last chunk is still being written: the records before it stand
            break
        payload = data[offset + HEADER : offset + HEADER + length]
        offset += HEADER + length
        if kind == 0 and length == 0:
            continue
        pending = payload if kind in (1, 2) else pending + payload
        if kind in (1, 4):
            record = wandb_internal_pb2.Record()
            record.ParseFromString(pending)
            out.append(record)
            pending = b""
    return out


def history(recs: list) -> list[dict]:
    """Every logged row: {key: value}, with `_step`."""
    rows = []
    for record in recs:
        if record.WhichOneof("record_type") == "history":
            rows.append({item.key or "/".join(item.nested_key): json.loads(item.value_json) for item in record.history.item})
    return rows


def config(recs: list) -> dict:
    values = {}
    for record in recs:
        kind = record.WhichOneof("record_type")
        items = record.config.update if kind == "config" else record.run.config.update if kind == "run" else []
        for item in items:
            values[item.key or "/".join(item.nested_key)] = json.loads(item.value_json)
    return values


def metric_summaries(recs: list) -> dict:
    """define_metric records: {metric name: summary kinds}."""
    out = {}
    for record in recs:
        if record.WhichOneof("record_type") == "metric" and record.metric.name:
            summary = record.metric.summary
            out[record.metric.name] = {kind for kind in ("min", "max", "mean", "last", "best") if getattr(summary, kind, False)}
    return out


def run_name(recs: list) -> str:
    return next(r.run.display_name for r in recs if r.WhichOneof("record_type") == "run")
