"""The audit trail (可追溯性): an append-only, hash-chained log of what happened to dossiers.

Why a chain: an auditor must be able to show that nobody edited or removed an
entry after the fact. Each entry carries ``prev_hash`` (the hash of the entry
before it) and its own ``hash`` = sha256 over the canonical orjson of the entry
(sorted keys, UTC datetimes, without ``_id`` and ``hash``). Entry ``_id`` is its
sequence number. The counter document keeps the newest entry's hash beside its
number and is moved by compare-and-set (``advance_sequence``), so processes
append without waiting for each other's inserts; a deleted entry leaves a gap
that :meth:`AuditLog.verify` reports. Entries are read
in ``seq`` order (indexed): the embedded server sorts numeric ``_id`` values as text.

Entries name keys, never values: ``details`` holds field keys, serial numbers,
loan ids and similar, so destroying a dossier leaves no personal value here.

Public API (used by export/import in ``service/bulk`` and by the web pages)::

    audit = AuditLog(repository)            # or app.extensions["dossier"].audit
    audit.record(actor, "dossier.export", archive_no="KH-2026-000001", version=3,
                 details={"format": "csv"}, remote_addr=None)

``remote_addr`` defaults to the current Flask request's address when one is active.
Actions used by this service: ``dossier.create``, ``dossier.update``, ``entry.append``,
``confidential.read``, ``dossier.print``, ``dossier.export``, ``consent.change``,
``loan.request|verify|refuse|lend|return``, ``retention.change``, ``hold.set``,
``hold.release``, ``dossier.destroy``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import threading
from dataclasses import dataclass

import orjson

from service.clock import utcnow
from service.storage.errors import StorageError

COLLECTION = "audit_log"
COUNTER = "audit_log"
GENESIS = "0" * 64
MAX_ATTEMPTS = 50  # compare-and-set rounds lost to other processes before giving up
_lock = threading.Lock()


def entry_hash(entry: dict) -> str:
    """sha256 of the canonical form of ``entry`` (without ``_id`` and ``hash``)."""
    body = {k: v for k, v in entry.items() if k not in ("_id", "hash")}
    canonical = orjson.dumps(body, option=orjson.OPT_SORT_KEYS | orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z)
    return hashlib.sha256(canonical).hexdigest()


@dataclass
class Verification:
    ok: bool
    count: int
    first_bad: int | None = None
    problem: str | None = None      # "missing" | "edited" | "chain_broken"
    message: str = "审计日志完整，未发现篡改或删除"

    def as_dict(self) -> dict:
        return {"ok": self.ok, "count": self.count, "first_bad": self.first_bad,
                "problem": self.problem, "message": self.message}


class AuditLog:
    def __init__(self, repository, clock=utcnow):
        self.repository = repository
        self.clock = clock
        self._last: tuple[int, str] | None = None  # (seq, hash) of the entry this process wrote last

    def record(self, actor, action: str, archive_no: str | None = None, version: int | None = None,
               details: dict | None = None, remote_addr: str | None = None) -> dict:
        """Append one entry and return it. ``details`` must hold keys/ids only, no personal values."""
        with _lock:  # threads of one process take turns; other processes are met by compare-and-set
            for _ in range(MAX_ATTEMPTS):
                seq, previous = self._head()
                entry = {"seq": seq + 1, "at": self.clock(), "actor": actor.id, "role": actor.role,
                         "action": action, "archive_no": archive_no, "version": version,
                         "details": details or {}, "remote_addr": remote_addr or _request_addr(),
                         "prev_hash": previous}
                entry["hash"] = entry_hash(entry)
                if self.repository.advance_sequence(COUNTER, seq, hash=entry["hash"]):
                    self.repository.append(COLLECTION, {"_id": entry["seq"], **entry})
                    self._last = (entry["seq"], entry["hash"])
                    return entry
                self._last = None  # another process appended meanwhile: read the head again
        raise StorageError("审计日志写入冲突过多，请重试")

    def _head(self) -> tuple[int, str]:
        """(seq, hash) of the newest entry: this process's own last one, else the counter's."""
        if self._last is not None:
            return self._last
        head = self.repository.sequence_head(COUNTER)
        if head is None:
            return 0, GENESIS
        if "hash" in head:
            return head["seq"], head["hash"]
        # a counter from before the hash was kept beside it: take the newest entry's
        newest = next(self.repository.scan(COLLECTION, {"_id": head["seq"]}, limit=1), None)
        return head["seq"], newest["hash"] if newest else f"missing:{head['seq']}"

    def entries(self, filters: dict | None = None, since=None, until=None, limit: int = 200,
                after: int | None = None) -> list[dict]:
        """Entries matching equality ``filters`` (archive_no, actor, action) in time range, oldest first."""
        found = []
        equals = {k: v for k, v in (filters or {}).items() if v is not None}
        for entry in self.repository.scan(COLLECTION, equals, sort="seq", after=after):
            if not _in_range(entry["at"], since, until):
                continue
            found.append({k: v for k, v in entry.items() if k != "_id"})
            if len(found) >= limit:
                break
        return found

    def verify(self) -> Verification:
        """Walk the chain from entry 1; name the first missing, edited or unchained entry."""
        expected, previous, count = 1, GENESIS, 0
        for entry in self.repository.scan(COLLECTION, sort="seq"):
            problem = _check(entry, expected, previous)
            if problem:
                return _bad(count, *problem)
            expected, previous, count = expected + 1, entry["hash"], count + 1
        issued = self.repository.last_sequence(COUNTER)
        if issued >= expected:  # the newest entries were deleted
            return _bad(count, expected, "missing")
        return Verification(True, count)


def _check(entry: dict, expected: int, previous: str) -> tuple[int, str] | None:
    if entry.get("_id") != expected:
        return expected, "missing"
    if entry.get("seq") != expected or entry.get("hash") != entry_hash(entry):
        return expected, "edited"
    if entry.get("prev_hash") != previous:
        return expected, "chain_broken"
    return None


MESSAGES = {
    "missing": "审计日志第 {n} 条缺失（已被删除）",
    "edited": "审计日志第 {n} 条内容与其校验值不符（已被修改）",
    "chain_broken": "审计日志第 {n} 条与前一条的链接断开（前一条被修改或删除）",
}


def _bad(count: int, seq: int, problem: str) -> Verification:
    return Verification(False, count, seq, problem, MESSAGES[problem].format(n=seq))


def _in_range(at, since, until) -> bool:
    at = at if at.tzinfo else at.replace(tzinfo=dt.timezone.utc)
    return (since is None or at >= since) and (until is None or at <= until)


def _request_addr() -> str | None:
    try:
        from flask import has_request_context, request
    except ImportError:  # pragma: no cover
        return None
    return request.remote_addr if has_request_context() else None


__all__ = ["AuditLog", "Verification", "entry_hash", "COLLECTION"]
