"""JSON Lines export: one dossier per line, UTF-8 without BOM, streamed in chunks.

Each line is the stored dossier without internal fields (``_id``,
``search_text``, ``entry_log``): system fields (archive_no, version, status,
created/updated …) and the envelope and ``data`` by template key, ``extra`` as
stored. ``service.bulk.importer`` reads such a line back into an equal dossier
(the archive number is the idempotency key). Timestamps are ISO 8601 in Beijing
time. A line of a masked export (role without ``confidential.read``) carries
``"masked": true``; the importer refuses masked values.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator

import orjson

from service.clock import SHANGHAI
from service.masking import without_internal

CHUNK_BYTES = 64 * 1024


def _default(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(SHANGHAI).isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dossier_line(document: dict, masked: bool = False) -> bytes:
    line = without_internal(document)
    if masked:
        line["masked"] = True
    return orjson.dumps(line, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME) + b"\n"


def jsonl_chunks(documents: Iterable[dict], masked: bool = False,
                 summary: Callable[[], dict] | None = None) -> Iterator[bytes]:
    """Lines joined into ~64 KB chunks (fewer, larger writes to the socket).

    ``summary`` (optional) is called at the end for a trailing ``{"_summary": …}``
    line (exported/skipped counts); the importer ignores that line.
    """
    buffer: list[bytes] = []
    size = 0
    for document in documents:
        line = dossier_line(document, masked)
        buffer.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if summary is not None:
        buffer.append(orjson.dumps({"_summary": summary()}) + b"\n")
    if buffer:
        yield b"".join(buffer)
