"""Web pages: sign in, list, new, edit (If-Match through the version), entries, dossier, PDF.

Thin: each view reads the request, calls DossierService (the same operations as
the API) and draws a template. Inputs come from ``forms``; read-only layouts
from ``display``. Validation problems re-draw the form with the clerk's input
and the messages next to the inputs; a version conflict explains what the other
person changed and keeps the input.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request, url_for

from schemas.registry import UnknownTemplate, all_templates, get_template
from schemas.validation import CONFIDENTIALITY_LABELS, STATUS_LABELS, DossierInvalid
from service.api.body import check_text
from service.api.responses import public_url
from service.dossiers import client_names
from service.masking import mask_document
from service.printing import print_official_copy
from service.records.access import check_read, may_change, read_scope
from service.records.consent import SCOPE_WORDS, consent_state
from service.storage.errors import NotFound, VersionConflict

from . import display, forms, merge
from .auth import current_actor, sign_in, sign_out, signed_in

bp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static/web")

PAGE_SIZE = 20
COMPLETENESS_FILTERS = {"incomplete": (1.0, "未填完（低于 100%）"), "lt80": (0.8, "低于 80%"),
                        "lt50": (0.5, "低于 50%")}


def _service():
    return current_app.extensions["dossier"].dossiers


@bp.app_context_processor
def _globals():
    return {"actor": current_actor(), "templates_by_name": all_templates(),
            "confidentiality_labels": CONFIDENTIALITY_LABELS, "local_time": display.local_time,
            "status_labels": STATUS_LABELS, "consent_scopes": SCOPE_WORDS, "who": who,
            "consent_state": consent_state}


def who(key_id: str | None) -> str:
    """The name of the key that saved something (its id when it has no name or is gone)."""
    if not key_id:
        return ""
    names = g.setdefault("key_names", {})
    if key_id not in names:
        record = current_app.extensions["dossier"].keys.active(key_id)
        names[key_id] = (record or {}).get("name") or key_id
    return names[key_id]


# -- signing in ------------------------------------------------------------------
@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in_page():
    error = None
    if request.method == "POST":
        if sign_in(request.form.get("key", "")):
            return redirect(_safe_next(request.form.get("next")))
        error = "密钥无效或已停用，请核对后重新输入。"
    return render_template("sign_in.html", error=error, next=request.values.get("next", "")), \
        401 if error else 200


@bp.post("/sign-out")
def sign_out_page():
    sign_out()
    flash("您已退出登录。")
    return redirect(url_for("web.sign_in_page"))


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no scheme, no host): never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("web.dossier_list")


# -- list ---------------------------------------------------------------------------
@bp.get("/dossiers")
@signed_in("dossier.read")
def dossier_list():
    args = {k: request.args.get(k, "").strip() for k in
            ("q", "template", "region", "industry", "level", "completeness")}
    filters = {k: v for k, v in args.items() if v and k in ("q", "region", "industry", "level")}
    if args["template"] in all_templates():
        filters["template"] = args["template"]
    if args["completeness"] in COMPLETENESS_FILTERS:
        filters["completeness_lt"] = COMPLETENESS_FILTERS[args["completeness"]][0]
    filters.update(read_scope(current_actor()))
    cursor = request.args.get("cursor") or None
    items, next_cursor = _service().list(filters, PAGE_SIZE, cursor)
    rows = []
    for document in items:
        template = get_template(document["template"])
        rows.append((document, template, " ".join(client_names(template, document.get("data") or {}))))
    return render_template("list.html", rows=rows, args=args, query={k: v for k, v in args.items() if v},
                           next_cursor=next_cursor, cursor=cursor, completeness_filters=COMPLETENESS_FILTERS)


# -- new dossier --------------------------------------------------------------------
@bp.get("/dossiers/new")
@signed_in("dossier.create")
def choose_template():
    return render_template("choose.html")


@bp.route("/dossiers/new/<name>", methods=["GET", "POST"])
@signed_in("dossier.create")
def new_dossier(name):
    template = _template_or_404(name)
    values, envelope, errors = {}, {}, {}
    if request.method == "POST":
        raw = forms.read_submission(template, _pairs())
        try:
            saved = _service().create(raw, current_actor())
        except DossierInvalid as exc:
            values, envelope, errors = raw["data"], raw, forms.field_errors(exc.fields)
        else:
            _flash_saved(saved, "已建立档案")
            return redirect(url_for("web.dossier_page", archive_no=saved.document["archive_no"]))
    return _form_page(template, values, envelope, errors, status=400 if errors else 200)


def _form_page(template, values, envelope, errors, document=None, conflict=None, version=None, status=200):
    sections = forms.build_form(template, values, errors, document["archive_no"] if document else "")
    return render_template(
        "form.html", template=template, document=document, envelope=forms.envelope_values(envelope),
        errors=errors, sections=sections, anchors=forms.anchors(sections), conflict=conflict,
        version=version), status


# -- edit ---------------------------------------------------------------------------
@bp.route("/dossiers/<archive_no>/edit", methods=["GET", "POST"])
@signed_in("dossier.update")
def edit_dossier(archive_no):
    actor = current_actor()
    document = _writable(archive_no)
    template = get_template(document["template"])
    shown = mask_document(document, template, actor.can("confidential.read"))
    if request.method == "GET":
        return _form_page(template, shown["data"], forms.envelope_values(shown), {}, document,
                          version=document["version"])
    raw = forms.read_submission(template, _pairs(), editing=True)
    based_on = _posted_version()
    try:
        saved = _service().update(archive_no, raw, based_on, actor)
    except DossierInvalid as exc:
        return _form_page(template, raw["data"], raw, forms.field_errors(exc.fields), document,
                          version=based_on, status=400)
    except VersionConflict:
        values, envelope, conflict = _conflict(template, archive_no, based_on, document, raw)
        return _form_page(template, values, envelope, {}, document, conflict=conflict,
                          version=document["version"], status=409)
    _flash_saved(saved, "已保存修改")
    return redirect(url_for("web.dossier_page", archive_no=archive_no))


def _conflict(template, archive_no: str, based_on: int, current: dict, mine: dict):
    """The form after someone else saved first: the clerk's changes kept, the rest brought
    up to date (service/web/merge.py), and what the other person changed."""
    try:
        before = _service().get_version(archive_no, based_on)
    except NotFound:
        before = {"data": {}}
    cleared = current_actor().can("confidential.read")
    before = mask_document(before, template, cleared)
    after = mask_document(current, template, cleared)
    values, clashes = merge.merge_data(template, before.get("data", {}), after.get("data", {}), mine["data"])
    envelope, envelope_clashes = merge.merge_envelope(before, after, mine)
    conflict = {
        "based_on": based_on, "current": current["version"], "by": who(current.get("updated_by")),
        "at": display.local_time(current.get("updated_at")), "clashes": clashes + envelope_clashes,
        "changes": display.envelope_changes(before, after)
        + display.changes(template, before.get("data", {}), after.get("data", {})),
    }
    return values, envelope, conflict


# -- entries ------------------------------------------------------------------------
@bp.route("/dossiers/<archive_no>/entries/<block>", methods=["GET", "POST"])
@signed_in("dossier.update")
def add_entry(archive_no, block):
    document = _writable(archive_no)
    template = get_template(document["template"])
    table = _entry_table_or_404(template, block)
    row, errors, conflict = {}, {}, None
    version = document["version"]
    if request.method == "POST":
        row = forms.read_row(table, _pairs())
        based_on = _posted_version()
        try:
            saved = _service().append_entry(archive_no, table.key, row, based_on, current_actor())
        except DossierInvalid as exc:
            errors = _row_errors(forms.field_errors(exc.fields), table.key)
            version = based_on
        except VersionConflict:
            conflict = {"current": document["version"], "by": who(document.get("updated_by")),
                        "at": display.local_time(document.get("updated_at"))}
        else:
            _flash_saved(saved, f"已添加一条{table.label}")
            return redirect(url_for("web.dossier_page", archive_no=archive_no) + f"#block-{table.key}")
    inputs = forms.build_row(template, table, row, errors)
    return render_template("entry.html", template=template, document=document, table=table,
                           inputs=inputs, errors=errors, conflict=conflict, version=version), \
        (400 if errors else 409 if conflict else 200)


def _row_errors(errors: dict, key: str) -> dict:
    """Paths of the appended row ("records[3].status") → the entry form's names ("status")."""
    mapped = {}
    for name, messages in errors.items():
        head, _, rest = name.partition("].")
        if head.startswith(f"{key}[") and rest:
            mapped.setdefault(rest, []).extend(messages)
        else:
            mapped.setdefault(name, []).extend(messages)
    return mapped


# -- dossier page, versions, PDF ----------------------------------------------------
@bp.get("/dossiers/<archive_no>")
@signed_in("dossier.read")
def dossier_page(archive_no):
    return _show(archive_no, None)


@bp.get("/dossiers/<archive_no>/versions/<int:version>")
@signed_in("dossier.read")
def version_page(archive_no, version):
    return _show(archive_no, version)


def _show(archive_no: str, version: int | None):
    actor = current_actor()
    current = _readable(archive_no)
    document = current if version is None else _service().get_version(archive_no, version)  # v0: 404
    template = get_template(document["template"])
    shown = mask_document(document, template, actor.can("confidential.read"))
    entry_blocks = [t for _s, p, t in template.tables() if len(p) == 1 and t.entry]
    changeable = (version is None and actor.can("dossier.update") and current.get("status") != "destroyed"
                  and may_change(actor, current))  # no 修改档案 or 添加… that the save would refuse
    return render_template("dossier.html", template=template, document=shown, current=current,
                           sections=display.sections(template, shown.get("data") or {}, document["archive_no"]),
                           versions=_service().versions(archive_no), viewing=version,
                           entry_blocks=entry_blocks, changeable=changeable)


@bp.get("/dossiers/<archive_no>/pdf")
@signed_in("dossier.print")
def dossier_pdf(archive_no):
    """The official copy for the pages: the same renderer as GET /api/v1/dossiers/<no>/pdf."""
    version = _whole_number(request.args.get("version", ""))
    try:
        copy = print_official_copy(current_app.extensions["dossier"], archive_no, version, current_actor(),
                                   public_url())
    except NotFound:
        abort(404)
    return Response(copy.pdf, mimetype="application/pdf", headers={
        "Content-Disposition": copy.content_disposition, "Cache-Control": "no-store",
        "X-Copy-Serial": copy.serial})


# -- helpers ------------------------------------------------------------------------
def _pairs() -> list[tuple[str, str]]:
    """The submitted form, refused (400 page) for invalid UTF-8 and forbidden characters, as the API does."""
    pairs = [(k, v) for k, values in request.form.lists() for v in values]
    for key, value in pairs:
        check_text(key, form=True)
        check_text(value, form=True)
    return pairs


def _whole_number(text: str) -> int | None:
    """A version number as typed or posted; at most 18 digits, so it stays a MongoDB int64."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def _posted_version() -> int:
    """The version the form was drawn from; a mangled one is a bad request, not someone else's save."""
    version = _whole_number(request.form.get("_version", ""))
    if version is None:
        abort(400)
    return version


def _writable(archive_no: str) -> dict:
    """The dossier behind the edit and entry pages, refused (403/410 page) before anyone types into
    them when the save would be refused: DossierService.writable makes the checks the save makes."""
    _readable(archive_no)  # 404 and team scope, as on every page
    return _service().writable(archive_no, current_actor())


def _readable(archive_no: str) -> dict:
    try:
        document = _service().get(archive_no)
    except (NotFound, ValueError):
        abort(404)
    check_read(current_actor(), document)
    return document


def _template_or_404(name: str):
    try:
        return get_template(name)
    except UnknownTemplate:
        abort(404)


def _entry_table_or_404(template, block: str):
    for _s, path, table in template.tables():
        if len(path) == 1 and table.entry and table.key == block:
            return table
    abort(404)


def _flash_saved(saved, what: str) -> None:
    document = saved.document
    flash(f"{what}：{document['archive_no']}（第 {document['version']} 版）")
    for warning in saved.warnings:
        flash(warning, "warning")
