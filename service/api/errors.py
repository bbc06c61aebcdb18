"""One error shape for every failure: {"error": {"code", "message", "fields"}}.

Domain errors (validation, storage) are raised by the lower layers without
knowing HTTP; this module maps each to a status code and a message a
Chinese-speaking clerk understands. Any unexpected exception is a bug: it is
logged and answered with the same shape and a 500.
"""
from __future__ import annotations

import logging

import orjson
from flask import Flask, Response
from werkzeug.exceptions import HTTPException

from schemas.registry import UnknownTemplate
from schemas.validation import DossierInvalid, flatten_errors
from service.records.errors import RecordsError
from service.storage.errors import DuplicateKey, NotFound, VersionConflict

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict | None = None, headers=None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields or {}
        self.headers = headers or {}


HTTP_MESSAGES = {
    400: ("bad_request", "请求格式不正确"),
    401: ("unauthorized", "请先登录：请求需要 API 密钥（Authorization: Bearer …）"),
    403: ("forbidden", "没有权限执行此操作"),
    404: ("not_found", "找不到请求的地址"),
    405: ("method_not_allowed", "此地址不支持该请求方法"),
    406: ("not_acceptable", "无法提供所要求的格式"),
    413: ("body_too_large", "提交的内容过大，请分批提交或删减附件"),
    415: ("unsupported_media_type", "不支持的内容类型，请使用 JSON 或表单提交"),
    422: ("unprocessable", "请求内容无法处理"),
    429: ("too_many_requests", "请求过于频繁，请稍后再试"),
}


def error_response(status: int, code: str, message: str, fields: dict | None = None, headers=None) -> Response:
    body = orjson.dumps({"error": {"code": code, "message": message, "fields": fields or {}}})
    response = Response(body, status=status, mimetype="application/json")
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def http_error(exc: HTTPException) -> Response:
    messages = (getattr(exc, "data", None) or {}).get("messages")
    if exc.code == 422 and messages:  # webargs could not parse query parameters
        fields = {}
        for location in messages.values():
            fields.update(flatten_errors(location, ""))
        return error_response(400, "invalid_query", "查询参数有误，请按提示修改", fields)
    code, message = HTTP_MESSAGES.get(exc.code or 500, ("http_error", exc.description or "请求失败"))
    response = error_response(exc.code or 500, code, message)
    if exc.code == 405 and getattr(exc, "valid_methods", None):
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response


def register(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return error_response(exc.status, exc.code, exc.message, exc.fields, exc.headers)

    @app.errorhandler(DossierInvalid)
    def _invalid(exc: DossierInvalid):
        return error_response(400, "validation_failed", exc.message, exc.fields)

    @app.errorhandler(UnknownTemplate)
    def _unknown_template(exc: UnknownTemplate):
        return error_response(404, "unknown_template", f"没有名为“{exc.name}”的档案模板")

    @app.errorhandler(RecordsError)
    def _records(exc: RecordsError):  # ConsentRequired/AccessDenied 403, LoanStateError/NotExpired/OnHold 409
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound):
        what = {"dossier": "档案", "version": "档案版本", "loan": "借阅单", "loans": "借阅单",
                "destruction": "销毁记录"}.get(exc.what, exc.what)
        return error_response(404, "not_found", f"找不到{what}：{exc.key}")

    @app.errorhandler(VersionConflict)
    def _conflict(exc: VersionConflict):
        return error_response(
            412, "version_conflict",
            f"档案 {exc.key} 已被他人修改（您基于第 {exc.expected} 版，当前为第 {exc.current} 版）。"
            "请重新打开档案查看最新内容后再保存。",
            {"If-Match": [f"当前版本的 ETag 为 {etag_for(exc.key, exc.current)}"]},
            {"ETag": etag_for(exc.key, exc.current)})

    @app.errorhandler(DuplicateKey)
    def _duplicate(exc: DuplicateKey):
        return error_response(409, "duplicate", f"编号 {exc.key} 已存在")

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        return http_error(exc)

    @app.errorhandler(Exception)
    def _bug(exc: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_error", "服务器内部错误，已记录日志，请联系管理员")


def etag_for(archive_no: str, version: int) -> str:
    return f'"{archive_no}-v{version}"'
