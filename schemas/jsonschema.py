"""JSON Schema (draft 2020-12) of a template's canonical, key-addressed ``data``.

Input may also use labels (see schemas.resolve); the schema documents the
canonical form that the API returns. ``title`` carries the printed label and
``x-*`` members carry what JSON Schema has no word for.
"""
from __future__ import annotations

from .model import Field, Group, Template

_TYPES = {
    "text": {"type": "string"},
    "longtext": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "percent": {"type": "number", "minimum": 0, "maximum": 100},
    "money": {"type": "string", "pattern": r"^[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,4})?$"},
    "date": {"type": "string", "format": "date"},
    "partial_date": {"type": "string", "pattern": r"^\d{4}(-\d{2}){0,2}$"},
    "datetime": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"},
    "phone": {"type": "string"},
    "mobile": {"type": "string"},
    "email": {"type": "string", "format": "email"},
    "id_card": {"type": "string", "pattern": r"^\d{17}[\dX]$"},
    "yesno": {"type": "string", "enum": ["是", "否"]},
    "archive_no": {"type": "string", "readOnly": True},
}


def _field(spec: Field) -> dict:
    if spec.type == "choice":
        out = {"type": "string"} if spec.allow_other else {"type": "string", "enum": list(spec.choices)}
    elif spec.type == "multi_choice":
        out = {"type": "array", "items": {"type": "string", "enum": list(spec.choices)}}
    else:
        out = dict(_TYPES[spec.type])
    out["title"] = spec.label
    if spec.bounds:
        out["minimum"], out["maximum"] = spec.bounds
    if spec.item is not None:
        out["x-item"] = spec.item
    if spec.confidential:
        out["x-confidential"] = True
    if spec.hint:
        out["description"] = spec.hint
    if spec.aliases:
        out["x-aliases"] = list(spec.aliases)
    if spec.choice_aliases:  # accepted on input, stored (and returned) as the choice
        out["x-choice-aliases"] = {alias: choice for alias, choice in spec.choice_aliases}
    return out


def _item(item) -> dict:
    if isinstance(item, Field):
        return _field(item)
    children = item.fields if isinstance(item, Group) else item.columns
    obj = {
        "type": "object",
        "title": item.label,
        "properties": {c.key: _item(c) for c in children},
        "required": [c.key for c in children if isinstance(c, Field) and c.required],
    }
    if isinstance(item, Group):
        if item.aliases:
            obj["x-aliases"] = list(item.aliases)
        return obj
    out = {"type": "array", "title": item.label, "items": obj, "maxItems": item.max_rows}
    if item.aliases:
        out["x-aliases"] = list(item.aliases)
    if item.entry:
        out["x-entry"] = True
    if item.fixed_rows:
        out["x-fixed-rows"] = list(item.fixed_rows)
    return out


def json_schema(template: Template) -> dict:
    items = [i for s in template.sections for i in s.items]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"urn:dossier:template:{template.name}",
        "title": template.title,
        "type": "object",
        "properties": {i.key: _item(i) for i in items},
        "required": [i.key for i in items if isinstance(i, Field) and i.required],
        "additionalProperties": True,
        "x-sections": [{"key": s.key, "label": s.label, "items": [i.key for i in s.items]} for s in template.sections],
    }
