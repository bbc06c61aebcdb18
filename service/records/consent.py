"""The customer's consent (客户主权): who agreed to what use, and the checks that enforce it.

The seed's rule: 未经客户同意，不得擅自查阅、使用和披露客户信息. Every dossier carries
``consent = {given, scope: [purposes], date, method, evidence}`` (plus ``withdrawn_at``
once withdrawn). Printing, export and disclosure call :func:`require_consent`, which
raises :class:`ConsentRequired` (HTTP 403, Chinese message) when the use is not covered.

Purposes asked by the code, and the scope words (as written on the consent form) that cover them:

============ ================================================ ==========================
purpose      covered when consent is given and scope …        when no consent recorded
============ ================================================ ==========================
``print``    anything (keeping the archive copy is part of     allowed (paper-era and
(存档打印)   holding the dossier at all)                       internal-report dossiers)
``export``   is empty, or has 内部服务 / 数据导出 / 导出         refused
(数据导出)
``disclose`` has 对外披露 / 第三方披露 / 披露                    refused
(对外披露)
============ ================================================ ==========================

A consent that was refused or withdrawn (``given`` false with a date, method, evidence
or ``withdrawn_at``) refuses every purpose, printing included, from the moment it is
recorded. "No consent recorded" is the default ``{given: false, scope: []}`` of a
dossier posted without one.

Public API (for ``service/bulk`` and the web pages)::

    from service.records.consent import require_consent, ConsentRequired
    require_consent(document, "export")      # raises ConsentRequired
"""
from __future__ import annotations

from service.clock import SHANGHAI
from service.records.errors import ConsentRequired, RecordsInvalid
from service.storage.errors import VersionConflict

PURPOSES = {
    "print": ("存档打印", None),  # None: any scope
    "export": ("数据导出", frozenset({"内部服务", "数据导出", "导出"})),
    "disclose": ("对外披露", frozenset({"对外披露", "第三方披露", "披露"})),
}
SCOPE_WORDS = ("内部服务", "存档打印", "数据导出", "对外披露")
_RECORD_KEYS = ("date", "method", "evidence", "withdrawn_at")

__all__ = ["require_consent", "allows", "ConsentRequired", "PURPOSES", "SCOPE_WORDS",
           "consent_state", "change"]


def consent_state(document: dict) -> str:
    """``given``, ``withdrawn`` (refused or withdrawn, on record) or ``none`` (never recorded)."""
    consent = document.get("consent") or {}
    if consent.get("given") is True:
        return "given"
    if any(consent.get(k) for k in _RECORD_KEYS):
        return "withdrawn"
    return "none"


def allows(document: dict, purpose: str) -> bool:
    label, words = _purpose(purpose)
    state = consent_state(document)
    if state == "withdrawn":
        return False
    if state == "none":
        return words is None
    scope = set((document.get("consent") or {}).get("scope") or [])
    if words is None:
        return True
    if purpose == "export" and not scope:
        return True
    return bool(scope & words)


def require_consent(document: dict, purpose: str) -> None:
    """Raise ConsentRequired unless the dossier's consent covers ``purpose`` (print/export/disclose)."""
    if allows(document, purpose):
        return
    label, words = _purpose(purpose)
    archive_no = document.get("archive_no", "")
    state = consent_state(document)
    if state == "withdrawn":
        reason = "客户已撤回或拒绝授权"
    elif state == "none":
        reason = "档案中没有客户授权记录"
    else:
        reason = f"客户授权范围不包括“{label}”（需包含：{'、'.join(sorted(words))}）"
    raise ConsentRequired(f"未经客户同意，不得{label}：档案 {archive_no} {reason}。"
                          "请先取得客户同意并登记（PUT /api/v1/dossiers/<档案编号>/consent）。",
                          {"consent": [reason]})


def change(dossiers, audit, archive_no: str, body, actor, expected_version: int | None = None) -> dict:
    """Record the customer giving (again) or withdrawing consent: a new version + an audit entry.

    ``body`` = ``{given, scope, date, method, evidence}`` (date defaults to today). A
    withdrawal empties the scope and stamps ``withdrawn_at``: every purpose is refused
    from this moment.
    """
    current = dossiers.writable(archive_no, actor)
    if expected_version is not None and current["version"] != expected_version:
        raise VersionConflict(archive_no, expected_version, current["version"])
    consent = _load(body, dossiers.clock())
    saved = dossiers.replace_envelope(current, {"consent": consent}, actor)
    audit.record(actor, "consent.change", archive_no, saved["version"],
                 {"given": consent["given"], "scope": consent["scope"]})
    return saved


def _load(body, now) -> dict:
    from marshmallow import ValidationError

    from schemas.validation import ConsentSchema, flatten_errors
    if not isinstance(body, dict):
        raise RecordsInvalid("请求内容应为一个 JSON 对象", {"_body": ["应为对象"]})
    try:
        loaded = ConsentSchema().load(body)
    except ValidationError as exc:
        raise RecordsInvalid("客户授权内容有误", flatten_errors(exc.messages, "")) from None
    today = now.astimezone(SHANGHAI).date()
    consent = {"given": loaded["given"], "scope": loaded.get("scope") or [],
               "date": (loaded.get("date") or today).isoformat(),
               "method": loaded.get("method", ""), "evidence": loaded.get("evidence", "")}
    if not consent["given"]:
        consent.update(scope=[], withdrawn_at=now.isoformat())
    return consent


def _purpose(purpose: str):
    if purpose not in PURPOSES:
        raise RecordsInvalid(f"未知的用途：{purpose}（可用：{'、'.join(PURPOSES)}）")
    return PURPOSES[purpose]
