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
    # the fingerprint covers the confidential values: shown beside the masked data it would
    # let anyone confirm a guess offline (sha256 of the guessed document)
    masked.pop("content_hash", None)
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


def restore_masked(template: Template, data: dict, stored: dict) -> dict:
    """``data`` with every confidential value still equal to MASK put back from ``stored``.

    A form or client that read a masked dossier and posts it back must not overwrite
    the confidential values it never saw with "***".
    """
    restored = copy.deepcopy(data)
    _restore_items([i for s in template.sections for i in s.items], restored, stored or {})
    return restored


def _restore_items(items, data: dict, stored: dict) -> None:
    for item in items:
        value, old = data.get(item.key), stored.get(item.key)
        if value is None:
            continue
        if isinstance(item, Field):
            if item.confidential and value == MASK and old is not None:
                data[item.key] = old
        elif isinstance(item, Group) and isinstance(value, dict):
            _restore_items(item.fields, value, old if isinstance(old, dict) else {})
        elif isinstance(value, list):
            old_rows = old if isinstance(old, list) else []
            for index, row in enumerate(value):
                if isinstance(row, dict):
                    stored_row = old_rows[index] if index < len(old_rows) and isinstance(old_rows[index], dict) else {}
                    _restore_items(item.columns, row, stored_row)


def has_confidential_values(document: dict, template: Template) -> bool:
    """Whether any confidential field of ``document`` holds a value (its read is audited)."""
    return mask_document(document, template, False).get("data") != document.get("data")
