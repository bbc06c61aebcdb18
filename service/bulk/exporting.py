"""One export, whatever the format: checks, the chunk stream, writing to a file.

The HTTP endpoint streams ``export_chunks`` into its response; ``dossier export``
writes them to a file with ``write_export``. Both end with one audit entry
(``Selection.finish``).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from schemas.model import Template
from schemas.registry import UnknownTemplate, get_template

from .export_jsonl import jsonl_chunks
from .export_pdfzip import pdfzip_chunks
from .export_tabular import csv_chunks, file_chunks, xlsx_file
from .selection import Selection

FORMATS = ("jsonl", "csv", "xlsx", "pdf-zip")


class ExportRefused(Exception):
    def __init__(self, code: str, message: str, fields: dict):
        super().__init__(message)
        self.code, self.message, self.fields = code, message, fields


def check_export(fmt: str, filters: dict) -> Template | None:
    """The template named by the filters; CSV must name one (its columns are the template's)."""
    name = filters.get("template")
    template = None
    if name is not None:
        try:
            template = get_template(name)
        except UnknownTemplate:
            raise ExportRefused("unknown_template", f"没有名为“{name}”的档案模板", {"template": ["未知模板"]}) from None
    if fmt == "csv" and template is None:
        raise ExportRefused("template_required", "导出 CSV 需要指定模板（template=…）：各模板的列不同。"
                            "导出多个模板请用 XLSX（每个模板一个工作表）或 JSON Lines", {"template": ["必填（CSV）"]})
    if fmt not in FORMATS:
        raise ExportRefused("invalid_format", f"不支持的导出格式：{fmt}", {"format": [" | ".join(FORMATS)]})
    return template


def export_chunks(selection: Selection, template: Template | None, headers: str = "labels",
                  workers: int | None = None, verify_base: str = "", summary: bool = False) -> Iterator[bytes]:
    """The export file, chunk by chunk (XLSX is complete before its first chunk)."""
    fmt = selection.format
    if fmt == "xlsx":
        path, _count = xlsx_file(selection.items(), headers)
        return file_chunks(path)
    if fmt == "csv":
        return csv_chunks(selection.items(), template, headers)
    if fmt == "jsonl":
        return jsonl_chunks((d for d, _t in selection.items()), selection.masked,
                            selection.summary if summary else None)
    return pdfzip_chunks(selection.items(), verify_base, workers, selection.summary)


def audited(chunks: Iterator[bytes], selection: Selection) -> Iterator[bytes]:
    """Pass the chunks on; one audit entry when the export ends (or its reader goes away)."""
    completed = False
    try:
        yield from chunks
        completed = True
    finally:
        selection.finish(completed)


def write_export(repository, filters: dict, actor, fmt: str, output: Path, headers: str = "labels",
                 workers: int | None = None, verify_base: str = "",
                 on_item: Callable[[], None] | None = None) -> Selection:
    """Export to a file (the CLI); returns the selection with its counts."""
    template = check_export(fmt, filters)
    selection = Selection(repository, filters, actor, fmt, on_item=on_item)
    with output.open("wb") as handle:
        for chunk in audited(export_chunks(selection, template, headers, workers, verify_base), selection):
            handle.write(chunk)
    return selection
