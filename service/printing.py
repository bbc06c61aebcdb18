"""Prints the official archive copy of a stored dossier version: the one path for API, pages and CLI.

Order matters: access, destruction and consent are checked against the
*current* dossier (a withdrawal of consent stops every later print at once,
also of older versions); the serial is reserved and audited before rendering.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

from schemas.model import Template
from schemas.registry import get_template
from service.actors import Actor
from service.masking import mask_document
from service.records.access import check_read
from service.records.consent import require_consent
from service.records.errors import Destroyed
from service.render import render_official_copy


@dataclass
class PrintedCopy:
    pdf: bytes
    document: dict
    template: Template
    serial: str

    @property
    def content_disposition(self) -> str:
        """RFC 6266: the Chinese title in filename*, the archive number as ASCII fallback."""
        archive_no = self.document["archive_no"]
        filename = f"{self.template.display_title}-{archive_no}.pdf"
        return f"inline; filename=\"{archive_no}.pdf\"; filename*=UTF-8''{quote(filename)}"


def print_official_copy(services, archive_no: str, version: int | None, actor: Actor,
                        public_url: str) -> PrintedCopy:
    """``public_url`` is where readers of the paper reach this service (printed in the QR code)."""
    current = services.dossiers.get(archive_no)
    check_read(actor, current)
    if current.get("status") == "destroyed":
        raise Destroyed(f"档案 {archive_no} 已销毁，不能打印")
    require_consent(current, "print")
    document = services.dossiers.get_version(archive_no, version) if version is not None else current
    template = get_template(document["template"])
    copies = services.records.copies
    serial = copies.reserve()
    pdf = official_copy(document, template, actor, serial, public_url)
    copies.record(document, actor, serial)  # only a copy that exists is logged as printed
    return PrintedCopy(pdf, document, template, serial)


def verify_url(public_url: str, content_hash: str) -> str:
    return f"{public_url.rstrip('/')}/api/v1/verify/{content_hash}"


def official_copy(document: dict, template: Template, actor: Actor, serial: str | None, public_url: str) -> bytes:
    masked = mask_document(document, template, actor.can("confidential.read"))
    return render_official_copy(masked, template, printed_at=dt.datetime.now(dt.timezone.utc),
                                verify_url=verify_url(public_url, document["content_hash"]), serial=serial)
