"""Signature lines at the foot of the form (制表人: ________   年  月  日).

A signature label names a top-level field of the template (by label or alias);
that field's value is printed on the line and the field leaves the grid, as
on paper where 制表人 is signed at the foot. A long-text field of that label
(业务经理评定) stays in the grid and the line is left for the signature.
A signature that is just the date (``年 月 日``) becomes one date line under
the others instead of a date after each.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field

from schemas.model import Template

from .values import format_value
from .view import as_dict

DATE_LABEL = "年月日"
_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")


@dataclass
class SignatureLine:
    label: str
    value: str


@dataclass
class Signatures:
    lines: list[SignatureLine] = dc_field(default_factory=list)
    date: tuple[str, str, str] | None = None   # (年, 月, 日) of a separate date line
    consumed: set[str] = dc_field(default_factory=set)  # top-level field keys printed here

    @property
    def per_line_date(self) -> bool:
        return self.date is None


def _squash(text: str) -> str:
    return re.sub(r"[\s:：]", "", text)


def date_parts(value) -> tuple[str, str, str]:
    match = _DATE.match(format_value(value))
    return tuple(part or "" for part in match.groups()) if match else ("", "", "")


def signatures(template: Template, document: dict) -> Signatures:
    data = as_dict(document.get("data"))
    by_name = {}
    for section in template.sections:
        for item in section.items:
            if item.kind == "field":
                for name in (item.label, *item.aliases):
                    by_name.setdefault(_squash(name), item)
    result = Signatures()
    for label in template.signatures:
        field = by_name.get(_squash(label))
        value = data.get(field.key) if field else None
        if field is not None and field.type != "longtext":
            result.consumed.add(field.key)
        if _squash(label) == DATE_LABEL:
            result.date = date_parts(value)
        else:
            shown = "" if field is not None and field.type == "longtext" else format_value(value)
            result.lines.append(SignatureLine(label, shown))
    return result
