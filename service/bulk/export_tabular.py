"""CSV and XLSX exports: one row per dossier, columns from ``service.bulk.columns``.

CSV: UTF-8 with BOM (Excel then reads Chinese correctly), CRLF rows, all cells
quoted as needed by the csv module, formula-looking cells made inert
(``service.bulk.cells``). One template per file: the columns differ between
templates, so a CSV export needs ``template=``.

XLSX: one sheet per template, named by the template title (≤ 31 characters,
made unique with the template name when two titles coincide), header row
frozen. openpyxl's write-only mode keeps each sheet's rows in a temporary file,
so memory stays flat; the finished workbook is written to a temporary file and
streamed from there (a ZIP container cannot be sent before it is complete).
"""
from __future__ import annotations

import csv
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from schemas.model import Template

from .cells import csv_cell, xlsx_cell
from .columns import template_columns

BOM = "\ufeff"
CHUNK_BYTES = 64 * 1024
SHEET_NAME_LIMIT = 31
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


class _Lines:
    """A file-like sink for csv.writer: collects text until drained."""

    def __init__(self):
        self.parts: list[str] = []
        self.size = 0

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)

    def drain(self) -> bytes:
        data = "".join(self.parts).encode("utf-8")
        self.parts, self.size = [], 0
        return data


def csv_chunks(items: Iterable[tuple[dict, Template]], template: Template, mode: str) -> Iterator[bytes]:
    """The CSV file of ``template``'s dossiers, BOM first, in ~64 KB chunks."""
    columns = template_columns(template)
    sink = _Lines()
    writer = csv.writer(sink, lineterminator="\r\n")
    sink.write(BOM)
    writer.writerow([c.header(mode) for c in columns])
    for document, _template in items:
        writer.writerow([csv_cell(document, c, mode) for c in columns])
        if sink.size >= CHUNK_BYTES:
            yield sink.drain()
    yield sink.drain()


def sheet_name(template: Template, taken: set[str]) -> str:
    """The template title as a valid, unique sheet name (≤ 31 characters)."""
    title = _SHEET_FORBIDDEN.sub("_", template.display_title).strip("'") or template.name
    name = title[:SHEET_NAME_LIMIT]
    if name in taken:
        suffix = f"-{template.name}"
        name = (title[: SHEET_NAME_LIMIT - len(suffix)] + suffix)[-SHEET_NAME_LIMIT:]
    taken.add(name)
    return name


def write_xlsx(items: Iterable[tuple[dict, Template]], target: Path, mode: str) -> int:
    """Write the workbook to ``target``; returns the number of dossier rows."""
    workbook = Workbook(write_only=True)
    sheets: dict[str, object] = {}
    taken: set[str] = set()
    count = 0
    for document, template in items:
        sheet = sheets.get(template.name)
        if sheet is None:
            sheet = sheets[template.name] = _new_sheet(workbook, template, mode, taken)
        sheet.append([xlsx_cell(sheet, document, c, mode) for c in template_columns(template)])
        count += 1
    if not sheets:
        workbook.create_sheet("无数据").append(["没有符合条件的档案"])
    workbook.save(target)
    return count


def _new_sheet(workbook: Workbook, template: Template, mode: str, taken: set[str]):
    sheet = workbook.create_sheet(sheet_name(template, taken))
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in template_columns(template):
        cell = WriteOnlyCell(sheet, value=column.header(mode))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    return sheet


def xlsx_file(items: Iterable[tuple[dict, Template]], mode: str) -> tuple[Path, int]:
    """The workbook in a temporary file (the caller streams it, then deletes it)."""
    handle = tempfile.NamedTemporaryFile(prefix="dossier-export-", suffix=".xlsx", delete=False)
    handle.close()
    path = Path(handle.name)
    try:
        return path, write_xlsx(items, path, mode)
    except BaseException:
        path.unlink(missing_ok=True)
        raise


def file_chunks(path: Path, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """Stream a temporary file, then delete it (also when the client goes away)."""
    try:
        with path.open("rb") as handle:
            while chunk := handle.read(chunk_bytes):
                yield chunk
    finally:
        path.unlink(missing_ok=True)
