"""Web pages for staff: server-rendered forms derived from the templates (issue 6).

``init_app(app)`` registers the ``web`` blueprint, CSRF protection and the
session cookie settings. CSRF is checked for the web blueprint only
(``WTF_CSRF_CHECK_DEFAULT = False`` + ``csrf.protect()`` before each web
request): the /api/v1 blueprints authenticate with Bearer keys, not cookies,
so every API blueprint, present or future, is exempt without being listed.
Errors on web routes are answered with a page in Chinese, never JSON.
"""
from __future__ import annotations

import datetime as dt
import logging

from flask import Flask, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from service.api.body import parse_urlencoded
from service.api.errors import ApiError
from service.records.errors import RecordsError
from service.storage.errors import NotFound

from .views import bp

log = logging.getLogger(__name__)
csrf = CSRFProtect()

ERROR_TEXT = {
    400: ("请求有误", "提交的内容无法处理，请返回上一页检查后重试。"),
    403: ("没有权限", "您的角色不能执行此操作。如需权限，请联系管理员。"),
    404: ("找不到页面", "您要找的档案或页面不存在，可能编号有误。"),
    405: ("操作方式不对", "此页面不支持该操作，请从页面上的按钮进入。"),
    413: ("内容太长，未能保存", "本次提交的内容超过了系统上限（{limit}）。请删减过长的文字"
          "（单行文字最多 2000 字，多行文字最多 20000 字）后再保存；已填写的内容请先另行复制保存。"),
}


def init_app(app: Flask) -> None:
    app.config.setdefault("WTF_CSRF_CHECK_DEFAULT", False)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # valid while the session lasts
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      PERMANENT_SESSION_LIFETIME=dt.timedelta(hours=8))  # a working day
    csrf.init_app(app)
    if not getattr(bp, "_csrf_registered", False):  # one blueprint object, many apps (tests)
        bp._csrf_registered = True
        bp.before_request(_form_must_be_utf8)  # first: the CSRF check parses the form
        bp.before_request(csrf.protect)
    _register_errors()
    app.register_blueprint(bp)


def _form_must_be_utf8() -> None:
    """An urlencoded body with invalid UTF-8 is refused (400 page) as the API refuses it, not stored
    as "%FF%FE"; the body is cached so that the form parser reads it afterwards."""
    if request.mimetype == "application/x-www-form-urlencoded":
        parse_urlencoded(request.get_data(cache=True))


def _register_errors() -> None:
    if getattr(bp, "_errors_registered", False):  # one blueprint object, many test apps
        return
    bp._errors_registered = True

    @bp.errorhandler(CSRFError)
    def _csrf(exc):
        return render_template("error.html", title="页面已过期",
                               message="为保护您的数据，表单需要在同一次登录中提交。请刷新页面（您的输入可能需要重新填写）后再试。"), 400

    @bp.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        title, message = ERROR_TEXT.get(exc.code or 500, ("请求失败", exc.description or ""))
        return render_template("error.html", title=title,
                               message=message.format(limit=_size_text())), exc.code or 500

    @bp.errorhandler(RecordsError)
    def _records(exc: RecordsError):
        return render_template("error.html", title="无法执行", message=exc.message), exc.status

    @bp.errorhandler(ApiError)
    def _api(exc: ApiError):
        return render_template("error.html", title="提交的内容有误", message=exc.message), exc.status

    @bp.errorhandler(NotFound)
    def _not_found(exc: NotFound):
        return render_template("error.html", title=ERROR_TEXT[404][0], message=f"找不到：{exc.key}"), 404


_register_errors()


def _size_text() -> str:
    from flask import current_app
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return f"{limit / 1024 / 1024:.1f} MB" if limit else "上限"
