"""Serial numbers of printed official copies (复本编号, e.g. ``FB-2026-000001``).

Every official copy printed gets the next serial of the year from the repository
counter (never reused), a row in ``official_copies`` (serial → dossier, version,
content hash, who, when) and an audit entry. ``GET /api/v1/verify/<hash>`` lists
the serials printed from a version, so a paper copy can be traced to its print.
"""
from __future__ import annotations

from service.actors import Actor
from service.clock import SHANGHAI, utcnow

COLLECTION = "official_copies"


class OfficialCopies:
    def __init__(self, repository, audit, clock=utcnow):
        self.repository, self.audit, self.clock = repository, audit, clock

    def reserve(self) -> str:
        """The next serial, printed on the copy; a render that then fails leaves a gap, not a record."""
        year = self.clock().astimezone(SHANGHAI).year
        return f"FB-{year}-{self.repository.next_sequence(f'copy_serial:{year}'):06d}"

    def record(self, document: dict, actor: Actor, serial: str) -> None:
        """Log a printed copy of ``document`` (a stored version) and audit the print."""
        now = self.clock()
        self.repository.append(COLLECTION, {
            "_id": serial, "serial": serial, "archive_no": document["archive_no"],
            "version": document["version"], "content_hash": document.get("content_hash"),
            "printed_at": now, "printed_by": actor.id})
        self.audit.record(actor, "dossier.print", document["archive_no"], document["version"],
                          {"serial": serial})

    def serials(self, content_hash: str) -> list[str]:
        return [c["serial"] for c in self.repository.scan(COLLECTION, {"content_hash": content_hash})]
