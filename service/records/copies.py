"""Serial numbers of printed official copies (复本编号, e.g. ``FB-2026-000001``).

Every official copy printed gets the next serial of the year from the repository
counter (never reused), a row in ``official_copies`` (serial → dossier, version,
content hash, who, when) and an audit entry. ``GET /api/v1/verify/<hash>`` lists
the serials printed from a version, so a paper copy can be traced to its print.
"""
from __future__ import annotations

import datetime as dt

from service.actors import Actor

COLLECTION = "official_copies"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0)


class OfficialCopies:
    def __init__(self, repository, audit, clock=utcnow):
        self.repository, self.audit, self.clock = repository, audit, clock

    def issue(self, document: dict, actor: Actor) -> str:
        """Reserve the serial of a copy of ``document`` (a stored version) and audit the print."""
        now = self.clock()
        year = now.astimezone(SHANGHAI).year
        serial = f"FB-{year}-{self.repository.next_sequence(f'copy_serial:{year}'):06d}"
        self.repository.append(COLLECTION, {
            "_id": serial, "serial": serial, "archive_no": document["archive_no"],
            "version": document["version"], "content_hash": document.get("content_hash"),
            "printed_at": now, "printed_by": actor.id})
        self.audit.record(actor, "dossier.print", document["archive_no"], document["version"],
                          {"serial": serial})
        return serial

    def serials(self, content_hash: str) -> list[str]:
        return [c["serial"] for c in self.repository.scan(COLLECTION, {"content_hash": content_hash})]
