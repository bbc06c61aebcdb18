"""The official archive copy (正式档案复本) of a dossier, as a PDF.

``render_official_copy`` is a pure function: stored document + template in,
PDF/A-3b bytes out. The pipeline is one module per stage:

``walk``/``view``  template + data → printable blocks (the generic form layout)
``markup``         blocks → HTML (Jinja2 over ``pdf_templates/``, autoescaped;
                   ``layouts/<name>.html`` overrides the generic body)
``pdf``            HTML → PDF/A-3b with ``<archive_no>.json`` attached (WeasyPrint)
``resources``      per-thread FontConfiguration and parsed CSS, reused
``fetcher``        the only URL fetcher: data: URIs and files in ``pdf_templates/``
``fingerprint``    ``document_hash`` (校验码, and what the caller's verify URL carries)
``copy_cache``     the immutable part of a version's copy, kept in memory; each print
                   only renders its stamp (打印时间, 复本编号) and overlays it

Watermark: "机密" for confidential dossiers, "绝密" for secret ones, none for normal.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas.model import Template

from . import copy_cache
from .fingerprint import document_hash
from .markup import render_html
from .pdf import dossier_json, overlay_available, overlay_stamp, split_stamp, stamp_pdf, write_pdf
from .resources import stylesheet_key

__all__ = ["render_official_copy", "render_html", "document_hash"]


def render_official_copy(document: dict[str, Any], template: Template, *, printed_at: datetime,
                         verify_url: str | None, serial: str | None = None) -> bytes:
    """PDF bytes of the official copy of ``document`` printed with ``template``.

    ``printed_at`` is shown in Asia/Shanghai time (naive means UTC); ``verify_url``
    is encoded in the QR code (None: a draft, printed 草稿 without one); ``serial`` (复本编号) is printed in the footer when given.
    Confidential values must already be masked by the caller; they print as given.
    """
    html = render_html(document, template, printed_at=printed_at, verify_url=verify_url, serial=serial)
    split = split_stamp(html) if copy_cache.enabled() and overlay_available() else None
    if split is None:
        return write_pdf(html, document, printed_at)
    base_html, stamp = split
    moment = version_time(document) or printed_at
    name = copy_cache.key(base_html, dossier_json(document), moment.isoformat(), stylesheet_key())
    base = copy_cache.get(name)
    if base is None:
        base = write_pdf(base_html, document, moment)
        copy_cache.put(name, base)
    return overlay_stamp(base, stamp_pdf(stamp))


def version_time(document: dict[str, Any]) -> datetime | None:
    """When the printed version was saved (the attachment's date): a copy's base never
    depends on the moment it is printed, so every print of a version can share it."""
    moment = document.get("updated_at") or document.get("created_at")
    return moment if isinstance(moment, datetime) else None
