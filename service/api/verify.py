"""GET /api/v1/verify/<hash>: anyone holding a printed copy can check it against the store.

Public on purpose (the QR code on paper carries no key); it answers which
dossier and version the hash belongs to, never the content.
"""
from __future__ import annotations

import re

from flask import current_app
from flask_smorest import Blueprint

from .errors import ApiError
from .responses import json_response

blp = Blueprint("verify", __name__, url_prefix="/api/v1/verify", description="核验纸质正式档案")


@blp.route("/<content_hash>")
@blp.response(200)
def verify(content_hash: str):
    """Check a printed copy's fingerprint (no key needed; reveals no content)"""
    if not re.fullmatch(r"[0-9a-f]{64}", content_hash):
        raise ApiError(400, "invalid_hash", "校验码格式不正确（应为 64 位十六进制）")
    services = current_app.extensions["dossier"]
    found = services.repository.find_version_by_hash(content_hash)
    serials = services.records.copies.serials(content_hash)  # 复本编号 printed from this version
    if found is None and serials:
        raise ApiError(410, "destroyed", "此复本所属的档案已按保管期限销毁，复本不再有效")
    if found is None:
        raise ApiError(404, "not_found", "没有与此校验码相符的档案版本：此复本可能被篡改或不是本系统打印")
    return json_response({"valid": True, "archive_no": found["archive_no"], "version": found["version"],
                          "status": found.get("status"), "serials": serials,
                          "message": f"此复本与档案 {found['archive_no']} 第 {found['version']} 版一致"})
