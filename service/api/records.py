"""/api/v1 records management: consent, lending, retention/hold/destruction, audit trail.

Thin views: parse, check the permission by action (service/actors.py), call
service/records, answer JSON. Domain refusals (ConsentRequired, LoanStateError,
NotExpired, OnHold …) become the one error shape in errors.py.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import quote

from flask import Response, current_app, request
from flask_smorest import Blueprint

from schemas.registry import get_template
from service.records import consent as consent_rules
from service.records.access import check_read
from service.records.certificate import render_certificate
from service.records.lending import STEPS

from .auth import require
from .body import read_body
from .errors import ApiError
from .responses import dossier_view, etag_headers, json_response

blp = Blueprint("records", __name__, url_prefix="/api/v1", description="档案管理：授权、借阅、保管期限、销毁、审计")
MAX_AUDIT_PAGE = 500
STEP_FIELDS = {"verify": (), "refuse": ("reason",), "lend": ("borrower", "due_date"), "return": ()}


def _services():
    return current_app.extensions["dossier"]


def _records():
    return _services().records


def _json_object() -> dict:
    body = read_body(request)
    if not isinstance(body, dict):
        raise ApiError(400, "bad_request", "请求内容应为一个 JSON 对象")
    return body


def _body(*names: str) -> dict:
    """The request's JSON object, holding no names but ``names`` (a misspelt field is not ignored)."""
    body = _json_object()
    unknown = sorted(set(body) - set(names))
    if unknown:
        expected = "、".join(names) or "（无）"
        raise ApiError(400, "unknown_field", f"不认识的字段：{'、'.join(unknown)}（可用：{expected}）",
                       {n: ["未知字段"] for n in unknown})
    return body


def _dossier(archive_no: str, actor) -> dict:
    document = _services().dossiers.get(archive_no)
    check_read(actor, document)
    return document


def _saved(document: dict, actor) -> Response:
    view = dossier_view(document, get_template(document["template"]), actor)
    return json_response(view, 200, etag_headers(document))


def _if_match(archive_no: str) -> int | None:
    """If-Match is optional here (a withdrawal must never wait); when given it is checked."""
    if not request.headers.get("If-Match"):
        return None
    from .body import required_version
    return required_version(request, archive_no)


# -- consent (客户主权) ---------------------------------------------------------
@blp.route("/dossiers/<archive_no>/consent", methods=["GET"])
@blp.response(200)
def get_consent(archive_no):
    """The customer's consent and which uses it allows (print, export, disclose)"""
    actor = require("dossier.read")
    document = _dossier(archive_no, actor)
    return json_response({"archive_no": archive_no, "consent": document.get("consent") or {},
                          "state": consent_rules.consent_state(document),
                          "allows": {p: consent_rules.allows(document, p) for p in consent_rules.PURPOSES}})


@blp.route("/dossiers/<archive_no>/consent", methods=["PUT"])
@blp.response(200)
def put_consent(archive_no):
    """Record consent given (scope, date, method, evidence) or withdrawn (given: false); a new version"""
    actor = require("consent.manage")
    _dossier(archive_no, actor)
    saved = consent_rules.change(_services().dossiers, _records().audit, archive_no, _json_object(), actor,
                                 _if_match(archive_no))
    return _saved(saved, actor)


# -- lending (借阅) -------------------------------------------------------------
@blp.route("/dossiers/<archive_no>/loans", methods=["GET"])
@blp.response(200)
def dossier_loans(archive_no):
    """The lending register of a dossier"""
    actor = require("loan.read")
    _dossier(archive_no, actor)
    return json_response({"archive_no": archive_no, "loans": _records().loans.register(archive_no)})


@blp.route("/dossiers/<archive_no>/loans", methods=["POST"])
@blp.response(201)
def request_loan(archive_no):
    """Ask to borrow a dossier: {purpose, due_date?}"""
    actor = require("loan.request")
    _dossier(archive_no, actor)
    body = _body("purpose", "due_date")
    loan = _records().loans.request(archive_no, actor, body.get("purpose"), body.get("due_date"))
    return json_response(loan, 201, {"Location": f"/api/v1/loans/{loan['loan_no']}"})


@blp.route("/loans", methods=["GET"])
@blp.response(200)
def list_loans():
    """Loans, optionally ?state=requested|verified|refused|lent|returned or ?overdue=1"""
    require("loan.read")
    _known_args("state", "overdue")
    state = request.args.get("state") or None
    if state is not None and state not in ("requested", "verified", "refused", "lent", "returned"):
        raise ApiError(400, "invalid_query", "state 应为 requested、verified、refused、lent 或 returned")
    if request.args.get("overdue", "0") not in ("0", "1", "true", "false"):
        raise ApiError(400, "invalid_query", "overdue 应为 1 或 0")
    overdue = request.args.get("overdue") in ("1", "true")
    return json_response({"loans": _records().loans.listing(state, overdue)})


@blp.route("/loans/<loan_no>", methods=["GET"])
@blp.response(200)
def get_loan(loan_no):
    """One loan with its history"""
    require("loan.read")
    return json_response(_records().loans.view(loan_no))


@blp.route("/loans/<loan_no>/<step>", methods=["POST"])
@blp.response(200)
def loan_step(loan_no, step):
    """verify | refuse {reason} | lend {borrower, due_date} | return"""
    if step not in STEPS:
        raise ApiError(404, "not_found", f"借阅没有“{step}”这一步（可用：verify、refuse、lend、return）")
    actor = require(STEPS[step][2])
    body = _body(*STEP_FIELDS[step]) if request.content_length else {}
    return json_response(_records().loans.advance(loan_no, step, actor, body))


# -- retention, hold, destruction (保管期限, 销毁) ----------------------------
@blp.route("/retention/due", methods=["GET"])
@blp.response(200)
def retention_due():
    """Dossiers whose retention period has ended (on_hold ones flagged)"""
    require("retention.read")
    _known_args()
    return json_response({"today": _records().retention.today().isoformat(), "due": _records().retention.due()})


@blp.route("/dossiers/<archive_no>/retention", methods=["PUT"])
@blp.response(200)
def put_retention(archive_no):
    """Change a dossier's retention period: {years}"""
    actor = require("retention.manage")
    _dossier(archive_no, actor)
    return _saved(_records().retention.set_years(archive_no, _body("years").get("years"), actor), actor)


@blp.route("/dossiers/<archive_no>/hold", methods=["PUT", "DELETE"])
@blp.response(200)
def hold(archive_no):
    """Put a legal hold (PUT {reason}) that suspends destruction, or release it (DELETE)"""
    actor = require("retention.manage")
    _dossier(archive_no, actor)
    retention = _records().retention
    if request.method == "DELETE":
        return _saved(retention.release_hold(archive_no, actor), actor)
    return _saved(retention.set_hold(archive_no, _body("reason").get("reason"), actor), actor)


@blp.route("/dossiers/<archive_no>/destroy", methods=["POST"])
@blp.response(201)
def destroy(archive_no):
    """Destroy an expired dossier not on hold: {reason}; answers the destruction record"""
    actor = require("dossier.destroy")
    _dossier(archive_no, actor)
    record = _records().retention.destroy(archive_no, _body("reason").get("reason"), actor)
    return json_response(record, 201, {"Location": f"/api/v1/destructions/{record['record_no']}"})


@blp.route("/destructions/<record_no>", methods=["GET"])
@blp.response(200)
def destruction(record_no):
    """A destruction record (销毁记录)"""
    require("retention.read")
    _known_args()
    return json_response(_records().retention.record(record_no))


@blp.route("/destructions/<record_no>/pdf", methods=["GET"])
@blp.response(200, content_type="application/pdf")
def destruction_pdf(record_no):
    """The destruction certificate as PDF"""
    require("retention.read")
    pdf = render_certificate(_records().retention.record(record_no))
    name = quote(f"销毁记录-{record_no}.pdf")
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"inline; filename=\"{record_no}.pdf\"; filename*=UTF-8''{name}"})


# -- audit trail (可追溯性) ----------------------------------------------------
@blp.route("/audit", methods=["GET"])
@blp.response(200)
def audit_entries():
    """Audit entries: ?dossier= &actor= &action= &since= &until= (ISO date/time) &limit= &after=<seq>"""
    require("audit.read")
    _known_args("dossier", "actor", "action", "since", "until", "limit", "after")
    args = request.args
    filters = {"archive_no": args.get("dossier"), "actor": args.get("actor"), "action": args.get("action")}
    entries = _records().audit.entries(filters, _time(args.get("since"), "since"), _time(args.get("until"), "until"),
                                       _int(args.get("limit"), "limit", 100, 1, MAX_AUDIT_PAGE),
                                       _int(args.get("after"), "after", None, 0, 10**12))
    return json_response({"entries": entries, "next_after": entries[-1]["seq"] if entries else None})


@blp.route("/audit/verify", methods=["GET"])
@blp.response(200)
def audit_verify():
    """Check the hash chain; names the first missing or edited entry"""
    require("audit.read")
    result = _records().audit.verify()
    return json_response(result.as_dict())


def _known_args(*names: str) -> None:
    """A 400 for query parameters this route does not know: a misspelt filter must not widen the answer."""
    unknown = sorted(set(request.args) - set(names))
    if unknown:
        raise ApiError(400, "invalid_query", f"不认识的查询参数：{'、'.join(unknown)}", {n: ["未知参数"] for n in unknown})


def _time(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ApiError(400, "invalid_query", f"{name} 应为 ISO 日期或时间，如 2026-10-12 或 2026-10-12T08:00:00+08:00",
                       {name: ["格式不正确"]}) from None
    if moment.tzinfo is None:  # a clerk's local time
        moment = moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=8)))
    if name == "until" and len(value) == 10:
        moment += dt.timedelta(days=1) - dt.timedelta(seconds=1)
    return moment


def _int(value: str | None, name: str, default, low: int, high: int):
    if value is None or value == "":
        return default
    if not (value.isascii() and value.isdigit()) or len(value) > 18 or not low <= int(value) <= high:
        raise ApiError(400, "invalid_query", f"{name} 应为 {low} 到 {high} 之间的整数", {name: ["超出范围"]})
    return int(value)
