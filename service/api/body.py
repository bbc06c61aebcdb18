"""Reads request bodies from every channel into one nested dict.

JSON, ``application/x-www-form-urlencoded`` and ``multipart/form-data`` (web
forms) all arrive here. Bad input is refused before it reaches validation:
invalid UTF-8, NUL and other characters XML forbids (schemas.text), nesting deeper than any form needs, unknown
content types. Form names that are ASCII key paths (``trader.phone``,
``contacts[0].name``) become nested objects; any other name (a Chinese label,
``20.公司名称``) is passed on as written for schemas.resolve to match.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl

import orjson
from flask import Request

from schemas.text import duplicate_names, forbidden_character, forbidden_characters

from .errors import ApiError

MAX_DEPTH = 16
ENVELOPE_FORM_FIELDS = {"template", "confidentiality", "classification", "consent", "retention"}
_KEY_PATH = re.compile(r"[a-z][a-z0-9_]*((\[\d{1,4}\])|(\.[a-z][a-z0-9_]*))*")
_SEGMENT = re.compile(r"\[(\d+)\]|\.?([a-z][a-z0-9_]*)")


def read_body(request: Request) -> object:
    mimetype = request.mimetype
    if mimetype == "application/json" or mimetype.endswith("+json"):
        return _read_json(request.get_data(cache=False))
    if mimetype == "application/x-www-form-urlencoded":
        return form_to_object(parse_urlencoded(request.get_data(cache=False)))
    if mimetype == "multipart/form-data":
        if request.files:
            raise ApiError(400, "files_not_supported", "不支持在档案中上传文件，请只提交表单内容")
        pairs = [(k, v) for k, values in request.form.lists() for v in values]
        for key, value in pairs:
            check_text(key)
            check_text(value, form=True)
        return form_to_object(pairs)
    raise ApiError(415, "unsupported_media_type",
                   "不支持的内容类型，请使用 application/json、application/x-www-form-urlencoded 或 multipart/form-data")


def _read_json(raw: bytes) -> object:
    raw = raw.removeprefix(b"\xef\xbb\xbf")  # a UTF-8 byte order mark (Windows editors) is not content
    if not raw.strip():
        raise ApiError(400, "empty_body", "请求内容为空")
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_utf8", f"请求内容不是有效的 UTF-8 编码（第 {exc.start} 字节）") from None
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise ApiError(400, "malformed_json", f"JSON 格式错误：第 {exc.lineno} 行第 {exc.colno} 列附近无法解析",
                       {"_body": [str(exc)]}) from None
    _check_depth(value, 0)
    _check_duplicate_names(raw)
    problems = forbidden_characters(value, "")
    if problems:
        first = next(iter(problems.values()))[0]
        code = "nul_character" if "NUL" in first else "forbidden_character"
        raise ApiError(400, code, f"内容中{first}", problems)
    return value


def _check_duplicate_names(raw: bytes) -> None:
    """A name given twice in one object is refused: parsers silently keep the last one."""
    twice = duplicate_names(raw)
    if twice:
        raise ApiError(400, "duplicate_name", f"同一对象中重复出现字段名：{'、'.join(twice)}",
                       {name: ["字段名重复，只能出现一次"] for name in twice})


def _check_depth(value, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise ApiError(400, "too_deep", f"内容嵌套层数过多（最多 {MAX_DEPTH} 层）")
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    for inner in children:
        _check_depth(inner, depth + 1)


def check_text(text: str, form: bool = False) -> None:
    problem = forbidden_character(text)
    if problem:
        raise ApiError(400, "nul_character" if "\x00" in text else "forbidden_character", f"内容中{problem}")
    if form and "\ufffd" in text:  # werkzeug decodes bad bytes in form fields as U+FFFD
        raise ApiError(400, "invalid_utf8", "表单内容不是有效的 UTF-8 编码")


def parse_urlencoded(raw: bytes) -> list[tuple[str, str]]:
    """Strictly: werkzeug's own parser keeps invalid UTF-8 as re-quoted text ("%ff" → "%FF")."""
    try:
        pairs = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise ApiError(400, "invalid_utf8", "表单内容不是有效的 UTF-8 编码") from None
    for key, value in pairs:
        check_text(key)
        check_text(value)
    return pairs


def form_to_object(pairs: list[tuple[str, str]]) -> dict:
    """Flat form pairs → envelope dict; repeated names become lists."""
    grouped: dict[str, list[str]] = {}
    for key, value in pairs:
        grouped.setdefault(key, []).append(value)
    envelope: dict = {"data": {}}
    for name, values in grouped.items():
        value = values if len(values) > 1 else values[0]
        head = name.split(".", 1)[0]
        if head in ENVELOPE_FORM_FIELDS:
            _set_path(envelope, name, value)
        else:
            name = name.removeprefix("data.")
            if _KEY_PATH.fullmatch(name):
                _set_path(envelope["data"], name, value)
            else:
                envelope["data"][name] = value
    if isinstance(envelope.get("consent"), dict):
        scope = envelope["consent"].get("scope")
        if isinstance(scope, str):
            envelope["consent"]["scope"] = [scope] if scope.strip() else []
    return envelope


def _set_path(target: dict, name: str, value) -> None:
    """Set ``value`` at an ASCII key path; a path that clashes with another form name is a 400."""
    segments = [int(i) if i else key for i, key in _SEGMENT.findall(name)]

    def clash():
        return ApiError(400, "conflicting_names", f"表单字段“{name}”与同一表单中的其他字段名冲突",
                        {name: ["同一位置既有单个值又有下级内容"]})

    if not segments:
        raise clash()
    node = target
    for segment, following in zip(segments, segments[1:]):
        container_type = list if isinstance(following, int) else dict
        if isinstance(segment, int):
            if not isinstance(node, list):
                raise clash()
            if segment > 500:
                raise ApiError(400, "too_many_rows", "表格行数过多")
            while len(node) <= segment:
                node.append(container_type())
            node = node[segment]
        else:
            if not isinstance(node, dict):
                raise clash()
            node = node.setdefault(segment, container_type())
        if not isinstance(node, container_type):
            raise clash()
    last = segments[-1]
    if isinstance(last, int):
        if not isinstance(node, list):
            raise clash()
        if last > 500:
            raise ApiError(400, "too_many_rows", "表格行数过多")
        while len(node) <= last:
            node.append(None)
        if isinstance(node[last], (dict, list)):
            raise clash()
        node[last] = value
    else:
        if not isinstance(node, dict) or isinstance(node.get(last), (dict, list)):
            raise clash()
        node[last] = value


# Strong comparison (RFC 9110 §13.1.1): a weak tag (W/"…") never matches; quotes may be left off.
_ETAG = re.compile(r'^\s*"?([A-Z]{2}-\d{4}-\d{6})-v(\d+)"?\s*$')


def required_version(request: Request, archive_no: str) -> int:
    """The version named by If-Match: 428 when missing, 412 when it names another dossier."""
    header = request.headers.get("If-Match")
    if not header:
        raise ApiError(428, "if_match_required",
                       "修改档案需要带上 If-Match 请求头（读取档案时返回的 ETag），以免覆盖他人的修改")
    match = _ETAG.match(header)
    if not match or match.group(1) != archive_no:
        raise ApiError(412, "precondition_failed", f"If-Match “{header}”与档案 {archive_no} 不符，请重新读取档案")
    return int(match.group(2))
