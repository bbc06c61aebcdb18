"""Hides confidential fields from roles without clearance.

Applied to a copy of the stored document before it leaves the service (API
views, PDFs), so no parameter of any endpoint can reveal a masked value.
"""
from __future__ import annotations

import copy

from schemas.model import Field, Group, Template

MASK = "***"


def mask_document(document: dict, template: Template, cleared: bool) -> dict:
    if cleared:
        return document
    masked = copy.deepcopy(document)
    _mask_items([i for s in template.sections for i in s.items], masked.get("data") or {})
    return masked


def _mask_items(items, data: dict) -> None:
    for item in items:
        value = data.get(item.key)
        if value is None:
            continue
        if isinstance(item, Field):
            if item.confidential:
                data[item.key] = MASK
        elif isinstance(item, Group):
            _mask_items(item.fields, value)
        else:
            for row in value:
                _mask_items(item.columns, row)
