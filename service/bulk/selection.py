"""Which dossiers an export hands out, and how: filters, consent, masking, audit.

``Selection.items()`` streams ``(document, template)`` pairs from
``repository.iterate(filters)`` (a cursor fetched in batches: memory stays flat),
leaving out dossiers whose customer has not consented to export (客户主权,
``service.records.consent``) and masking confidential fields for roles without
``confidential.read``. Skipped dossiers are counted and listed (up to
``MAX_LISTED``) for the manifest / headers / audit entry. ``finish()`` records
one audit entry per export (``service.records.audit``).

Both records modules are optional imports: without them every dossier is
exported and nothing is audited.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from schemas.model import Template
from schemas.registry import get_template
from service.actors import Actor
from service.masking import mask_document

try:  # records management (consent + audit), written alongside this package
    from service.records.audit import AuditLog
    from service.records.consent import allows, require_consent
except ImportError:  # pragma: no cover - only without service/records
    AuditLog = allows = require_consent = None

MAX_LISTED = 1000
PURPOSE = "export"


@dataclass
class Selection:
    repository: Any
    filters: dict
    actor: Actor
    format: str
    remote_addr: str | None = None
    on_item: Callable[[], None] | None = None   # progress: called once per dossier read
    exported: int = 0
    skipped: int = 0
    skipped_list: list[dict] = field(default_factory=list)

    @property
    def masked(self) -> bool:
        return not self.actor.can("confidential.read")

    def items(self) -> Iterator[tuple[dict, Template]]:
        cleared = not self.masked
        for document in self.repository.iterate(self.filters):
            if self.on_item is not None:
                self.on_item()
            reason = consent_refusal(document)
            if reason:
                self._skip(document, reason)
                continue
            template = get_template(document["template"])
            self.exported += 1
            yield mask_document(document, template, cleared), template

    def _skip(self, document: dict, reason: str) -> None:
        self.skipped += 1
        if len(self.skipped_list) < MAX_LISTED:
            self.skipped_list.append({"archive_no": document["archive_no"], "reason": reason})

    def summary(self) -> dict:
        return {"exported": self.exported, "skipped": self.skipped, "skipped_dossiers": self.skipped_list,
                "masked": self.masked}

    def finish(self, completed: bool = True, **details) -> None:
        """One audit entry for the whole export (keys and numbers only, no personal values)."""
        if AuditLog is None:
            return
        AuditLog(self.repository).record(self.actor, "dossier.export", details={
            "format": self.format, "filters": audit_filters(self.filters), "exported": self.exported,
            "skipped": self.skipped, "skipped_archive_nos": [s["archive_no"] for s in self.skipped_list],
            "masked": self.masked, "completed": completed, **details}, remote_addr=self.remote_addr)


def consent_refusal(document: dict) -> str | None:
    """None when the customer's consent covers export, else the reason (Chinese)."""
    if allows is None or allows(document, PURPOSE):
        return None
    try:
        require_consent(document, PURPOSE)
    except Exception as exc:  # ConsentRequired: its message explains why
        reasons = getattr(exc, "fields", {}).get("consent") or [str(exc)]
        return reasons[0]
    return None


def audit_filters(filters: dict) -> dict:
    """Filter names and values, except the free-text search (it may hold a client's name)."""
    return {k: ("…" if k == "q" else str(v)) for k, v in filters.items() if v is not None}
