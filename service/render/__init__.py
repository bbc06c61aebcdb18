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

Watermark: "机密" for confidential dossiers, "绝密" for secret ones, none for normal.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from schemas.model import Template

from .fingerprint import document_hash
from .markup import render_html
from .pdf import write_pdf

__all__ = ["render_official_copy", "render_html", "document_hash"]


def render_official_copy(document: dict[str, Any], template: Template, *, printed_at: datetime,
                         verify_url: str, serial: str | None = None) -> bytes:
    """PDF bytes of the official copy of ``document`` printed with ``template``.

    ``printed_at`` is shown in Asia/Shanghai time (naive means UTC); ``verify_url``
    is encoded in the QR code; ``serial`` (复本编号) is printed in the footer when given.
    Confidential values must already be masked by the caller; they print as given.
    """
    html = render_html(document, template, printed_at=printed_at, verify_url=verify_url, serial=serial)
    return write_pdf(html, document, printed_at)
