"""/api/v1/dossiers: create, read, list, update (If-Match), versions, entries, PDF."""
from __future__ import annotations

import datetime as dt

from flask import Response, current_app, request, url_for
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from schemas.registry import get_template
from service.clock import SHANGHAI
from service.dossiers import list_entries
from service.masking import has_confidential_values, mask_document
from service.printing import print_official_copy
from service.records.access import check_read, read_scope

from .auth import require
from .body import read_body, required_version
from .docs_schemas import Dossier, DossierInput, DossierPage, ErrorResponse, ListQuery
from .errors import ApiError
from .responses import dossier_summary, dossier_view, etag_headers, json_response, public_url

blp = Blueprint("dossiers", __name__, url_prefix="/api/v1/dossiers", description="客户档案")

MAX_PAGE = 100


def _service():
    return current_app.extensions["dossier"].dossiers


def _records():
    return current_app.extensions["dossier"].records


def _readable(actor, document: dict) -> dict:
    """Refuse dossiers outside the actor's team; audit a cleared read of confidential values."""
    check_read(actor, document)
    _audit_confidential_read(actor, document)
    return document


def _audit_confidential_read(actor, document: dict) -> None:
    if actor.can("confidential.read") and has_confidential_values(document, get_template(document["template"])):
        _records().audit.record(actor, "confidential.read", document["archive_no"], document["version"])


def _saved_response(saved, actor, status: int, extra_headers: dict | None = None, *, shows_stored: bool) -> Response:
    """The saved dossier; ``shows_stored``: it holds values the caller did not send (a read, audited)."""
    document = saved.document
    if shows_stored:
        _audit_confidential_read(actor, document)
    view = dossier_view(document, get_template(document["template"]), actor)
    view["warnings"] = saved.warnings
    return json_response(view, status, {**etag_headers(document), **(extra_headers or {})})


@blp.route("")
class DossierCollection(MethodView):
    @blp.arguments(ListQuery, location="query", as_kwargs=True, unknown=RAISE)
    @blp.response(200, DossierPage)
    @blp.alt_response(400, schema=ErrorResponse)
    def get(self, limit=20, cursor=None, **filters):
        """List dossiers (filters, cursor pagination)"""
        actor = require("dossier.read")
        filters.update(read_scope(actor))
        if not 1 <= limit <= MAX_PAGE:
            raise ApiError(400, "invalid_query", f"limit 应在 1 到 {MAX_PAGE} 之间", {"limit": ["超出范围"]})
        local_since(filters)
        items, next_cursor = _service().list(filters, limit, cursor)
        return json_response({
            "items": [dossier_summary(d, get_template(d["template"])) for d in items],
            "next_cursor": next_cursor,
        })

    @blp.doc(requestBody={"required": True, "content": {
        "application/json": {"schema": DossierInput},
        "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
        "multipart/form-data": {"schema": {"type": "object"}},
    }})
    @blp.response(201, Dossier)
    @blp.alt_response(400, schema=ErrorResponse)
    def post(self):
        """Create a dossier (JSON or web form)"""
        actor = require("dossier.create")
        saved = _service().create(read_body(request), actor)
        location = url_for("dossiers.DossierItem", archive_no=saved.document["archive_no"])
        return _saved_response(saved, actor, 201, {"Location": location}, shows_stored=False)  # what they sent


@blp.route("/<archive_no>")
class DossierItem(MethodView):
    @blp.response(200, Dossier)
    @blp.alt_response(404, schema=ErrorResponse)
    def get(self, archive_no):
        """Read a dossier (its ETag is needed to change it)"""
        actor = require("dossier.read")
        document = _readable(actor, _service().get(archive_no))
        view = dossier_view(document, get_template(document["template"]), actor)
        if document.get("status") != "destroyed":
            view["loan"] = _records().loans.holder(archive_no)  # who holds the paper dossier now
            view["retention_status"] = _records().retention.status(document)
        return json_response(view, 200, etag_headers(document))

    @blp.doc(parameters=[{"in": "header", "name": "If-Match", "required": True, "schema": {"type": "string"}}],
             requestBody={"required": True, "content": {"application/json": {"schema": DossierInput}}})
    @blp.response(200, Dossier)
    @blp.alt_response(412, schema=ErrorResponse)
    @blp.alt_response(428, schema=ErrorResponse)
    def patch(self, archive_no):
        """Change a dossier (merge patch on data; null removes a field); a new version each time"""
        actor = require("dossier.update")
        version = required_version(request, archive_no)
        saved = _service().update(archive_no, read_body(request), version, actor)
        return _saved_response(saved, actor, 200, shows_stored=True)


@blp.route("/<archive_no>/versions")
@blp.response(200)
def dossier_versions(archive_no):
    """Every version of a dossier, oldest first"""
    actor = require("dossier.read")
    check_read(actor, _service().get(archive_no))
    versions = _service().versions(archive_no)
    for v in versions:
        v["links"] = {"self": url_for("dossiers.dossier_version", archive_no=archive_no, version=v["version"])}
    return json_response({"archive_no": archive_no, "versions": versions})


@blp.route("/<archive_no>/versions/<int:version>")
@blp.response(200, Dossier)
def dossier_version(archive_no, version):
    """One earlier version, as it was saved"""
    actor = require("dossier.read")
    check_read(actor, _service().get(archive_no))
    document = _readable(actor, _service().get_version(archive_no, version))
    return json_response(dossier_view(document, get_template(document["template"]), actor))


@blp.route("/<archive_no>/entries/<block>", methods=["GET", "POST"])
@blp.response(200)
@blp.alt_response(201, schema=Dossier)
def dossier_entries(archive_no, block):
    """List or append records of a repeating block (visits, support records …); POST needs If-Match"""
    if request.method == "GET":
        actor = require("dossier.read")
        document = _readable(actor, _service().get(archive_no))
        template = get_template(document["template"])
        masked = mask_document(document, template, actor.can("confidential.read"))
        table, entries = list_entries(template, masked, block)
        return json_response({"archive_no": archive_no, "block": table.key, "label": table.label,
                              "entries": entries})
    actor = require("dossier.update")
    version = required_version(request, archive_no)
    saved = _service().append_entry(archive_no, block, read_body(request), version, actor)
    return _saved_response(saved, actor, 201, shows_stored=True)


def local_since(filters: dict) -> None:
    """updated_since (list, export): a naive time is Beijing time; one the store cannot hold is a 400."""
    since = filters.get("updated_since")
    if since is None:
        return
    if since.tzinfo is None:  # a clerk's wall-clock time is Beijing time
        since = filters["updated_since"] = since.replace(tzinfo=SHANGHAI)
    try:
        since.astimezone(dt.timezone.utc)  # BSON stores UTC: 0001-01-01 (Beijing) is before year 1
    except OverflowError:
        raise ApiError(400, "invalid_query", "updated_since 超出可用的日期范围（公元 1 年至 9999 年）",
                       {"updated_since": ["日期超出范围"]}) from None


def _version_param() -> int | None:
    raw = request.args.get("version")
    if raw is None:
        return None
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:  # "²".isdigit(); int() refuses > 4300 digits
        raise ApiError(400, "invalid_query", "version 应为正整数", {"version": [f"“{raw}”不是版本号"]})
    return int(raw)


@blp.route("/<archive_no>/pdf")
@blp.response(200, content_type="application/pdf")
@blp.alt_response(404, schema=ErrorResponse)
def dossier_pdf(archive_no):
    """The official archive copy (PDF/A-3b), optionally of an earlier ?version=N"""
    actor = require("dossier.print")
    copy = print_official_copy(current_app.extensions["dossier"], archive_no, _version_param(), actor,
                               public_url())
    return Response(copy.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": copy.content_disposition, **etag_headers(copy.document),
        "X-Copy-Serial": copy.serial})
