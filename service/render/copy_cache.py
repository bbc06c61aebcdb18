"""The immutable part of official copies, kept in memory between prints.

A stored version of a dossier never changes; what changes from one print of it
to the next is only the per-print stamp in the page footer (打印时间 and
复本编号, the ``@bottom-left`` margin box). So the renderer prints the version
once with that box empty (the *base*: layout, fonts, QR code, PDF/A-3b
metadata, the JSON attachment), keeps the PDF here, and for every print
overlays a one-page stamp (see ``pdf.overlay_stamp``).

The key is the SHA-256 of everything that determines the base: its HTML
(which holds every printed value, masking applied), the JSON attachment, the
stylesheet and the font cut. Two prints share a base only when they would have
printed the same bytes.

In memory only, per process, bounded (``DOSSIER_COPY_CACHE_MB``, default 64;
0 turns caching off): copies hold personal data, and a cache on disk would
outlive a destruction (销毁). A destroyed dossier cannot be printed anyway
(``service.printing`` refuses before rendering), so its cached base is never
served and ages out.
"""
from __future__ import annotations

import hashlib
import os
import threading
from collections import OrderedDict

_lock = threading.Lock()
_entries: OrderedDict[str, bytes] = OrderedDict()
_size = 0
hits = misses = 0


def max_bytes() -> int:
    try:
        return max(0, int(float(os.environ.get("DOSSIER_COPY_CACHE_MB", "64")) * 1024 * 1024))
    except ValueError:
        return 64 * 1024 * 1024


def enabled() -> bool:
    return max_bytes() > 0


def key(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        digest.update(len(data).to_bytes(8, "big"))
        digest.update(data)
    return digest.hexdigest()


def get(name: str) -> bytes | None:
    global hits, misses
    with _lock:
        pdf = _entries.get(name)
        if pdf is None:
            misses += 1
            return None
        _entries.move_to_end(name)
        hits += 1
        return pdf


def put(name: str, pdf: bytes) -> None:
    global _size
    limit = max_bytes()
    if len(pdf) > limit:
        return
    with _lock:
        if name in _entries:
            return
        _entries[name] = pdf
        _size += len(pdf)
        while _size > limit and _entries:
            _, old = _entries.popitem(last=False)
            _size -= len(old)


def clear() -> None:
    global _size
    with _lock:
        _entries.clear()
        _size = 0
