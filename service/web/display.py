"""Read-only views of a stored dossier for the pages: by section, and what changed.

Walks the Template like ``forms`` does, so the dossier page shows the paper
form's sections, order and labels; values are shown as stored (already masked
for roles without clearance by the caller).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schemas.model import Field, Group, Table, Template
from service.clock import SHANGHAI


@dataclass
class Shown:
    kind: str        # field | group | table
    label: str
    value: object    # text (field), list[Shown] (group), (headers, rows) (table)
    item: object


def label_of(template: Template, item) -> str:
    if template.numbered and getattr(item, "item", None) is not None:
        return f"{item.item}.{item.label}"
    return item.label


def sections(template: Template, data: dict, archive_no: str = "") -> list[tuple[str, list[Shown]]]:
    """Per section: its items as shown; an item titled like its section loses the repeated title."""
    shown = []
    for section in template.sections:
        items = []
        for item in section.items:
            value = archive_no if getattr(item, "type", "") == "archive_no" else data.get(item.key)
            node = _shown(template, item, value)
            if node.label == section.label:
                node.label = ""
            items.append(node)
        shown.append((section.label, items))
    return shown


def _shown(template: Template, item, value) -> Shown:
    label = label_of(template, item)
    if isinstance(item, Field):
        return Shown("field", label, text(value), item)
    if isinstance(item, Group):
        value = value if isinstance(value, dict) else {}
        return Shown("group", label, [_shown(template, f, value.get(f.key)) for f in item.fields], item)
    rows = value if isinstance(value, list) else []
    headers = [c.label for c in item.columns]
    body = [[_cell(template, c, row.get(c.key)) for c in item.columns] for row in rows if isinstance(row, dict)]
    return Shown("table", label, (headers, body), item)


def _cell(template: Template, column, value):
    if isinstance(column, Table):
        return _shown(template, column, value)
    return text(value)


def text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(text(v) for v in value)
    if isinstance(value, dict):
        return "；".join(f"{k}：{text(v)}" for k, v in value.items())
    return str(value)


def local_time(value) -> str:
    if not isinstance(value, dt.datetime):
        return text(value)
    if value.tzinfo is None:  # stored UTC; some backends hand back naive datetimes
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def changes(template: Template, before: dict, after: dict) -> list[tuple[str, str, str]]:
    """(label, value before, value after) of every field or table that differs."""
    found = []
    for section in template.sections:
        for item in section.items:
            old, new = before.get(item.key), after.get(item.key)
            if old == new:
                continue
            if isinstance(item, Group):
                old, new = old or {}, new or {}
                found += [(f"{item.label}.{f.label}", text(old.get(f.key)), text(new.get(f.key)))
                          for f in item.fields if old.get(f.key) != new.get(f.key)]
            elif isinstance(item, Table):
                found.append((item.label, f"{len(old or [])} 行", f"{len(new or [])} 行（内容有改动）"))
            else:
                found.append((label_of(template, item), text(old), text(new)))
    return found


def envelope_changes(before: dict, after: dict) -> list[tuple[str, str, str]]:
    found = []
    for key, label in (("confidentiality", "密级"), ("classification", "客户分类"),
                       ("consent", "客户同意"), ("retention", "保管期限")):
        if before.get(key) != after.get(key):
            found.append((label, text(before.get(key)), text(after.get(key))))
    return found
