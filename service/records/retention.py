"""Retention, legal hold and destruction (保管期限, 销毁).

Expiry rule: a dossier expires ``retention.years`` (envelope; default the template's
``retention_years``) after its **last change of content** (``activity_at``: creation,
update or appended entry; before this field existed, ``created_at``). A client dossier
is a living record: a customer served for fifteen years must not be destroyed ten
years after the first visit. Consent, hold and retention changes do not restart it.
It is due on the anniversary date (Asia/Shanghai), Feb 29 → Feb 28.

A legal hold (``hold = {reason, by, at}``) suspends destruction until released.
Destroying an expired dossier (``dossier.destroy``, with a reason) replaces it by a
tombstone (archive number, template, dates, who, why, status "destroyed"), removes
every version snapshot, redacts the free text of its loans, and stores a destruction
record (销毁记录, ``XH-<year>-<seq>``) that prints as a PDF certificate. Archive
numbers come from a counter and are never reused. The audit trail only ever held
keys, so nothing personal is left behind.
"""
from __future__ import annotations

import datetime as dt

from schemas.registry import get_template
from service.actors import Actor
from service.clock import SHANGHAI, utcnow
from service.records.errors import Destroyed, LoanStateError, NotExpired, OnHold, RecordsInvalid
from service.storage.errors import NotFound

DESTRUCTIONS = "destructions"
TOMBSTONE_KEYS = ("archive_no", "template", "created_at", "created_by", "team", "retention")


def _local_date(moment: dt.datetime) -> dt.date:
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(SHANGHAI).date()


def add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def retention_years(document: dict) -> int:
    years = (document.get("retention") or {}).get("years")
    return years if isinstance(years, int) else get_template(document["template"]).retention_years


def expires_on(document: dict) -> dt.date:
    start = document.get("activity_at") or document["created_at"]
    return add_years(_local_date(start), retention_years(document))


class Retention:
    def __init__(self, repository, dossiers, audit, loans, clock=None):
        self.repository, self.dossiers, self.audit, self.loans = repository, dossiers, audit, loans
        self.clock = clock or (lambda: utcnow())  # looked up per call: tests and the CLI move time

    def today(self) -> dt.date:
        return _local_date(self.clock())

    def status(self, document: dict) -> dict:
        """Retention facts shown in the dossier view and the due list."""
        expiry = expires_on(document)
        return {"years": retention_years(document), "expires_on": expiry.isoformat(),
                "expired": expiry <= self.today(), "hold": bool(document.get("hold"))}

    def due(self) -> list[dict]:
        """Active dossiers whose retention period has ended (held ones flagged), oldest expiry first."""
        found = []
        for document in self.repository.iterate({"status": "active"}):
            facts = self.status(document)
            if facts["expired"]:
                found.append({"archive_no": document["archive_no"], "template": document["template"],
                              **facts})
        return sorted(found, key=lambda item: (item["expires_on"], item["archive_no"]))

    def set_years(self, archive_no: str, years, actor: Actor) -> dict:
        if not isinstance(years, int) or isinstance(years, bool) or not 1 <= years <= 100:
            raise RecordsInvalid("保管期限应为 1 到 100 年", {"years": ["保管期限应为 1 到 100 年"]})
        current = self._active(archive_no)
        saved = self.dossiers.replace_envelope(current, {"retention": {"years": years}}, actor)
        self.audit.record(actor, "retention.change", archive_no, saved["version"],
                          {"years": years, "previous": retention_years(current)})
        return saved

    def set_hold(self, archive_no: str, reason, actor: Actor) -> dict:
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
            raise RecordsInvalid("请填写冻结（法律保全）理由", {"reason": ["必填，不超过 500 字"]})
        current = self._active(archive_no)
        hold = {"reason": reason.strip(), "by": actor.id, "at": self.clock()}
        saved = self.dossiers.replace_envelope(current, {"hold": hold}, actor)
        self.audit.record(actor, "hold.set", archive_no, saved["version"], {})
        return saved

    def release_hold(self, archive_no: str, actor: Actor) -> dict:
        current = self._active(archive_no)
        if not current.get("hold"):
            raise OnHold(f"档案 {archive_no} 没有被冻结（法律保全）")
        saved = self.dossiers.replace_envelope(current, {"hold": None}, actor)
        self.audit.record(actor, "hold.release", archive_no, saved["version"], {})
        return saved

    def destroy(self, archive_no: str, reason, actor: Actor) -> dict:
        """Destroy an expired dossier; returns the destruction record."""
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 500:
            raise RecordsInvalid("请填写销毁理由", {"reason": ["必填，不超过 500 字"]})
        current = self._active(archive_no)
        self._check_destroyable(current)
        now = self.clock()
        record = self._record(current, reason.strip(), actor, now)
        tombstone = {k: current.get(k) for k in TOMBSTONE_KEYS}
        tombstone.update(version=current["version"] + 1, status="destroyed", data={}, extra=[],
                         entry_log=[], consent={}, classification={}, search_text=archive_no,
                         updated_at=now, updated_by=actor.id, activity_at=now,
                         destruction={"record_no": record["record_no"], "at": now, "by": actor.id,
                                      "reason": record["reason"]})
        self.repository.replace(tombstone, current["version"])
        record["versions_removed"] = self.repository.delete_versions(archive_no)
        record["loans_redacted"] = self.loans.redact(archive_no, actor)
        self.repository.put(DESTRUCTIONS, {"_id": record["record_no"], **record}, None)
        self.audit.record(actor, "dossier.destroy", archive_no, current["version"],
                          {"record_no": record["record_no"], "versions_removed": record["versions_removed"]})
        return record

    def _check_destroyable(self, current: dict) -> None:
        archive_no = current["archive_no"]
        if current.get("hold"):
            raise OnHold(f"档案 {archive_no} 处于法律保全（冻结）中，解除冻结前不能销毁")
        facts = self.status(current)
        if not facts["expired"]:
            raise NotExpired(f"档案 {archive_no} 的保管期限（{facts['years']} 年）至 {facts['expires_on']} 才届满，不能销毁")
        if self.loans.open_loan(archive_no):
            raise LoanStateError(f"档案 {archive_no} 有未结束的借阅，归还或拒绝后才能销毁")

    def _record(self, current: dict, reason: str, actor: Actor, now) -> dict:
        template = get_template(current["template"])
        number = f"XH-{now.astimezone(SHANGHAI).year}-{self.repository.next_sequence('destruction_no'):06d}"
        return {"record_no": number, "archive_no": current["archive_no"], "template": template.name,
                "template_title": template.title, "created_at": current["created_at"],
                "last_version": current["version"], "retention_years": retention_years(current),
                "expires_on": expires_on(current).isoformat(), "destroyed_at": now,
                "destroyed_by": actor.id, "destroyed_by_name": actor.name, "role": actor.role,
                "reason": reason, "entries_removed": _entry_rows(template, current)}

    def record(self, record_no: str) -> dict:
        found = next(self.repository.scan(DESTRUCTIONS, {"_id": record_no}, limit=1), None) \
            if isinstance(record_no, str) else None
        if found is None:
            raise NotFound(str(record_no), what="destruction")
        return {k: v for k, v in found.items() if k != "_id"}

    def _active(self, archive_no: str) -> dict:
        current = self.repository.get(archive_no)
        if current.get("status") == "destroyed":
            raise Destroyed(f"档案 {archive_no} 已于 {_local_date(current['destruction']['at'])} 销毁")
        return current


def _entry_rows(template, document: dict) -> int:
    return sum(len(document.get("data", {}).get(t.key) or []) for _s, p, t in template.tables()
               if len(p) == 1)
