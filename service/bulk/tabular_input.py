"""A spreadsheet row (CSV or XLSX) → a dossier record, through the export's columns.

Headers are matched by ``service.bulk.columns``: envelope columns (档案编号,
客户分类.地区 … or their keys) first, then the template's columns by label or key,
then any other name ``schemas.resolve`` accepts (aliases, ``20.公司名称``).
Known fields are placed under their template keys (so ``extra`` paths from an
export fit again), table cells are parsed as JSON arrays, and headers nobody
knows are passed on as written: validation keeps them as ``extra``.

Cell values are undone the way the export did them: the apostrophe that made a
formula-looking CSV cell inert is removed, Excel numbers that are whole become
ints, date cells become ``YYYY-MM-DD`` (or ``YYYY-MM-DD HH:MM``), lists joined
with “、” are split again. Which template a row uses comes from ``?template=`` or
the row's 模板 column.
"""
from __future__ import annotations

import datetime as dt
import re

import orjson

from schemas.registry import UnknownTemplate, get_template
from schemas.resolve import is_blank
from schemas.validation import CONFIDENTIALITY_LABELS

from .cells import FORMULA_TRIGGERS
from .columns import READ_ONLY, SYSTEM_KEYS, Column, column_for_header, envelope_column

LIST_SEPARATORS = re.compile(r"[、,，;；]")
CONFIDENTIALITY_WORDS = {word: code for code, word in CONFIDENTIALITY_LABELS.items()}
YES = {"是", "true", "yes", "y", "1", "√", "同意"}
NO = {"否", "false", "no", "n", "0", "×", "不同意"}


def row_to_record(cells: list[tuple[str, object]], template_name: str | None) -> tuple[dict, dict]:
    """(record, errors): ``errors`` holds problems found before validation (bad JSON cells …)."""
    record: dict = {"data": {}}
    errors: dict[str, list[str]] = {}
    data_cells = []
    for header, value in cells:
        value = plain(value)
        if is_blank(header) or is_blank(value):
            continue
        column = envelope_column(header)
        if column is None and str(header).strip() in SYSTEM_KEYS:
            continue  # a system column (content_hash …) added by hand: the service sets those itself
        if column is None:
            data_cells.append((header, value))
        elif column.key not in READ_ONLY:
            try:
                _put(record, column.path, envelope_value(column, value), header, errors)
            except orjson.JSONDecodeError:
                errors.setdefault(column.key, []).append(f"{header}：应为 JSON（导出时的格式），无法解析")
    template_name = template_name or record.get("template")
    if template_name:
        record["template"] = template_name
    template = _template(template_name)
    for header, value in data_cells:
        _data_cell(template, record["data"], header, value, errors)
    return record, errors


def plain(value):
    """A cell as text/int/float: the inert-apostrophe removed, dates as text."""
    if isinstance(value, str):
        if len(value) > 1 and value[0] == "'" and value[1] in FORMULA_TRIGGERS:
            return value[1:]
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dt.datetime):
        if value.second or value.microsecond:
            return value.strftime("%Y-%m-%d %H:%M:%S")
        return value.strftime("%Y-%m-%d %H:%M" if (value.hour, value.minute) != (0, 0) else "%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def envelope_value(column: Column, value):
    if column.type == "boolean":
        text = str(value).strip().lower()
        return True if text in YES else False if text in NO else value
    if column.type == "list":
        return [v.strip() for v in LIST_SEPARATORS.split(str(value)) if v.strip()]
    if column.type == "integer":
        return int(value) if isinstance(value, str) and value.strip().isdigit() else value
    if column.type == "json":
        return orjson.loads(value) if isinstance(value, str) else value
    if column.key == "confidentiality":
        return CONFIDENTIALITY_WORDS.get(str(value).strip(), str(value).strip())
    return str(value).strip() if column.type in ("identifier", "text", "date", "timestamp") else value


def _template(name):
    try:
        return get_template(name) if isinstance(name, str) else None
    except UnknownTemplate:
        return None  # validation reports the unknown template


def _data_cell(template, data: dict, header: str, value, errors: dict) -> None:
    column = column_for_header(template, header) if template else None
    if column is None:
        _put(data, (header,), value, header, errors)
        return
    if column.kind == "table":
        try:
            value = orjson.loads(value) if isinstance(value, str) else value
        except orjson.JSONDecodeError:
            errors.setdefault(f"data.{column.key}", []).append(
                f"{header}：表格内容应为 JSON 数组（导出时的格式），无法解析")
            return
    elif column.type == "money" and isinstance(value, (int, float)):
        value = f"{value:,.2f}"  # an XLSX number cell, shown as #,##0.00 by the export
    elif column.type == "multi_choice" and isinstance(value, str):
        value = [v.strip() for v in LIST_SEPARATORS.split(value) if v.strip()]
    _put(data, column.path, value, header, errors)


def _put(target: dict, path: tuple[str, ...], value, header: str, errors: dict) -> None:
    for key in path[:-1]:
        target = target.setdefault(key, {})
    if path[-1] in target:
        errors.setdefault(header, []).append(f"“{header}”与另一列填写的是同一项")
        return
    target[path[-1]] = value
