"""Hides confidential fields from roles without clearance.

Applied to a copy of the stored document before it leaves the service (API
views, PDFs), so no parameter of any endpoint can reveal a masked value.
"""
from __future__ import annotations

import copy

from schemas.model import Field, Group, Table, Template

MASK = "***"

#: Kept in the store for the service's own use; never shown, exported, printed or imported.
INTERNAL_FIELDS = frozenset({"_id", "search_text", "entry_log", "fingerprint_salt"})


def without_internal(document: dict) -> dict:
    """``document`` as it may leave the service (views, exports, the JSON inside a PDF)."""
    return {k: v for k, v in document.items() if k not in INTERNAL_FIELDS}


def mask_document(document: dict, template: Template, cleared: bool) -> dict:
    if cleared:
        return document
    masked = {**document, "data": _masked_data(template, document.get("data") or {})}
    # the fingerprint covers the confidential values: shown beside the masked data it would
    # let anyone confirm a guess offline (sha256 of the guessed document)
    masked.pop("content_hash", None)
    masked.pop("fingerprint_salt", None)
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


HIDDEN_UNKNOWN = "保密内容已隐藏（***），无法确定它对应哪条原有记录：请由有权限的同事修改，或重新填写该值"


def restore_masked(template: Template, data: dict, stored: dict, errors: dict) -> dict:
    """``data`` with every confidential value still equal to MASK put back from ``stored``.

    A form or client that read a masked dossier and posts it back must not overwrite
    the confidential values it never saw with "***". Rows of a repeating block are
    matched to stored rows by content, not by place: a posted row takes the hidden
    values of the stored row it equals once masked (an unchanged row, wherever it
    moved), otherwise of the stored row at its place if no row was added or removed
    (a row edited in place). A hidden value that matches nothing stored is reported in
    ``errors`` (``data.<path>`` → message), never stored as "***" nor guessed.
    """
    restored = copy.deepcopy(data)
    _restore_items(_top_items(template), restored, stored or {}, "data", errors)
    return restored


def _top_items(template: Template):
    return [i for s in template.sections for i in s.items]


def _restore_items(items, data: dict, stored: dict, path: str, errors: dict) -> None:
    for item in items:
        value, old = data.get(item.key), stored.get(item.key)
        here = f"{path}.{item.key}"
        if value is None:
            continue
        if isinstance(item, Field):
            if item.confidential and value == MASK:
                if old is None:
                    errors[here] = [HIDDEN_UNKNOWN]
                else:
                    data[item.key] = old
        elif isinstance(item, Group) and isinstance(value, dict):
            _restore_items(item.fields, value, old if isinstance(old, dict) else {}, here, errors)
        elif isinstance(value, list):
            old_rows = [r for r in old if isinstance(r, dict)] if isinstance(old, list) else []
            for index, (row, stored_row) in enumerate(zip(value, _matching_rows(item, value, old_rows))):
                if isinstance(row, dict):
                    _restore_items(item.columns, row, stored_row, f"{here}[{index}]", errors)


def _matching_rows(table: Table, rows: list, old_rows: list[dict]) -> list[dict]:
    """For each posted row, the stored row whose hidden values it may take ({} for none)."""
    masked_old = []
    for old in old_rows:
        masked = copy.deepcopy(old)
        _mask_items(table.columns, masked)
        masked_old.append(masked)
    taken: set[int] = set()
    matched: list[int | None] = []
    for row in rows:
        same = next((j for j, m in enumerate(masked_old) if j not in taken and m == row), None)
        matched.append(same)
        if same is not None:
            taken.add(same)
    if len(rows) == len(old_rows):  # nothing added or removed: an edited row is the one at its place
        matched = [j if j is not None else (i if i not in taken else None) for i, j in enumerate(matched)]
    return [old_rows[j] if j is not None else {} for j in matched]


def supplies_confidential(template: Template, data: dict) -> bool:
    """Whether posted ``data`` sets a confidential field to a value of its own (not MASK).

    For a caller without clearance such a write always counts as a change: answering
    "unchanged" when a guess equals the hidden value would confirm the guess.
    """
    return _masked_data(template, data) != data


def has_confidential_values(document: dict, template: Template) -> bool:
    """Whether any confidential field of ``document`` holds a value (its read is audited)."""
    data = document.get("data") or {}
    return _masked_data(template, data) != data


def _masked_data(template: Template, data: dict) -> dict:
    masked = copy.deepcopy(data)
    _mask_items(_top_items(template), masked)
    return masked
