"""JSON responses (orjson) and the public view of a stored dossier."""
from __future__ import annotations

import datetime as dt

import orjson
from flask import Response, current_app, request, url_for

from schemas.model import Template
from service.actors import Actor
from service.clock import SHANGHAI
from service.dossiers import client_names
from service.masking import mask_document, without_internal

from .errors import etag_for


def _default(value):
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # stored UTC; some backends hand back naive datetimes
            value = value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(SHANGHAI).isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def dumps(value) -> bytes:
    return orjson.dumps(value, default=_default, option=orjson.OPT_PASSTHROUGH_DATETIME)


def json_response(value, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(dumps(value), status=status, mimetype="application/json")
    for name, header in (headers or {}).items():
        response.headers[name] = header
    return response


def public_url() -> str:
    """Where readers of a printed copy reach this service: DOSSIER_PUBLIC_URL or this request's host."""
    return current_app.config.get("DOSSIER_PUBLIC_URL") or request.host_url.rstrip("/")


def dossier_view(document: dict, template: Template, actor: Actor) -> dict:
    view = mask_document(document, template, actor.can("confidential.read"))
    view = without_internal(view)
    view["title"] = template.display_title
    view["links"] = {
        "self": url_for("dossiers.DossierItem", archive_no=document["archive_no"]),
        "pdf": url_for("dossiers.dossier_pdf", archive_no=document["archive_no"]),
        "versions": url_for("dossiers.dossier_versions", archive_no=document["archive_no"]),
    }
    return view


def dossier_summary(document: dict, template: Template) -> dict:
    return {
        "archive_no": document["archive_no"],
        "template": document["template"],
        "title": template.display_title,
        "name": " ".join(client_names(template, document.get("data", {}))),
        "classification": document.get("classification", {}),
        "status": document.get("status"),
        "version": document["version"],
        "confidentiality": document.get("confidentiality"),
        "completeness": (document.get("completeness") or {}).get("overall"),
        "updated_at": document.get("updated_at"),
        "links": {"self": url_for("dossiers.DossierItem", archive_no=document["archive_no"])},
    }


def etag_headers(document: dict) -> dict:
    return {"ETag": etag_for(document["archive_no"], document["version"])}
