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
- Limits (a pathological dossier — thousands of rows — must not hang the export
  or eat the machine): each render runs in a pool process (also with one worker)
  whose address space is capped (``RLIMIT_AS``, ``DOSSIER_RENDER_MEMORY_MB``,
  default 1024) and is cut off after ``DOSSIER_RENDER_TIMEOUT`` seconds (default
  60; SIGALRM in the worker). If a worker still does not answer (stuck in C code)
  or dies (killed by the limit), it is killed, the pool is rebuilt and the
  dossiers that were in flight are retried once each; the culprit is reported in
  the manifest's ``failures`` with a clear error, the export goes on. Both limits
  at 0 restore the in-process renderer for ``workers=1``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import multiprocessing
import os
import re
import signal
import zipfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

import orjson

from schemas.model import Template
from schemas.registry import get_template

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
_UNSAFE_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


class RenderLimitExceeded(RuntimeError):
    """A dossier's official copy took too long or too much memory to render."""


@dataclass(frozen=True)
class RenderLimits:
    timeout: float = 60.0        # seconds per render; 0 = none
    memory_mb: int = 1024        # address space of a render process (RLIMIT_AS); 0 = none

    @classmethod
    def from_environment(cls) -> RenderLimits:
        def number(name: str, default: float) -> float:
            try:
                return max(0.0, float(os.environ.get(name, default)))
            except ValueError:
                return default
        return cls(number("DOSSIER_RENDER_TIMEOUT", cls.timeout), int(number("DOSSIER_RENDER_MEMORY_MB", cls.memory_mb)))

    @property
    def enabled(self) -> bool:
        return bool(self.timeout or self.memory_mb)

    @property
    def wait(self) -> float | None:
        """How long the parent waits for a render before it declares the worker hung."""
        return 2 * self.timeout + 30 if self.timeout else None


_IN_WORKER = False


def _worker_init(memory_mb: int) -> None:
    """Pool process set-up: cap the address space; renders here may use SIGALRM."""
    global _IN_WORKER
    _IN_WORKER = True
    if memory_mb:
        import resource
        limit = memory_mb * 1024 * 1024
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(resource.RLIMIT_AS, (limit if hard == resource.RLIM_INFINITY else min(limit, hard), hard))


def _on_alarm(signum, frame):
    raise RenderLimitExceeded("timeout")


def render_one(document: dict, template_name: str, printed_at: dt.datetime, verify_url: str,
               timeout: float = 0, memory_mb: int = 0) -> bytes:
    """Worker entry point: one official copy (the document is already masked)."""
    from service.render import render_official_copy
    armed = bool(timeout) and _IN_WORKER
    if armed:
        previous = signal.signal(signal.SIGALRM, _on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return render_official_copy(document, get_template(template_name), printed_at=printed_at,
                                    verify_url=verify_url)
    except RenderLimitExceeded:
        raise RenderLimitExceeded(f"渲染超时：超过 {timeout:g} 秒 (render timed out after {timeout:g} s)") from None
    except MemoryError:
        raise RenderLimitExceeded(f"渲染超出内存上限 {memory_mb} MB (render exceeded the memory limit)") from None
    finally:
        if armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def entry_name(template: Template, document: dict) -> str:
    return f"{_UNSAFE_NAME.sub('_', template.display_title)}-{document['archive_no']}.pdf"


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


def make_pool(workers: int, limits: RenderLimits | None = None):
    limits = limits or RenderLimits(0, 0)
    if workers <= 1 and not limits.enabled:
        return _Serial()
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["service.render", "schemas.registry"])
    return ProcessPoolExecutor(max_workers=max(1, workers), mp_context=context,
                               initializer=_worker_init, initargs=(limits.memory_mb,))


class _Renderers:
    """The pool behind the export, rebuilt when a worker hangs or dies."""

    def __init__(self, workers: int, limits: RenderLimits):
        self.workers, self.limits = workers, limits
        self.pool = make_pool(workers, limits)

    def submit(self, *args) -> Future:
        try:
            return self.pool.submit(render_one, *args, self.limits.timeout, self.limits.memory_mb)
        except Exception as exc:  # BrokenProcessPool: a worker died; retried when its turn comes
            failed: Future = Future()
            failed.set_exception(exc)
            return failed

    def result(self, future: Future, args: tuple) -> bytes:
        try:
            return self._wait(future)
        except BrokenProcessPool:
            # a worker died (memory limit, crash in C): every render in flight failed with it;
            # each is retried alone on a fresh pool, so only the culprit is reported
            self.restart()
            retry = self.submit(*args)
            try:
                return self._wait(retry)
            except BrokenProcessPool:
                self.restart()
                raise RenderLimitExceeded(
                    f"渲染进程异常退出，可能超出内存上限 {self.limits.memory_mb} MB "
                    "(the render process died, likely at the memory limit)") from None

    def _wait(self, future: Future) -> bytes:
        try:
            return future.result(timeout=self.limits.wait)
        except FutureTimeout:
            self.restart(kill=True)
            raise RenderLimitExceeded(
                f"渲染超时：{self.limits.wait:g} 秒内无响应，渲染进程已终止 "
                "(the render process did not answer and was killed)") from None

    def restart(self, kill: bool = False) -> None:
        pool = self.pool
        if isinstance(pool, _Serial):
            return
        if not kill and not getattr(pool, "_broken", False):
            return
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            if process.is_alive():
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)
        self.pool = make_pool(self.workers, self.limits)

    def close(self) -> None:
        if isinstance(self.pool, ProcessPoolExecutor):
            self.pool.shutdown(wait=True, cancel_futures=True)


def pdfzip_chunks(items: Iterable[tuple[dict, Template]], verify_base: str,
                  workers: int | None = None, summary: Callable[[], dict] | None = None,
                  printed_at: dt.datetime | None = None, limits: RenderLimits | None = None) -> Iterator[bytes]:
    """The ZIP, chunk by chunk; ``verify_base`` + content hash is each copy's QR code URL."""
    workers = workers or os.cpu_count() or 1
    limits = limits or RenderLimits.from_environment()
    printed_at = printed_at or dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    sink, manifest = _Sink(), {"files": [], "failures": []}
    renderers = _Renderers(workers, limits)
    try:
        with zipfile.ZipFile(sink, "w", zipfile.ZIP_STORED) as archive:
            pending: deque = deque()
            for document, template in items:
                args = (document, template.name, printed_at, verify_base + document.get("content_hash", ""))
                pending.append((document, template, renderers.submit(*args), args))
                if len(pending) >= 2 * workers:
                    _add(archive, manifest, renderers, *pending.popleft())
                    yield sink.drain()
            while pending:
                _add(archive, manifest, renderers, *pending.popleft())
                yield sink.drain()
            _add_manifest(archive, manifest, printed_at, workers, summary)
        yield sink.drain()
    finally:
        renderers.close()


def _add(archive: zipfile.ZipFile, manifest: dict, renderers: _Renderers, document: dict, template: Template,
         future, args: tuple) -> None:
    base = {"archive_no": document["archive_no"], "version": document.get("version"),
            "template": template.name}
    try:
        pdf = renderers.result(future, args)
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
