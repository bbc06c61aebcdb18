"""HTML → PDF/A-3b with the dossier's JSON embedded (WeasyPrint)."""
from __future__ import annotations

import importlib.util
import io
import logging
import re
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any

import orjson
from weasyprint import HTML, Attachment

from service.masking import without_internal

from .fetcher import TEMPLATES_DIR
from .resources import CUT_FAMILY, FULL_FAMILY, STAMP_FAMILY, harfbuzz_subsetting, resources

LOGGER = logging.getLogger(__name__)
PDF_VARIANT = "pdf/a-3b"

if not harfbuzz_subsetting():  # pragma: no cover - depends on the machine
    LOGGER.warning("libharfbuzz-subset missing: CJK PDFs will take ~20x longer (fontTools subsetting)")


def dossier_json(document: dict[str, Any]) -> bytes:
    """The dossier as JSON (as the API shows it): datetimes as ISO 8601 (naive ones are UTC), keys sorted."""
    option = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS
    return orjson.dumps(without_internal(document), option=option, default=str)


def attachment_for(document: dict[str, Any], moment: datetime) -> Attachment:
    name = f"{document.get('archive_no') or 'dossier'}.json"
    return Attachment(
        file_obj=io.BytesIO(dossier_json(document)), name=name,
        description="客户档案数据 (JSON)", relationship="Data",
        created=moment, modified=moment,
    )


def write_pdf(html: str, document: dict[str, Any], printed_at: datetime) -> bytes:
    res = resources()
    moment = printed_at if printed_at.tzinfo else printed_at.replace(tzinfo=timezone.utc)
    page = HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/", url_fetcher=res.fetcher)
    return page.write_pdf(
        stylesheets=list(res.stylesheets),
        font_config=res.font_config,
        pdf_variant=PDF_VARIANT,
        attachments=[attachment_for(document, moment)],
        uncompressed_pdf=False,
    )


# ---- per-print stamps over a cached base ---------------------------------------------

#: The per-print margin box of ``markup.page_style`` (打印时间 … 复本编号 …): its CSS string.
STAMP_RULE = re.compile(r'@bottom-left\{content:("(?:[^"\\]|\\.)*")\}')
STAMP_XOBJECT = "/DossierStamp"
STAMP_FONTS = f'"{STAMP_FAMILY}", "{CUT_FAMILY}", "{FULL_FAMILY}", sans-serif'


@lru_cache(maxsize=1)
def overlay_available() -> bool:
    """pypdf present (a runtime dependency; without it every print renders in full)."""
    return importlib.util.find_spec("pypdf") is not None


def split_stamp(html: str) -> tuple[str, str] | None:
    """``(base_html, stamp_css_string)``: the HTML with the per-print footer box emptied, and
    that box's content; None when the page rule is not found exactly once (then no caching)."""
    found = STAMP_RULE.findall(html)
    if len(found) != 1:
        return None
    return STAMP_RULE.sub('@bottom-left{content:""}', html, count=1), found[0]


def stamp_pdf(stamp: str) -> bytes:
    """A one-page PDF holding only the footer stamp, placed as on the official copy.

    Same stylesheet, same ``@page`` geometry and margin-box font as the copy; every other
    margin box and the page rules are switched off, the body is empty. ``stamp`` is the
    CSS string taken from the copy's own page rule (already escaped by ``markup``).
    """
    res = resources()
    html = ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>'
            "@page{border:none;@top-left{content:none}@top-right{content:none}"
            "@bottom-center{content:none}@bottom-right{content:none}"
            f"@bottom-left{{content:{stamp};font-family:{STAMP_FONTS}}}}}"
            "</style></head><body></body></html>")
    page = HTML(string=html, base_url=TEMPLATES_DIR.as_uri() + "/", url_fetcher=res.fetcher)
    return page.write_pdf(stylesheets=list(res.stylesheets), font_config=res.font_config)


def overlay_stamp(base: bytes, stamp: bytes) -> bytes:
    """``base`` with the first page of ``stamp`` drawn over every page (as one Form XObject).

    The base's objects are copied as they are (no content stream is decoded or
    recompressed); the catalog keeps its PDF/A-3b XMP metadata, output intent and
    associated file; each page gets ``q … Q q /DossierStamp Do Q`` around its content.
    """
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject, NumberObject

    # incremental: the base's bytes are kept as they are (object streams, compressed xref),
    # the changed page objects and the stamp follow as an update section (allowed by PDF/A).
    writer = PdfWriter(io.BytesIO(base), incremental=True)
    stamp_page = PdfReader(io.BytesIO(stamp)).pages[0]
    contents = stamp_page["/Contents"].get_object()
    if isinstance(contents, ArrayObject):  # pragma: no cover - WeasyPrint writes one stream
        raise ValueError("stamp page with several content streams")
    form = contents.clone(writer)
    form[NameObject("/Type")] = NameObject("/XObject")
    form[NameObject("/Subtype")] = NameObject("/Form")
    form[NameObject("/FormType")] = NumberObject(1)
    form[NameObject("/BBox")] = ArrayObject(stamp_page.mediabox)
    form[NameObject("/Resources")] = stamp_page["/Resources"].get_object().clone(writer)
    form_ref = writer._add_object(form)

    def stream(data: bytes):
        obj = DecodedStreamObject()
        obj.set_data(data)
        return writer._add_object(obj)

    before, after = stream(b"q\n"), stream(b"\nQ\nq " + STAMP_XOBJECT.encode() + b" Do Q\n")
    for page in writer.pages:
        resources_ = page.get("/Resources")
        resources_ = resources_.get_object() if resources_ is not None else DictionaryObject()
        page[NameObject("/Resources")] = resources_
        xobjects = resources_.get("/XObject")
        xobjects = xobjects.get_object() if xobjects is not None else DictionaryObject()
        resources_[NameObject("/XObject")] = xobjects
        xobjects[NameObject(STAMP_XOBJECT)] = form_ref
        existing = page["/Contents"]
        existing = existing.get_object() if not isinstance(existing, ArrayObject) else existing
        parts = list(existing) if isinstance(existing, ArrayObject) else [page.raw_get("/Contents")]
        page[NameObject("/Contents")] = ArrayObject([before, *parts, after])
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
