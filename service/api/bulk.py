"""/api/v1/export and /api/v1/import: thin HTTP wrappers over ``service.bulk``.

Export streams (JSON Lines, CSV, PDF ZIP) straight from the repository cursor;
XLSX is built in a temporary file first. Import saves the upload to a temporary
file (read twice in all-or-nothing mode) and answers with the row report.
"""
from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app, request
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from schemas.registry import UnknownTemplate, get_template
from service.bulk.exporting import ExportRefused, audited, check_export, export_chunks
from service.bulk.importer import MODES, Importer
from service.bulk.readers import FORMATS, format_for, read_rows
from service.bulk.selection import Selection
from service.printing import verify_url

from .auth import require
from .docs_schemas import ErrorResponse, ListFilters
from .dossiers import local_since
from .errors import ApiError
from .responses import json_response, public_url

blp = Blueprint("bulk", __name__, url_prefix="/api/v1", description="批量导出与导入")

EXPORT_FORMATS = ("jsonl", "csv", "xlsx", "pdf-zip")
MIMETYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv", "pdf-zip": "application/zip",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
SUFFIX = {"jsonl": "jsonl", "csv": "csv", "xlsx": "xlsx", "pdf-zip": "zip"}
UPLOAD_TYPES = {"text/csv": "csv", "application/x-ndjson": "jsonl", "application/jsonl": "jsonl",
                "application/x-jsonlines": "jsonl", "application/json": "json",
                MIMETYPES["xlsx"]: "xlsx"}
DEFAULT_MAX_IMPORT = 256 * 1024 * 1024


class ExportQuery(ListFilters):
    format = fields.String(required=True, validate=validate.OneOf(EXPORT_FORMATS),
                           metadata={"description": "jsonl | csv | xlsx | pdf-zip"})
    headers = fields.String(load_default="labels", validate=validate.OneOf(("labels", "keys")),
                            metadata={"description": "CSV/XLSX 列名：labels（中文标签）或 keys"})
    summary = fields.Boolean(load_default=False, metadata={"description": "JSON Lines 末尾加一行 _summary"})
    workers = fields.Integer(validate=validate.Range(1, 64), metadata={"description": "PDF 并行进程数"})


class ImportQuery(Schema):
    format = fields.String(validate=validate.OneOf(FORMATS))
    template = fields.String()
    mode = fields.String(load_default="best_effort", validate=validate.OneOf(MODES))
    dry_run = fields.Boolean(load_default=False)


@blp.route("/export")
@blp.arguments(ExportQuery, location="query", as_kwargs=True, unknown=RAISE)
@blp.response(200, content_type="application/octet-stream")
@blp.alt_response(400, schema=ErrorResponse)
def export(format, headers="labels", summary=False, workers=None, **filters):
    """Export the dossiers matching the list filters (streamed; CSV needs template=)"""
    actor = require("dossier.export")
    local_since(filters)  # the list's rule: naive is Beijing time; out of range is a 400
    try:
        template = check_export(format, filters)
    except ExportRefused as exc:
        raise ApiError(400, exc.code, exc.message, exc.fields) from None
    selection = Selection(current_app.extensions["dossier"].repository, filters, actor, format,
                          remote_addr=request.remote_addr)
    chunks = export_chunks(selection, template, headers, workers, verify_url(public_url(), ""), summary)
    extra = {}
    if format == "xlsx":  # built before the first byte: its counts fit in headers
        extra = {"X-Export-Count": str(selection.exported), "X-Skipped": str(selection.skipped)}
    name = f"dossiers-{dt.datetime.now().strftime('%Y%m%d-%H%M%S')}.{SUFFIX[format]}"
    return _download(audited(chunks, selection), format, name, extra)


@blp.route("/import", methods=["POST"])
@blp.arguments(ImportQuery, location="query", as_kwargs=True, unknown=RAISE)
@blp.response(200)
@blp.alt_response(400, schema=ErrorResponse)
@blp.alt_response(422, schema=ErrorResponse)
def import_(format=None, template=None, mode="best_effort", dry_run=False):
    """Import dossiers from JSON Lines, CSV or XLSX (raw body or multipart field "file")"""
    actor = require("dossier.import")
    if template is not None:
        _template_filter(template)
    request.max_content_length = current_app.config.get("MAX_IMPORT_BYTES", DEFAULT_MAX_IMPORT)
    path, fmt = _save_upload(format)
    try:
        importer = Importer(current_app.extensions["dossier"].dossiers, actor, mode, dry_run)
        report = importer.run(lambda: read_rows(path, fmt, template)).as_dict()
    finally:
        path.unlink(missing_ok=True)
    unreadable = [e["reason"] for r in report["rows"] if r["row"] == 0 for e in r.get("errors", [])]
    if unreadable and all(r["row"] == 0 for r in report["rows"]):  # not one row could be read
        return json_response({"error": {"code": "unreadable_file", "message": unreadable[0],
                                        "fields": {"file": unreadable}}, "report": report}, 400)
    if mode == "all_or_nothing" and not dry_run and not report["written"]:
        bad = report["summary"]["invalid"]
        return json_response({"error": {
            "code": "import_rejected", "message": f"有 {bad} 行有误，按“全部或全不”模式未写入任何档案",
            "fields": {f"第{r['row']}行.{e['field']}": [e["reason"]]
                       for r in report["rows"] for e in r.get("errors", [])}},
            "report": report}, 422)
    return json_response(report)


def _template_filter(name):
    try:
        return get_template(name)
    except UnknownTemplate:
        raise ApiError(400, "unknown_template", f"没有名为“{name}”的档案模板", {"template": ["未知模板"]}) from None


def _download(chunks, format: str, name: str, headers: dict | None = None) -> Response:
    response = Response(chunks, mimetype=MIMETYPES[format], headers={
        "Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
        "X-Accel-Buffering": "no", **(headers or {})})
    if format in ("jsonl", "csv"):
        response.mimetype = MIMETYPES[format]
        response.headers["Content-Type"] = f"{MIMETYPES[format]}; charset=utf-8"
    return response


def _save_upload(explicit: str | None) -> tuple[Path, str]:
    """The request body (raw or the multipart field "file") in a temporary file, and its format."""
    handle = tempfile.NamedTemporaryFile(prefix="dossier-import-", delete=False)
    path = Path(handle.name)
    try:
        with handle:
            if request.mimetype == "multipart/form-data":
                upload = request.files.get("file")
                if upload is None:
                    raise ApiError(400, "file_required", "请用表单字段 file 上传要导入的文件")
                fmt = explicit or format_for(Path(upload.filename or ""))
                upload.save(handle)
            else:
                fmt = explicit or UPLOAD_TYPES.get(request.mimetype)
                while chunk := request.stream.read(64 * 1024):
                    handle.write(chunk)
        if fmt is None:
            raise ApiError(415, "unsupported_media_type", "无法判断导入文件的格式：请加 ?format=jsonl|csv|xlsx，"
                           "或使用 Content-Type text/csv、application/x-ndjson、application/vnd.openxmlformats-"
                           "officedocument.spreadsheetml.sheet")
        if path.stat().st_size == 0:
            raise ApiError(400, "empty_body", "导入文件为空")
        return path, fmt
    except BaseException:
        path.unlink(missing_ok=True)
        raise
