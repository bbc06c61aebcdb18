"""Characters no dossier holds: those XML 1.0 forbids.

C0 control characters other than tab, line feed and carriage return (NUL among them),
lone surrogates, and the non-characters U+FFFE and U+FFFF. They come from broken
encodings, binary pasted into a form, or an attack; stored, they would make the XLSX
export (an XML file) unreadable and print as nothing. Every input channel (API, web
pages, import, command line) refuses them where the dossier is validated.
"""
from __future__ import annotations

import json
import re

FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def forbidden_character(text: str) -> str | None:
    """A message naming the first forbidden character of ``text``, or None."""
    found = FORBIDDEN.search(text)
    if found is None:
        return None
    char = found.group()
    what = "空字符（NUL）" if char == "\x00" else f"不允许的控制字符或无效字符（U+{ord(char):04X}）"
    return f"含有{what}，请删除后再提交"


def forbidden_characters(value, path: str) -> dict[str, list[str]]:
    """``{path: [message]}`` for every string (key or value) in ``value`` holding a forbidden character."""
    errors: dict[str, list[str]] = {}
    if isinstance(value, str):
        message = forbidden_character(value)
        if message:
            errors[path] = [message]
    elif isinstance(value, dict):
        for key, inner in value.items():
            here = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and forbidden_character(key):
                errors[path or "_body"] = [f"字段名{forbidden_character(key)}"]
                continue
            errors.update(forbidden_characters(inner, here))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            errors.update(forbidden_characters(inner, f"{path}[{index}]"))
    return errors


def duplicate_names(raw: bytes | str) -> list[str]:
    """Names given twice in one object of the JSON text ``raw`` (which must already parse).

    JSON parsers keep the last of two equal names silently; the fast one (orjson) cannot
    even tell, so the standard library reads the text once more, only for its names.
    """
    found: set[str] = set()

    def pairs_hook(pairs):
        names = [name for name, _ in pairs]
        found.update(n for n in names if names.count(n) > 1)

    json.loads(raw, object_pairs_hook=pairs_hook)
    return sorted(found)
