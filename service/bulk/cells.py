"""Cell values of a tabular export: one stored value → a CSV string or an XLSX value.

Shared rules (both formats): identifiers (ID numbers, phones, accounts, archive
numbers) are always text, never numbers, so no digit or leading zero is lost;
lists are joined with “、”; tables and ``extra`` are JSON text; system
timestamps are shown in Beijing time.

CSV only: a cell that begins with ``= + - @`` (or tab/CR) would be run as a
formula by a spreadsheet, so it gets a leading apostrophe, except real numbers
(``-1.2`` stays a number) and valid phone numbers in phone fields (``+86 138
0013 8000`` holds only digits, spaces, ``+ - ( )``: no function, reference or
DDE call can hide in it, so it is kept as typed). Import strips the apostrophe.

XLSX only: numbers are numeric cells, dates and times are date cells, every
other value is a text cell (a text cell is never evaluated, so no apostrophe),
characters XML forbids become U+FFFD, and a cell is capped at Excel's 32,767
characters with a marker saying so.
"""
from __future__ import annotations

import datetime as dt
import re

import orjson
from openpyxl.cell import WriteOnlyCell

from schemas.text import FORBIDDEN
from schemas.validation import CONFIDENTIALITY_LABELS, STATUS_LABELS
from service.clock import SHANGHAI
from service.masking import MASK

from .columns import Column, lookup, rows_by_label

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
PHONE = re.compile(r"\+?[\d ()\-]+")
NUMERIC_TYPES = frozenset({"integer", "number", "percent"})
XLSX_CELL_LIMIT = 32_767
CODE_WORDS = {"confidentiality": CONFIDENTIALITY_LABELS, "status": STATUS_LABELS}
TRUNCATED = "…（内容超过 Excel 单元格上限，完整内容请用 JSON Lines 导出）"


def raw_value(document: dict, column: Column, mode: str):
    """The stored value of ``column`` in ``document`` (tables keyed like the headers)."""
    if column.kind == "envelope":
        value = lookup(document, column.path)
        if mode == "labels" and column.key in CODE_WORDS:  # 机密, not "confidential", under 密级
            return CODE_WORDS[column.key].get(value, value)
        return value or None if column.type == "json" else value
    value = lookup(document.get("data") or {}, column.path)
    if column.kind == "table" and mode == "labels":
        return rows_by_label(column.item, value)
    return value


def local_time(value: dt.datetime) -> dt.datetime:
    """A stored UTC timestamp as naive Beijing time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(SHANGHAI).replace(tzinfo=None)


def as_text(value) -> str:
    """Any stored value as the text a clerk reads."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return local_time(value).strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, (list, dict)):
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return "、".join(value)
        return orjson.dumps(value, default=str).decode()
    return str(value)


# -- CSV ----------------------------------------------------------------------
def is_phone(text: str) -> bool:
    return bool(PHONE.fullmatch(text)) and 7 <= sum(c.isdigit() for c in text) <= 15


def inert(text: str, type_: str) -> str:
    """``text`` made safe to open in a spreadsheet (see the module docstring)."""
    if not text or not text.startswith(FORMULA_TRIGGERS):
        return text
    if NUMBER.fullmatch(text):
        return text
    if type_ in ("phone", "mobile") and is_phone(text):
        return text
    return "'" + text


def csv_cell(document: dict, column: Column, mode: str) -> str:
    value = raw_value(document, column, mode)
    if column.type == "json" and value is not None:
        return inert(orjson.dumps(value, default=str).decode(), "json")
    return inert(as_text(value), column.type)


# -- XLSX ---------------------------------------------------------------------
def xlsx_cell(sheet, document: dict, column: Column, mode: str):
    """A value (or a WriteOnlyCell when its type must be forced) for an XLSX row."""
    value = raw_value(document, column, mode)
    if value is None or value == MASK:
        return value
    if isinstance(value, dt.datetime):
        return local_time(value)
    if column.type in NUMERIC_TYPES and isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    if column.type in ("date", "datetime"):
        moment = _parse_local(value, column.type)
        if moment is not None:
            return moment
    if column.type == "money":
        amount = _money(value)
        if amount is not None:
            cell = WriteOnlyCell(sheet, value=amount)
            cell.number_format = "#,##0.00"
            return cell
    if column.type == "json":
        text = orjson.dumps(value, default=str).decode()
    else:
        text = as_text(value)
    return text_cell(sheet, text)


def text_cell(sheet, text: str):
    text = FORBIDDEN.sub("\ufffd", text)  # stored before input refused them: XML cannot hold them
    if len(text) > XLSX_CELL_LIMIT:
        text = text[: XLSX_CELL_LIMIT - len(TRUNCATED)] + TRUNCATED
    if not text.startswith("="):
        return text
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"  # openpyxl would otherwise store it as a formula
    return cell


def _parse_local(value, type_: str):
    if not isinstance(value, str):
        return None
    try:
        if type_ == "date":
            return dt.date.fromisoformat(value) if len(value) == 10 else None
        return dt.datetime.strptime(value, "%Y-%m-%d %H:%M")
    except ValueError:
        return None


def _money(value) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return float(value.replace(",", ""))
    except ValueError:
        return None
