"""The dossier repository: the only module that issues MongoDB queries.

It uses only operations the storage contract suite (``tests/storage``) proves on
every backend (mongomock, the embedded nx-27017 server, MongoDB): ``insert_one``,
``find``/``find_one`` on ASCII paths, sort/limit, ``$regex``, ``$lt``/``$gte``,
unique indexes, ``find_one_and_update`` with ``$inc`` + upsert (counters),
``replace_one`` filtered on ``_id`` and ``version``, and ``delete_many`` on an
ASCII equality (destruction of a dossier's version snapshots, DESIGN §3 销毁).

Why (DESIGN §4, nx-27017 0.8.1):
- a change is a whole-document replace guarded by the version number, never
  ``$push``/``$addToSet``: the embedded server turns pushed sub-documents into JSON
  strings and ignores ``$addToSet`` on a missing field;
- no ``$elemMatch`` (matches nothing), no Decimal128 (rejected), no query on a
  non-ASCII path (matches nothing): filters map to fixed ASCII paths;
- no projection of nested paths: the embedded server returns ``{"a.b": v}`` instead
  of ``{"a": {"b": v}}``, so version snapshots carry ``updated_at``/``updated_by`` at
  their top level;
- filters are built only from whitelisted names and scalar values, so a caller can
  never smuggle a query operator (``{"$ne": ""}``, ``$where``) into a query.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.errors import DuplicateKeyError

from .errors import DuplicateKey, NotFound, StorageError, VersionConflict

DOSSIERS = "dossiers"
VERSIONS = "dossier_versions"
COUNTERS = "counters"
EXPORT_BATCH_SIZE = 500
MAX_PAGE_SIZE = 1000

# filter name → ASCII document path, matched by equality on a string or number
EQUALITY_FILTERS = {
    "template": "template",
    "region": "classification.region",
    "industry": "classification.industry",
    "level": "classification.level",
    "status": "status",
    "team": "team",
}
OTHER_FILTERS = {"q", "updated_since", "completeness_lt"}
_NAME = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


class DossierRepository:
    """Dossiers, their version snapshots and counters in one MongoDB database."""

    def __init__(self, db: Any) -> None:
        self.db = db
        self.dossiers = db[DOSSIERS]
        self.versions = db[VERSIONS]
        self.counters = db[COUNTERS]

    def ensure_indexes(self) -> None:
        """Create the indexes (idempotent). ``_id`` indexes are implicit."""
        self.dossiers.create_index("archive_no", unique=True)
        for path in EQUALITY_FILTERS.values():  # equality + the list sort order
            self.dossiers.create_index([(path, ASCENDING), ("archive_no", DESCENDING)])
        self.dossiers.create_index("updated_at")
        self.dossiers.create_index("completeness.overall")
        self.dossiers.create_index("external_id")  # bulk import finds dossiers by the source's id
        self.versions.create_index(
            [("archive_no", ASCENDING), ("version", ASCENDING)], unique=True
        )
        # records (service/records): the audit trail walked in sequence order and filtered,
        # loans and printed copies looked up by dossier or content
        self.db.audit_log.create_index("seq", unique=True)
        for path in ("archive_no", "actor", "action"):
            self.db.audit_log.create_index(path)
        self.db.loans.create_index("archive_no")
        self.db.official_copies.create_index("content_hash")

    # -- archive numbers -------------------------------------------------------

    def next_sequence(self, name: str) -> int:
        """Atomically increment and return the counter ``name`` (1, 2, 3 …)."""
        _check_str(name, "counter name")
        for _ in range(2):  # two concurrent upserts of a new counter: one retries
            try:
                doc = self.counters.find_one_and_update(
                    {"_id": name},
                    {"$inc": {"seq": 1}},
                    upsert=True,
                    return_document=ReturnDocument.AFTER,
                )
                return int(doc["seq"])
            except DuplicateKeyError:
                continue
        raise StorageError(f"counter {name!r}: concurrent creation did not settle")

    def last_sequence(self, name: str) -> int:
        """The last value handed out by counter ``name`` (0 if never used); no increment."""
        doc = self.sequence_head(name)
        return int(doc["seq"]) if doc else 0

    def sequence_head(self, name: str) -> dict[str, Any] | None:
        """Counter ``name`` as stored (``seq`` and what ``advance_sequence`` kept beside it), or None."""
        return self.counters.find_one({"_id": _check_str(name, "counter name")}, {"_id": 0})

    def advance_sequence(self, name: str, expected: int, **fields: Any) -> bool:
        """Compare-and-set: move counter ``name`` from ``expected`` to ``expected + 1`` and keep
        ``fields`` beside it. False when another writer moved it first (read the head, try again)."""
        _check_str(name, "counter name")
        if not isinstance(expected, int) or isinstance(expected, bool) or expected < 0:
            raise ValueError(f"sequence must be an int >= 0, got {expected!r}")
        head = {"seq": expected + 1, **fields}
        if expected == 0:
            try:
                self.counters.insert_one({"_id": name, **head})
                return True
            except DuplicateKeyError:
                return False
        return self.counters.replace_one({"_id": name, "seq": expected}, head).matched_count == 1

    def next_archive_no(self, year: int) -> str:
        """The next archive number of ``year``, e.g. ``KH-2026-000123``; never reused."""
        if not isinstance(year, int) or isinstance(year, bool) or not 1000 <= year <= 9999:
            raise ValueError(f"year must be a four-digit int, got {year!r}")
        seq = self.next_sequence(f"archive_no:{year}")
        if seq > 999_999:
            raise StorageError(f"archive numbers of {year} exhausted")
        return f"KH-{year}-{seq:06d}"

    # -- dossiers --------------------------------------------------------------

    def insert(self, doc: Mapping[str, Any]) -> None:
        """Store a new dossier and its first version snapshot."""
        archive_no = _check_str(doc.get("archive_no"), "archive_no")
        _check_version(doc.get("version"), "version")
        stored = {**doc, "_id": archive_no}
        try:
            self.dossiers.insert_one(stored)
        except DuplicateKeyError as exc:
            raise DuplicateKey(archive_no) from exc
        self._snapshot(stored)

    def get(self, archive_no: str) -> dict[str, Any]:
        """The current dossier, without ``_id``; raises NotFound."""
        _check_str(archive_no, "archive_no")
        doc = self.dossiers.find_one({"_id": archive_no})
        if doc is None:
            raise NotFound(archive_no)
        return _strip_id(doc)

    def replace(self, doc: Mapping[str, Any], expected_version: int) -> None:
        """Replace the dossier if its stored version is ``expected_version``.

        ``doc["version"]`` must be ``expected_version + 1``. Raises NotFound, or
        VersionConflict carrying the current version; a failed replace changes nothing.
        """
        archive_no = _check_str(doc.get("archive_no"), "archive_no")
        _check_version(expected_version, "expected_version")
        if doc.get("version") != expected_version + 1:
            raise ValueError("doc['version'] must be expected_version + 1")
        stored = {**doc, "_id": archive_no}
        result = self.dossiers.replace_one(
            {"_id": archive_no, "version": expected_version}, stored
        )
        if result.matched_count == 0:
            current = self.dossiers.find_one({"_id": archive_no}, {"version": 1})
            if current is None:
                raise NotFound(archive_no)
            raise VersionConflict(archive_no, expected_version, current["version"])
        self._snapshot(stored)

    # -- versions --------------------------------------------------------------

    def get_version(self, archive_no: str, version: int) -> dict[str, Any]:
        """The dossier as it was at ``version``; raises NotFound."""
        _check_str(archive_no, "archive_no")
        _check_version(version, "version")
        snap = self.versions.find_one({"_id": _version_id(archive_no, version)})
        if snap is None:
            raise NotFound(f"{archive_no} v{version}", what="version")
        return snap["document"]

    def list_versions(self, archive_no: str) -> list[dict[str, Any]]:
        """``[{version, updated_at, updated_by}]`` ascending; raises NotFound if none."""
        _check_str(archive_no, "archive_no")
        cursor = self.versions.find(
            {"archive_no": archive_no},
            {"_id": 0, "version": 1, "updated_at": 1, "updated_by": 1},
        ).sort("version", ASCENDING)
        found = [
            {k: snap.get(k) for k in ("version", "updated_at", "updated_by")}
            for snap in cursor
        ]
        if not found:
            raise NotFound(archive_no)
        return found

    def find_version_by_hash(self, content_hash: str) -> dict[str, Any] | None:
        """``{archive_no, version, status}`` of the snapshot whose content_hash is this, or None.

        ``document.content_hash`` is an ASCII path, so the embedded server can query it.
        """
        snap = self.versions.find_one({"document.content_hash": _check_str(content_hash, "content_hash")})
        if snap is None:
            return None
        current = self.dossiers.find_one({"_id": snap["archive_no"]}, {"status": 1})
        return {"archive_no": snap["archive_no"], "version": snap["version"],
                "status": (current or {}).get("status")}

    def delete_versions(self, archive_no: str) -> int:
        """Remove every version snapshot of a dossier (destruction); returns how many."""
        result = self.versions.delete_many({"archive_no": _check_str(archive_no, "archive_no")})
        return result.deleted_count

    def _snapshot(self, stored: Mapping[str, Any]) -> None:
        document = _strip_id(stored)
        snap = {
            "_id": _version_id(stored["archive_no"], stored["version"]),
            "archive_no": stored["archive_no"],
            "version": stored["version"],
            "updated_at": stored.get("updated_at"),
            "updated_by": stored.get("updated_by"),
            "document": document,
        }
        try:
            self.versions.insert_one(snap)
        except DuplicateKeyError as exc:
            raise DuplicateKey(snap["_id"]) from exc

    # -- listing, export, counting ---------------------------------------------

    def list(
        self, filters: Mapping[str, Any], limit: int, after: str | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """One page, archive numbers descending; the cursor is None on the last page."""
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise ValueError("limit must be an int")
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE}")
        query = build_query(filters)
        if after is not None:
            query["archive_no"] = {"$lt": _check_str(after, "after")}
        cursor = self.dossiers.find(query).sort("archive_no", DESCENDING).limit(limit + 1)
        items = [_strip_id(doc) for doc in cursor]
        if len(items) <= limit:
            return items, None
        items = items[:limit]
        return items, items[-1]["archive_no"]

    def iterate(self, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        """Every matching dossier, archive numbers descending, fetched in batches."""
        query = build_query(filters)
        cursor = (
            self.dossiers.find(query)
            .sort("archive_no", DESCENDING)
            .batch_size(EXPORT_BATCH_SIZE)
        )
        try:
            for doc in cursor:
                yield _strip_id(doc)
        finally:
            cursor.close()

    def count(self, filters: Mapping[str, Any]) -> int:
        return self.dossiers.count_documents(build_query(filters))

    # -- generic helpers for other collections (e.g. an audit log) -------------

    def put(self, collection: str, doc: Mapping[str, Any], expected_version: int | None) -> None:
        """Insert (``expected_version`` None) or replace a document of ``collection`` whose
        stored ``version`` is ``expected_version``; ``doc["version"]`` is the new one.
        Raises DuplicateKey, NotFound or VersionConflict (the loans' state machine)."""
        if expected_version is None:
            return self.append(collection, doc)
        coll = self.db[_check_name(collection)]
        result = coll.replace_one({"_id": doc["_id"], "version": _check_version(expected_version, "version")},
                                  dict(doc))
        if result.matched_count == 0:
            current = coll.find_one({"_id": doc["_id"]}, {"version": 1})
            if current is None:
                raise NotFound(str(doc["_id"]), what=collection)
            raise VersionConflict(str(doc["_id"]), expected_version, current["version"])

    def append(self, collection: str, doc: Mapping[str, Any]) -> None:
        """Insert one document into ``collection``; raises DuplicateKey."""
        try:
            self.db[_check_name(collection)].insert_one(dict(doc))
        except DuplicateKeyError as exc:
            raise DuplicateKey(str(doc.get("_id"))) from exc

    def scan(
        self,
        collection: str,
        equals: Mapping[str, Any] | None = None,
        sort: str = "_id",
        descending: bool = False,
        limit: int = 0,
        after: Any = None,
    ) -> Iterator[dict[str, Any]]:
        """Documents of ``collection`` matching scalar equalities on ASCII paths, in ``sort``
        order, beyond ``after`` (a value of ``sort``) when given.

        Sort on a string ``_id`` or a numeric field: the embedded server orders numeric
        ``_id`` values as text (1, 10, 11, 2 …).
        """
        query = {_check_name(k): _check_scalar(k, v) for k, v in (equals or {}).items()}
        if after is not None:
            query[_check_name(sort)] = {"$lt" if descending else "$gt": _check_scalar(sort, after)}
        cursor = (
            self.db[_check_name(collection)]
            .find(query)
            .sort(_check_name(sort), DESCENDING if descending else ASCENDING)
            .limit(limit)
            .batch_size(EXPORT_BATCH_SIZE)
        )
        try:
            yield from cursor
        finally:
            cursor.close()


def build_query(filters: Mapping[str, Any]) -> dict[str, Any]:
    """A MongoDB query from whitelisted filter names and scalar values only.

    None values are ignored. Unknown names, operator dicts, lists and values of
    the wrong type raise ValueError.
    """
    if not isinstance(filters, Mapping):
        raise ValueError("filters must be a mapping")
    query: dict[str, Any] = {}
    for name, value in filters.items():
        if value is None:
            continue
        if name in EQUALITY_FILTERS:
            query[EQUALITY_FILTERS[name]] = _check_scalar(name, value)
        elif name == "q":
            if _check_str(value, "q"):
                query["search_text"] = {"$regex": caseless_pattern(value)}
        elif name == "updated_since":
            if not isinstance(value, datetime):
                raise ValueError("updated_since must be a datetime")
            query["updated_at"] = {"$gte": value}
        elif name == "completeness_lt":
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise ValueError("completeness_lt must be a number")
            query["completeness.overall"] = {"$lt": float(value)}
        else:
            raise ValueError(f"unknown filter: {name!r}")
    return query


def caseless_pattern(text: str) -> str:
    """``text`` as a literal, case-insensitive regular expression without ``$options``.

    Every cased character becomes a class (``a`` → ``[aA]``), the rest is escaped.
    The same matches as ``re.escape(text)`` with option ``i``, but the embedded
    server evaluates a plain pattern in SQL (``REGEXP`` on the JSON field) while with
    ``$options`` it decodes every document in Python: ~5x slower per document
    (benchmarks/README.md, store scale).
    """
    out = []
    for ch in text:
        variants = dict.fromkeys(c for c in (ch, ch.lower(), ch.upper()) if len(c) == 1)
        if len(variants) > 1:
            out.append("[" + "".join(re.escape(c) for c in variants) + "]")
        else:
            out.append(re.escape(ch))
    return "".join(out)


def _check_scalar(name: str, value: Any) -> str | int | float | datetime:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, datetime)):
        raise ValueError(f"filter {name!r} needs a plain value, got {type(value).__name__}")
    return value


def _check_str(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__}")
    return value


def _check_version(value: Any, what: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError(f"{what} must be a positive int, got {value!r}")
    return value


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or (name != "_id" and not _NAME.match(name)):
        raise ValueError(f"not an ASCII collection or field name: {name!r}")
    return name


def _version_id(archive_no: str, version: int) -> str:
    return f"{archive_no}:{version}"


def _strip_id(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "_id"}
