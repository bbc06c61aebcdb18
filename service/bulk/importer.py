"""Bulk import: rows → dossiers through the same validation as POST, with a report.

Each row is validated by ``schemas.validation.load_dossier`` (the one input
path) and written by ``DossierService`` (``create``, or ``update`` with the
current version), one whole document per row, so a bad row never half-writes
a dossier.

Idempotency: a row names its dossier by archive number (档案编号) or external id
(外部编号). An archive number that exists here (same template; same creation
time when the row carries one) is updated; otherwise the external id is looked
up; otherwise the row creates a dossier and keeps the external id — or, for a
row exported from another installation, its archive number there — as
``external_id``, so importing the same file again updates instead of
duplicating. A row whose content equals the stored dossier is ``unchanged``
(no new version).

Modes: ``best_effort`` writes every good row and reports the bad ones;
``all_or_nothing`` validates every row first and writes nothing if any is bad
(rows are then validated again while writing; a conflict that appears between
the two passes, such as a concurrent edit, is reported for its row).
``dry_run`` validates and reports what would happen, writing nothing.
The source is a callable returning fresh rows, so a file is read again rather
than held in memory.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import orjson

from schemas.validation import DossierInvalid, LoadedDossier, load_dossier
from service.actors import Actor
from service.clock import SHANGHAI
from service.masking import MASK, restore_masked, supplies_confidential
from service.records.access import check_owner
from service.records.errors import RecordsError
from service.storage.errors import DuplicateKey, NotFound, VersionConflict

from .columns import SYSTEM_KEYS
from .readers import SourceRow

MODES = ("best_effort", "all_or_nothing")
ENVELOPE_PARTS = ("classification", "confidentiality", "consent", "retention")
_PATH_SEGMENT = re.compile(r"\.([^.\[\]]+)|\[(\d+)\]")



class RowError(Exception):
    """A row that cannot be imported; ``fields`` maps a path to reasons (Chinese)."""

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("；".join(m for ms in fields.values() for m in ms))
        self.fields = fields


@dataclass
class RowResult:
    row: int
    status: str                       # created|updated|unchanged|would_create|would_update|invalid
    archive_no: str | None = None
    external_id: str | None = None
    sheet: str | None = None
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v not in (None, [])}


@dataclass
class ImportReport:
    mode: str
    dry_run: bool
    rows: list[RowResult] = field(default_factory=list)
    written: bool = False

    @property
    def failed(self) -> int:
        return sum(r.status == "invalid" for r in self.rows)

    def summary(self) -> dict:
        counts = {"rows": len(self.rows)}
        for status in ("created", "updated", "unchanged", "would_create", "would_update", "invalid"):
            counts[status] = sum(r.status == status for r in self.rows)
        return counts

    def as_dict(self) -> dict:
        return {"mode": self.mode, "dry_run": self.dry_run, "written": self.written,
                "summary": self.summary(), "rows": [r.as_dict() for r in self.rows]}


@dataclass
class Prepared:
    raw: dict                          # the envelope handed to load_dossier
    archive_no: str | None
    external_id: str | None
    created_at: datetime | None


class Importer:
    def __init__(self, service, actor: Actor, mode: str = "best_effort", dry_run: bool = False):
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}")
        self.service, self.actor, self.mode, self.dry_run = service, actor, mode, dry_run
        self.repository = service.repository

    def run(self, source: Callable[[], Iterable[SourceRow]],
            progress: Callable[[RowResult], None] | None = None) -> ImportReport:
        if self.dry_run or self.mode == "all_or_nothing":
            check = self._pass(source(), write=False, progress=None if not self.dry_run else progress)
            if self.dry_run or check.failed:
                return check
        report = self._pass(source(), write=True, progress=progress)
        report.written = True
        return report

    def _pass(self, rows: Iterable[SourceRow], write: bool, progress=None) -> ImportReport:
        report = ImportReport(self.mode, self.dry_run)
        for row in rows:
            result = self.import_row(row, write)
            report.rows.append(result)
            if progress:
                progress(result)
        return report

    def import_row(self, row: SourceRow, write: bool) -> RowResult:
        result = RowResult(row.number, "invalid", sheet=row.sheet)
        try:
            if row.error:
                raise RowError({"_row": [row.error]})
            prepared = prepare(row.record)
            result.archive_no, result.external_id = prepared.archive_no, prepared.external_id
            loaded = _validate(prepared, row.field_errors)
            current = self._target(prepared, loaded)
            self._apply(result, prepared, loaded, current, write)
        except DossierInvalid as exc:
            result.errors = error_list(exc.fields)
        except RowError as exc:
            result.errors = error_list(exc.fields)
        except VersionConflict as exc:
            result.errors = [{"field": "version", "reason": f"档案 {exc.key} 刚被他人修改（当前第 {exc.current} 版），请重新导入此行"}]
        except DuplicateKey as exc:
            result.errors = [{"field": "archive_no", "reason": f"编号 {exc.key} 已存在"}]
        except RecordsError as exc:
            result.errors = [{"field": "_row", "reason": exc.message}]
        return result

    def _apply(self, result: RowResult, prepared: Prepared, loaded: LoadedDossier, current, write: bool) -> None:
        if current is None:
            _refuse_masked(loaded)
            if not write:
                result.status = "would_create"
                return
            external_id = prepared.external_id or prepared.archive_no
            saved = self.service.create(prepared.raw, self.actor, external_id=external_id)
            result.status, result.archive_no = "created", saved.document["archive_no"]
            result.external_id, result.warnings = external_id, saved.warnings
            return
        result.archive_no = current["archive_no"]
        check_owner(self.actor, current)  # before any comparison: "unchanged" tells what is stored
        hidden: dict[str, list[str]] = {}
        data = restore_masked(loaded.template, loaded.data, current["data"], hidden)
        if hidden:
            raise RowError(hidden)
        blind = not self.actor.can("confidential.read") and supplies_confidential(loaded.template, loaded.data)
        if not blind and unchanged(current, prepared.raw, loaded, data):
            result.status = "unchanged"
        elif not write:
            result.status = "would_update"
        else:
            patch = update_patch(current, prepared.raw, loaded, data)
            saved = self.service.update(current["archive_no"], patch, current["version"], self.actor)
            result.status, result.warnings = "updated", saved.warnings

    def _target(self, prepared: Prepared, loaded: LoadedDossier) -> dict | None:
        """The stored dossier this row names, or None for a new one.

        An archive number held here by a different dossier (other template, or other
        creation time when the row carries one) is another installation's number: the
        row is then matched by external id like any foreign row.
        """
        if prepared.archive_no:
            try:
                current = self.repository.get(prepared.archive_no)
            except NotFound:
                current = None
            if current is not None and same_dossier(current, prepared, loaded):
                return current
        for key in (prepared.external_id, prepared.archive_no):
            found = self._by_external_id(key) if key else None
            if found is not None:
                if found["template"] != loaded.template.name:
                    raise RowError({"external_id": [f"外部编号 {key} 对应的档案 {found['archive_no']} "
                                                    f"使用模板“{found['template']}”，与此行的模板不同"]})
                return found
        return None

    def _by_external_id(self, key: str) -> dict | None:
        found = next(self.repository.scan("dossiers", {"external_id": key}, limit=1), None)
        if found is not None:
            found.pop("_id", None)
        return found


# -- preparing a record ---------------------------------------------------------------
def prepare(record: dict) -> Prepared:
    """Split a record into system fields and the envelope for load_dossier; put ``extra`` back in data."""
    if record.get("masked") is True:
        raise RowError({"_row": ["此行来自脱敏导出（masked），机密字段只有 ***，不能导入"]})
    raw = {k: v for k, v in record.items() if k not in SYSTEM_KEYS and k not in ("extra", "masked")}
    if isinstance(raw.get("consent"), dict):
        raw["consent"] = {k: v for k, v in raw["consent"].items() if k != "withdrawn_at"}
    errors: dict[str, list[str]] = {}
    if "extra" in record and record["extra"]:
        raw["data"] = restore_extra(raw.get("data"), record["extra"], errors)
    if errors:
        raise RowError(errors)
    return Prepared(raw, _identifier(record.get("archive_no")), _identifier(record.get("external_id")),
                    _timestamp(record.get("created_at")))


def restore_extra(data, extra, errors: dict) -> dict:
    """Put exported ``extra`` entries ({path, name, value}) back where they were found."""
    data = dict(data) if isinstance(data, dict) else {}
    if not isinstance(extra, list):
        errors["extra"] = ["表外字段（extra）应为列表"]
        return data
    for index, entry in enumerate(extra):
        if not (isinstance(entry, dict) and isinstance(entry.get("path"), str)
                and isinstance(entry.get("name"), str) and "value" in entry):
            errors[f"extra[{index}]"] = ["表外字段应为 {path, name, value}"]
            continue
        node = _node_at(data, entry["path"])
        if node is None or entry["name"] in node:
            errors[f"extra[{index}]"] = [f"表外字段“{entry['name']}”的位置 {entry['path']} 无效或重复"]
            continue
        node[entry["name"]] = entry["value"]
    return data


def _node_at(data: dict, path: str) -> dict | None:
    if not path.startswith("data"):
        return None
    node = data
    for name, index in _PATH_SEGMENT.findall(path[4:]):
        if name:
            if not isinstance(node, dict):
                return None
            child = node.get(name)
            node = node.setdefault(name, {}) if child is None else child
        else:
            if not isinstance(node, list) or int(index) >= len(node):
                return None
            node = node[int(index)]
    return node if isinstance(node, dict) else None


def _identifier(value) -> str | None:
    if value is None or isinstance(value, (dict, list, bool)):
        return None
    text = str(value).strip()
    return text or None


def _timestamp(value) -> datetime | None:
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


# -- validating -------------------------------------------------------------------------
def _validate(prepared: Prepared, field_errors: dict) -> LoadedDossier:
    try:
        loaded = load_dossier(prepared.raw)
    except DossierInvalid as exc:
        raise DossierInvalid({**field_errors, **exc.fields}) from None
    if field_errors:
        raise DossierInvalid(field_errors)
    return loaded


def _refuse_masked(loaded: LoadedDossier) -> None:
    found = [".".join(p) for _s, p, f in loaded.template.fields()
             if f.confidential and _values_at(loaded.data, p) & {MASK}]
    if found:
        raise RowError({f"data.{p}": ["脱敏导出的值（***）不能作为新档案的内容导入"] for p in found})


def _values_at(value, path) -> set:
    if not path:
        return {value} if isinstance(value, str) else set()
    if isinstance(value, list):
        return set().union(*(_values_at(v, path) for v in value)) if value else set()
    if isinstance(value, dict):
        return _values_at(value.get(path[0]), path[1:])
    return set()


def same_dossier(current: dict, prepared: Prepared, loaded: LoadedDossier) -> bool:
    """Whether the stored dossier with the row's archive number is the row's dossier."""
    if current["template"] != loaded.template.name:
        return False
    stored = current.get("created_at")
    if prepared.created_at and isinstance(stored, datetime):
        stored = stored if stored.tzinfo else stored.replace(tzinfo=timezone.utc)
        return abs((stored - prepared.created_at).total_seconds()) < 1
    return True


# -- comparing and patching ---------------------------------------------------------------
def _extra_key(extra: list[dict]) -> list:
    return sorted(orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in extra or [])


def unchanged(current: dict, raw: dict, loaded: LoadedDossier, data: dict) -> bool:
    if data != current.get("data") or _extra_key(loaded.extra) != _extra_key(current.get("extra")):
        return False
    for part in ENVELOPE_PARTS:
        if part not in raw:
            continue
        value = loaded.envelope.get(part)
        if part == "classification":
            value = {**current.get("classification", {}), **(value or {})}
        if part == "consent" and value is not None:
            value = {**value, **{k: v for k, v in current.get("consent", {}).items() if k == "withdrawn_at"}}
        if value is not None and value != current.get(part):
            return False
    return True


def update_patch(current: dict, raw: dict, loaded: LoadedDossier, data: dict) -> dict:
    """A merge patch that makes the stored dossier equal to the row (fields it lacks are removed)."""
    data_patch = replacement(current.get("data") or {}, data)
    errors: dict = {}
    if loaded.extra:
        data_patch = restore_extra(data_patch, loaded.extra, errors)
    patch = {"data": data_patch}
    patch.update({part: raw[part] for part in ENVELOPE_PARTS if part in raw})
    return patch


def replacement(current: dict, new: dict) -> dict:
    out = dict(new)
    for key, value in current.items():
        if key not in new:
            out[key] = None
        elif isinstance(value, dict) and isinstance(new[key], dict):
            out[key] = replacement(value, new[key])
    return out


def error_list(fields: dict[str, list[str]]) -> list[dict]:
    return [{"field": path, "reason": reason} for path, reasons in fields.items() for reason in reasons]
