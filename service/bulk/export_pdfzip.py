"""A ZIP of official copies (PDF), rendered in parallel, streamed as it is built.

- Rendering is CPU-bound (WeasyPrint), so it runs in a ``ProcessPoolExecutor``
  of ``os.cpu_count()`` workers by default. Workers come from a ``forkserver``
  (a clean single-threaded process), never forked from a threaded web worker.
  At most ``2 × workers`` renders are in flight: the cursor is not read ahead
  further, so memory stays flat however many dossiers match. ``workers=1``
  renders in this process (no pool), the serial baseline.
- Entries are ``<模板标题>-<档案编号>.pdf``; zipfile sets the UTF-8 flag (bit 11)
  on non-ASCII names, so every unzip shows the Chinese title.
- ``manifest.json`` comes last: for each PDF its archive number, version, file
  name, size and SHA-256; the dossiers whose render failed (with the error),
  without aborting the rest; and those skipped for want of consent.
- The ZIP is written to an unseekable sink (data descriptors), so bytes go out
  as soon as each PDF is done. PDFs are stored (already compressed).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import multiprocessing
import os
import re
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor

import orjson

from schemas.model import Template
from schemas.registry import get_template

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def render_one(document: dict, template_name: str, printed_at: dt.datetime, verify_url: str) -> bytes:
    """Worker entry point: one official copy (the document is already masked)."""
    from service.render import render_official_copy
    return render_official_copy(document, get_template(template_name), printed_at=printed_at,
                                verify_url=verify_url)


def entry_name(template: Template, document: dict) -> str:
    return f"{_UNSAFE_NAME.sub('_', template.title)}-{document['archive_no']}.pdf"


class _Sink:
    """Unseekable file object: zipfile writes into it, the generator drains it."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def drain(self) -> bytes:
        data, self.parts = b"".join(self.parts), []
        return data


class _Serial:
    """The executor interface without processes (workers=1)."""

    def submit(self, fn, *args) -> Future:
        future: Future = Future()
        try:
            future.set_result(fn(*args))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass


def make_pool(workers: int):
    if workers <= 1:
        return _Serial()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["service.render", "schemas.registry"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def pdfzip_chunks(items: Iterable[tuple[dict, Template]], verify_base: str,
                  workers: int | None = None, summary: Callable[[], dict] | None = None,
                  printed_at: dt.datetime | None = None) -> Iterator[bytes]:
    """The ZIP, chunk by chunk; ``verify_base`` + content hash is each copy's QR code URL."""
    workers = workers or os.cpu_count() or 1
    printed_at = printed_at or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    sink, manifest = _Sink(), {"files": [], "failures": []}
    with make_pool(workers) as pool, zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:
        pending: deque = deque()
        for document, template in items:
            future = _submit(pool, document, template, printed_at, verify_base)
            pending.append((document, template, future))
            if len(pending) >= 2 * workers:
                _add(archive, manifest, *pending.popleft())
                yield sink.drain()
        while pending:
            _add(archive, manifest, *pending.popleft())
            yield sink.drain()
        _add_manifest(archive, manifest, printed_at, workers, summary)
    yield sink.drain()


def _submit(pool, document: dict, template: Template, printed_at: dt.datetime, verify_base: str) -> Future:
    try:
        return pool.submit(render_one, document, template.name, printed_at,
                           verify_base + document.get("content_hash", ""))
    except Exception as exc:  # BrokenProcessPool: a worker died; this dossier is reported, not the export
        failed: Future = Future()
        failed.set_exception(exc)
        return failed


def _add(archive: zipfile.ZipFile, manifest: dict, document: dict, template: Template, future) -> None:
    base = {"archive_no": document["archive_no"], "version": document.get("version"),
            "template": template.name}
    try:
        pdf = future.result()
    except Exception as exc:  # one bad dossier must not abort the others
        log.warning("official copy of %s failed: %s", document["archive_no"], exc)
        manifest["failures"].append({**base, "error": f"{type(exc).__name__}: {exc}"})
        return
    name = entry_name(template, document)
    info = zipfile.ZipInfo(name, date_time=_zip_time())
    info.compress_type = zipfile.ZIP_STORED
    archive.writestr(info, pdf)
    manifest["files"].append({**base, "file": name, "bytes": len(pdf),
                              "sha256": hashlib.sha256(pdf).hexdigest()})


def _add_manifest(archive, manifest: dict, printed_at: dt.datetime, workers: int, summary) -> None:
    body = {"generated_at": printed_at.isoformat(), "workers": workers, "count": len(manifest["files"]),
            "failed": len(manifest["failures"]), **manifest}
    if summary is not None:
        extra = summary()
        body["skipped"] = extra.get("skipped_dossiers", [])
        body["skipped_count"] = extra.get("skipped", 0)
        body["masked"] = extra.get("masked", False)
    info = zipfile.ZipInfo(MANIFEST, date_time=_zip_time())
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, orjson.dumps(body, option=orjson.OPT_INDENT_2))


def _zip_time() -> tuple[int, ...]:
    now = dt.datetime.now(dt.timezone(dt.timedelta(hours=8)))
    return now.timetuple()[:6]
