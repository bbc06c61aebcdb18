"""Dossier operations: create, update (new version each time), versions, entries.

The only place that turns validated input into stored documents. Every change
is a whole-document replace guarded by the version the caller saw (optimistic
concurrency, DESIGN §3 实时性/准确性); storage never sees an array operator.
"""
from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

import orjson
from marshmallow import ValidationError

from schemas import completeness
from schemas.model import Table, Template
from schemas.registry import get_template
from schemas.resolve import extra_limit_errors, resolve
from schemas.text import forbidden_characters
from schemas.validation import DossierInvalid, EnvelopeSchema, extra_warnings, flatten_errors, load_data, load_dossier
from service.actors import Actor
from service.clock import SHANGHAI, utcnow
from service.masking import restore_masked, supplies_confidential
from service.records.access import check_owner
from service.records.errors import Destroyed
from service.render.fingerprint import document_hash
from service.storage.errors import NotFound, VersionConflict

# The form data and unknown fields of one dossier, as UTF-8 JSON. Every official copy prints all of
# it: 1 MB is some 200 times a full 66项 dossier and prints in about a minute; far larger ones
# outlast a web worker. Entries can be appended one by one, so the whole is checked, not the request.
MAX_CONTENT_BYTES = 1024 * 1024


@dataclass
class Saved:
    document: dict
    warnings: list[str]


class DossierService:
    def __init__(self, repository, clock=utcnow, audit=None):
        self.repository = repository
        self.clock = clock
        self.audit = audit  # service.records.audit.AuditLog; None records nothing

    def _record(self, actor, action, document, details=None) -> None:
        if self.audit is not None:
            self.audit.record(actor, action, document["archive_no"], document["version"], details)

    # -- reading -------------------------------------------------------------
    def get(self, archive_no: str) -> dict:
        return self.repository.get(archive_no)

    def get_version(self, archive_no: str, version: int) -> dict:
        if isinstance(version, bool) or not isinstance(version, int) or version < 1:
            raise NotFound(f"{archive_no} v{version}", what="version")  # versions start at 1
        return self.repository.get_version(archive_no, version)

    def versions(self, archive_no: str) -> list[dict]:
        self.repository.get(archive_no)  # 404 for an unknown dossier, not an empty list
        return self.repository.list_versions(archive_no)

    def list(self, filters: dict, limit: int, after: str | None):
        return self.repository.list(filters, limit, after)

    # -- writing -------------------------------------------------------------
    def create(self, raw: dict, actor: Actor, external_id: str | None = None) -> Saved:
        """A new dossier; ``external_id`` (the source system's id, bulk import) is kept for upserts."""
        loaded = load_dossier(raw)
        now = self.clock()
        document = {
            "archive_no": self.repository.next_archive_no(now.astimezone(SHANGHAI).year),
            "template": loaded.template.name,
            "version": 1,
            "status": "active",
            **_envelope_defaults(loaded.template, loaded.envelope),
            "data": loaded.data,
            "extra": loaded.extra,
            "entry_log": [],
            "team": actor.team,
            "activity_at": now,  # last change of content: retention counts from here (records/retention.py)
            "created_at": now, "created_by": actor.id,
            "updated_at": now, "updated_by": actor.id,
        }
        if external_id:
            document["external_id"] = external_id
        _check_size(document)
        if loaded.envelope.get("consent"):
            _stamp_refusal(document["consent"], now)
        derive_fields(loaded.template, document)
        self.repository.insert(document)
        self._record(actor, "dossier.create", document, {"template": document["template"]})
        return Saved(document, loaded.warnings)

    def update(self, archive_no: str, patch, expected_version: int, actor: Actor) -> Saved:
        current = self.writable(archive_no, actor)
        _check_version(current, expected_version)
        template = get_template(current["template"])
        if not isinstance(patch, dict):
            raise DossierInvalid({"_body": ["请求内容应为一个 JSON 对象"]})
        errors = forbidden_characters(patch, "")
        _reject_fixed_fields(current, patch, errors)
        envelope = _load_envelope_patch(patch, errors)
        if "consent" in envelope and envelope["consent"] is None:
            # erasing a refusal would make printing allowed again ("no consent recorded")
            errors["consent"] = ["客户同意记录不能清除；客户撤回同意请提交 {\"given\": false}（PUT /consent）"]
        if "retention" in envelope and envelope["retention"] is None:  # back to the template's period
            envelope["retention"] = _envelope_defaults(template, {})["retention"]
        data_patch = patch.get("data", {})
        if not isinstance(data_patch, dict):
            errors["data"] = ["data 应为一个对象"]
            raise DossierInvalid(errors)
        resolution = resolve(template, data_patch, keep_blank=True)
        errors.update(resolution.errors)
        merged = merge_patch(current["data"], resolution.values)
        if not actor.can("confidential.read"):  # a form posted back with *** keeps the stored value
            merged = restore_masked(template, merged, current["data"], errors)
        data, _ = load_data(template, merged, errors)
        extra = _merge_extra(current.get("extra", []), resolution.extra)
        errors.update(extra_limit_errors(extra))
        if errors:
            raise DossierInvalid(errors)
        document = {**current, **envelope, "data": data, "activity_at": self.clock(), "extra": extra}
        if envelope.get("consent"):
            _stamp_refusal(document["consent"], self.clock())
        if "classification" in envelope:
            document["classification"] = {**current.get("classification", {}), **envelope["classification"]}
        changes = changed_keys(current, document)
        blind_write = not actor.can("confidential.read") and supplies_confidential(template, resolution.values)
        if not changes["changed"] and not blind_write:  # nothing to record: the current version stands
            return Saved(current, extra_warnings(resolution.extra))
        saved = self._replace(template, document, current, actor)
        self._record(actor, "dossier.update", saved, changes)
        return Saved(saved, extra_warnings(resolution.extra))

    def append_entry(self, archive_no: str, block: str, raw_row, expected_version: int, actor: Actor) -> Saved:
        """Add one row to a repeating block (a visit, a support record ...) as a new version."""
        current = self.writable(archive_no, actor)
        _check_version(current, expected_version)
        template = get_template(current["template"])
        table = entry_table(template, block)
        if not isinstance(raw_row, dict):
            raise DossierInvalid({"_body": [f"{table.label}：新记录应为一个对象"]})
        rows = list(current["data"].get(table.key, []))
        resolution = resolve(template, {table.key: [raw_row]})
        _renumber_row(resolution, f"data.{table.key}", len(rows))  # resolved alone, it is row [0]
        errors = {**forbidden_characters(raw_row, f"data.{table.key}[{len(rows)}]"), **resolution.errors}
        if table.key not in resolution.values and not errors:
            errors["_body"] = [f"{table.label}：新记录没有填写任何内容"]
        rows += resolution.values.get(table.key, [])
        data, _ = load_data(template, {**current["data"], table.key: rows}, errors)
        extra = _merge_extra(current.get("extra", []), resolution.extra)
        errors.update(extra_limit_errors(extra))
        if errors:
            raise DossierInvalid(errors)
        now = self.clock()
        log = list(current.get("entry_log", []))
        log.append({"block": table.key, "index": len(rows) - 1, "at": now, "by": actor.id,
                    "version": current["version"] + 1})
        document = {**current, "data": data, "entry_log": log, "activity_at": now, "extra": extra}
        saved = self._replace(template, document, current, actor, now)
        self._record(actor, "entry.append", saved, {"block": table.key, "index": len(rows) - 1})
        return Saved(saved, extra_warnings(resolution.extra))

    def writable(self, archive_no: str, actor: Actor) -> dict:
        """The current dossier if ``actor`` may change it: not destroyed, and its own for clerks."""
        current = self.repository.get(archive_no)
        if current.get("status") == "destroyed":
            raise Destroyed(f"档案 {archive_no} 已销毁，不能再修改")
        check_owner(actor, current)
        return current

    def replace_envelope(self, current: dict, changes: dict, actor: Actor) -> dict:
        """A new version with envelope fields (consent, retention, hold …) replaced; for records/."""
        template = get_template(current["template"])
        return self._replace(template, {**current, **changes}, current, actor)

    def _replace(self, template, document, current, actor, now=None) -> dict:
        _check_size(document)
        now = now or self.clock()
        document.update(version=current["version"] + 1, updated_at=now, updated_by=actor.id)
        derive_fields(template, document)
        self.repository.replace(document, current["version"])
        return document




def entry_table(template: Template, block: str) -> Table:
    for _section, path, item in template.walk():
        if isinstance(item, Table) and len(path) == 1 and item.entry and block in (item.key, item.label, *item.aliases):
            return item
    names = [f"{t.key}（{t.label}）" for _s, p, t in template.tables() if len(p) == 1 and t.entry]
    raise DossierInvalid({"block": [f"“{block}”不是可追加记录的栏目，可用：{'、'.join(names) or '无'}"]},
                         "没有这个记录栏目")


def list_entries(template: Template, document: dict, block: str) -> tuple[Table, list[dict]]:
    """Rows of a repeating block, each with when and by whom it was appended."""
    table = entry_table(template, block)
    stamps = {e["index"]: e for e in document.get("entry_log", []) if e["block"] == table.key}
    return table, [{"index": i, "row": row, "added_at": stamps.get(i, {}).get("at"),
                    "added_by": stamps.get(i, {}).get("by")}
                   for i, row in enumerate(document["data"].get(table.key, []))]


UNTRACKED = {"version", "updated_at", "updated_by", "activity_at", "completeness", "content_hash", "search_text",
             "fingerprint_salt"}


def changed_keys(before: dict, after: dict) -> dict:
    """Which top-level fields (and top-level data keys) differ: keys only, never values (audit)."""
    fields = sorted(k for k in set(before) | set(after)
                    if k not in UNTRACKED and before.get(k) != after.get(k))
    old, new = before.get("data") or {}, after.get("data") or {}
    return {"changed": fields, "data_keys": sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))}


def merge_patch(target: dict, patch: dict) -> dict:
    """RFC 7396 merge on canonical data: objects merge, lists replace, None removes."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


def _check_size(document: dict) -> None:
    size = len(orjson.dumps([document["data"], document.get("extra", [])]))
    if size > MAX_CONTENT_BYTES:
        message = (f"档案内容过大（{size // 1024} KB，最多 {MAX_CONTENT_BYTES // 1024} KB）："
                   "请把早期的记录另建一份档案")
        raise DossierInvalid({"data": [message]}, message)


def _check_version(current: dict, expected_version: int) -> None:
    if current["version"] != expected_version:
        raise VersionConflict(current["archive_no"], expected_version, current["version"])


def _reject_fixed_fields(current: dict, patch: dict, errors: dict) -> None:
    if "template" in patch and patch["template"] != current["template"]:
        errors["template"] = ["档案模板不能更改；请新建档案"]
    for name in sorted(set(patch) - {"template", "data", "classification", "confidentiality", "consent", "retention"}):
        errors[name] = [f"“{name}”不能修改（由系统维护或不是档案字段）"]


def _load_envelope_patch(patch: dict, errors: dict) -> dict:
    fields = {k: patch[k] for k in ("classification", "confidentiality", "consent", "retention") if k in patch}
    try:
        envelope = EnvelopeSchema().load(fields)  # not partial: a replaced consent/retention must be whole
    except ValidationError as exc:
        errors.update(flatten_errors(exc.messages, ""))
        return {}
    envelope = {k: v for k, v in envelope.items() if k in fields}
    if envelope.get("consent") and envelope["consent"].get("date"):
        envelope["consent"]["date"] = envelope["consent"]["date"].isoformat()
    return envelope


def _envelope_defaults(template: Template, envelope: dict) -> dict:
    return {
        "classification": envelope.get("classification") or {},
        "confidentiality": envelope.get("confidentiality", "normal"),
        "consent": envelope.get("consent") or {"given": False, "scope": []},
        "retention": envelope.get("retention") or {"years": template.retention_years},
    }


def _stamp_refusal(consent: dict, now: dt.datetime) -> None:
    """An explicit "given": false is a refusal on record (dated), unlike no consent at all."""
    if consent.get("given") is False and not consent.get("date"):
        consent["date"] = now.astimezone(SHANGHAI).date().isoformat()


def _renumber_row(resolution, table_path: str, index: int) -> None:
    """Paths of a row resolved on its own (``data.t[0]…``) as the row it becomes (``data.t[index]…``)."""
    def moved(path: str) -> str:
        first = f"{table_path}[0]"
        return f"{table_path}[{index}]{path[len(first):]}" if path.startswith(first) else path
    for entry in resolution.extra:
        entry["path"] = moved(entry["path"])
    resolution.errors = {moved(path): messages for path, messages in resolution.errors.items()}


def _merge_extra(stored: list[dict], new: list[dict]) -> list[dict]:
    replaced = {(e["path"], e["name"]) for e in new}
    return [e for e in stored if (e["path"], e["name"]) not in replaced] + new


def derive_fields(template: Template, document: dict) -> None:
    """Fields computed from the content: completeness, search text, fingerprint (salted anew)."""
    document["completeness"] = completeness.score(template, document["data"])
    document["search_text"] = " ".join([document["archive_no"], *client_names(template, document["data"])])
    document["fingerprint_salt"] = secrets.token_hex(16)
    document["content_hash"] = document_hash(document)


def client_names(template: Template, data: dict) -> list[str]:
    """The values that name the client (Template.name_fields), for search and lists."""
    names = []
    for path in template.name_fields:
        value = data
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, str):
            names.append(value)
    return names
