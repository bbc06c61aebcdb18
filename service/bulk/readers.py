"""Import sources → rows: JSON / JSON Lines, CSV, XLSX, each streamed from a file.

A ``SourceRow`` carries the row number a person sees (line number of a JSON
Lines file, spreadsheet row number with the header as row 1), the sheet name
for XLSX, and either a record (an envelope dict, as posted) or the reason the
row could not be read. Spreadsheet rows are turned into records by
``service.bulk.tabular_input``. Readers are generators: the importer can read a
file twice (validate all, then write) without holding it in memory.
"""
from __future__ import annotations

import csv
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from schemas.text import duplicate_names

from .tabular_input import row_to_record

FORMATS = ("jsonl", "json", "csv", "xlsx")
SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json", ".csv": "csv", ".xlsx": "xlsx"}
MAX_LINE_BYTES = 4 * 1024 * 1024


@dataclass
class SourceRow:
    number: int
    record: dict | None = None
    error: str | None = None
    sheet: str | None = None
    field_errors: dict[str, list[str]] = field(default_factory=dict)


def format_for(path: Path, explicit: str | None = None) -> str | None:
    if explicit:
        return explicit if explicit in FORMATS else None
    return SUFFIXES.get(path.suffix.lower())


def read_rows(path: Path, fmt: str, template: str | None = None) -> Iterator[SourceRow]:
    if fmt in ("jsonl", "json"):
        return read_json(path)
    if fmt == "csv":
        return read_csv(path, template)
    return read_xlsx(path, template)


# -- JSON / JSON Lines -----------------------------------------------------------
def read_json(path: Path) -> Iterator[SourceRow]:
    """One JSON dossier, a JSON array of dossiers, or JSON Lines (one per line)."""
    with path.open("rb") as handle:
        head = handle.read(1)
        while head and head.isspace():
            head = handle.read(1)
    if head == b"[":
        yield from _json_array(path)
        return
    yield from _json_lines(path)


def _json_array(path: Path) -> Iterator[SourceRow]:
    raw = path.read_bytes()
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        yield SourceRow(1, error=f"不是有效的 JSON：{exc}")
        return
    twice = duplicate_names(raw)
    if twice:
        yield SourceRow(0, error=f"文件中同一对象重复出现字段名：{'、'.join(twice)}")
        return
    for number, record in enumerate(value, 1):
        yield _json_record(number, record)


def _json_lines(path: Path) -> Iterator[SourceRow]:
    with path.open("rb") as handle:
        first = True
        for number, line in enumerate(handle, 1):
            if first:
                line, first = line.removeprefix(b"\xef\xbb\xbf"), False
            if not line.strip():
                continue
            if len(line) > MAX_LINE_BYTES:
                yield SourceRow(number, error=f"此行过长（超过 {MAX_LINE_BYTES // 1024 // 1024} MB）")
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                yield SourceRow(0, error=f"文件不是 UTF-8 编码（第 {number} 行）：请以 UTF-8 保存后再导入")
                return
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                if number == 1:  # maybe one pretty-printed JSON object
                    yield from _whole_file(path)
                    return
                yield SourceRow(number, error=f"第 {number} 行不是有效的 JSON：{exc}")
                continue
            if isinstance(record, dict) and "_summary" in record:
                continue  # trailing export summary
            twice = duplicate_names(line)
            if twice:
                yield SourceRow(number, error=f"第 {number} 行同一对象中重复出现字段名：{'、'.join(twice)}")
                continue
            yield _json_record(number, record)


def _whole_file(path: Path) -> Iterator[SourceRow]:
    raw = path.read_bytes().removeprefix(b"\xef\xbb\xbf")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        yield SourceRow(1, error=f"不是有效的 JSON 或 JSON Lines：{exc}")
        return
    twice = duplicate_names(raw)
    yield SourceRow(1, error=f"同一对象中重复出现字段名：{'、'.join(twice)}") if twice else _json_record(1, value)


def _json_record(number: int, record) -> SourceRow:
    if not isinstance(record, dict):
        return SourceRow(number, error="每条档案应为一个 JSON 对象")
    return SourceRow(number, record=record)


# -- CSV ---------------------------------------------------------------------------
def read_csv(path: Path, template: str | None) -> Iterator[SourceRow]:
    """UTF-8 CSV with or without BOM; the first row names the columns."""
    with path.open("r", encoding="utf-8-sig", newline="") as handle:
        try:
            reader = csv.reader(handle)
            headers = next(reader, None)
            if headers is None:
                return
            for number, values in enumerate(reader, 2):
                if any(v.strip() for v in values):
                    yield _tabular(number, None, headers, values, template)
        except UnicodeDecodeError:
            yield SourceRow(0, error="文件不是 UTF-8 编码：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”")
        except csv.Error as exc:
            yield SourceRow(0, error=f"CSV 格式错误：{exc}")


# -- XLSX --------------------------------------------------------------------------
def read_xlsx(path: Path, template: str | None) -> Iterator[SourceRow]:
    """Every sheet whose first row has headers; a sheet named like a template's title picks it."""
    from openpyxl import load_workbook

    bomb = _unpacked_too_large(path)
    if bomb:
        yield SourceRow(0, error=bomb)
        return
    with path.open("rb") as handle:  # a file object: openpyxl checks no file name suffix then
        try:
            workbook = load_workbook(handle, read_only=True, data_only=True)
        except Exception as exc:  # not a workbook: BadZipFile, InvalidFileException, KeyError …
            yield SourceRow(0, error=f"无法读取 XLSX 文件（{type(exc).__name__}）：请上传 Excel 2007 及以后的 .xlsx 文件")
            return
        try:
            for sheet in workbook.worksheets:
                yield from _sheet_rows(sheet, template or _template_by_title(sheet.title))
        finally:
            workbook.close()


# openpyxl holds the shared-string table in memory whole: a few MB of upload can unpack to GBs
XLSX_SHARED_STRINGS_LIMIT = 128 * 1024 * 1024
XLSX_UNPACKED_LIMIT = 1024 * 1024 * 1024


def _unpacked_too_large(path: Path) -> str | None:
    """Why the workbook is refused before it is parsed (a ZIP bomb), or None."""
    try:
        with zipfile.ZipFile(path) as archive:
            sizes = {info.filename: info.file_size for info in archive.infolist()}
    except (zipfile.BadZipFile, OSError):
        return None  # openpyxl reports what is wrong with it
    if sizes.get("xl/sharedStrings.xml", 0) > XLSX_SHARED_STRINGS_LIMIT or sum(sizes.values()) > XLSX_UNPACKED_LIMIT:
        return (f"XLSX 文件解压后过大（{sum(sizes.values()) / 1024 / 1024:.0f} MB，文字表上限 "
                f"{XLSX_SHARED_STRINGS_LIMIT // 1024 // 1024} MB）：请拆分文件，或改用 JSON Lines / CSV 导入")
    return None


def _sheet_rows(sheet, template: str | None) -> Iterator[SourceRow]:
    rows = sheet.iter_rows(values_only=True)
    headers = next(rows, None)
    if not headers or not any(h is not None for h in headers):
        return
    headers = ["" if h is None else str(h) for h in headers]
    for number, values in enumerate(rows, 2):
        if any(v is not None and str(v).strip() for v in values):
            yield _tabular(number, sheet.title, headers, list(values), template)


def _template_by_title(title: str) -> str | None:
    """The template a sheet named by the export belongs to (title, or title-name when titles clash)."""
    from schemas.registry import all_templates

    by_title = [t.name for t in all_templates().values() if t.display_title[:31] == title]
    if len(by_title) == 1:
        return by_title[0]
    return next((t.name for t in all_templates().values() if title.endswith(f"-{t.name}")), None)


def _tabular(number: int, sheet: str | None, headers: list[str], values: list, template: str | None) -> SourceRow:
    record, errors = row_to_record(list(zip(headers, values)), template)
    return SourceRow(number, record=record, sheet=sheet, field_errors=errors)
