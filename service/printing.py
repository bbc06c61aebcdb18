"""Prints the official archive copy of a stored dossier version for an actor."""
from __future__ import annotations

import datetime as dt

from flask import current_app, request

from schemas.model import Template
from service.actors import Actor
from service.masking import mask_document
from service.render import render_official_copy


def verify_url(content_hash: str) -> str:
    base = current_app.config.get("DOSSIER_PUBLIC_URL") or request.host_url.rstrip("/")
    return f"{base}/api/v1/verify/{content_hash}"


def official_copy(document: dict, template: Template, actor: Actor, serial: str | None = None) -> bytes:
    masked = mask_document(document, template, actor.can("confidential.read"))
    return render_official_copy(masked, template, printed_at=dt.datetime.now(dt.timezone.utc),
                                verify_url=verify_url(document["content_hash"]), serial=serial)
