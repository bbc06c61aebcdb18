"""Dossier → HTML: the Jinja2 environment over ``pdf_templates/`` and the page context.

Autoescape is on for everything, so user text never becomes markup. The only
raw string inserted is the per-document ``@page`` rule, built here from CSS
strings in which every character outside a small ASCII set is hex-escaped.
"""
from __future__ import annotations

from datetime import datetime, timezone

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

from schemas.model import Template
from schemas.validation import CONFIDENTIALITY_LABELS
from service.clock import SHANGHAI

from .fetcher import TEMPLATES_DIR
from .fingerprint import document_hash
from .qr import qr_data_uri
from .signatures import signatures
from .values import format_value
from .walk import FormWalker

WATERMARKS = {"confidential": "机密", "secret": "绝密"}
_CSS_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_:.,/")

ENV = Environment(
    loader=FileSystemLoader(str(TEMPLATES_DIR)),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def nl2br(text: str):
    """Line breaks the clerk typed, kept (escaped text joined with <br>)."""
    text = str(text).replace("\r\n", "\n")
    return Markup("<br>").join(escape(line) for line in text.split("\n")) if "\n" in text else text


ENV.filters["nl2br"] = nl2br


def css_string(text: str) -> str:
    """A quoted CSS string; anything but plain ASCII is hex-escaped (safe inside <style>)."""
    return '"' + "".join(ch if ch in _CSS_SAFE else f"\\{ord(ch):06x} " for ch in text) + '"'


def layout_name(template: Template) -> str:
    """``layouts/<layout or name>.html`` when that file exists, else the generic form."""
    name = template.layout or template.name
    if name.replace("_", "").replace("-", "").isalnum() and (TEMPLATES_DIR / "layouts" / f"{name}.html").is_file():
        return f"layouts/{name}.html"
    return "generic.html"


def local_time(moment: datetime) -> str:
    """``YYYY-MM-DD HH:MM`` in Asia/Shanghai (naive datetimes are UTC, as stored)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def page_style(template: Template, document: dict, printed: str, serial: str | None, digest: str) -> Markup:
    """The per-document content of the page margin boxes (header and footer)."""
    archive = f"档案编号 {document.get('archive_no') or ''}"
    if document.get("version"):
        archive += f"    版本 {document['version']}"
    left = f"打印时间 {printed}" + (f"    复本编号 {serial}" if serial else "")
    rules = {
        "top-left": css_string(template.title),
        "top-right": css_string(archive),
        "bottom-left": css_string(left),
        "bottom-right": css_string(f"校验码 {digest[:16]}"),
    }
    boxes = "".join(f"@{box}{{content:{value}}}" for box, value in rules.items())
    return Markup(f"@page{{{boxes}}}")


def completeness_text(document: dict) -> str:
    overall = (document.get("completeness") or {}).get("overall")
    return f"完整度 {round(float(overall) * 100)}%" if isinstance(overall, (int, float)) else ""


def extra_rows(document: dict) -> list[tuple[str, str, str]]:
    rows = document.get("extra") or []
    return [(format_value(r.get("path")), format_value(r.get("name")), format_value(r.get("value")))
            for r in rows if isinstance(r, dict)]


def render_html(document: dict, template: Template, *, printed_at: datetime, verify_url: str | None,
                serial: str | None = None) -> str:
    """``verify_url`` None prints a draft (草稿): not stored, so nothing to verify it against."""
    digest = document_hash(document)
    printed = local_time(printed_at)
    signed = signatures(template, document)
    context = {
        "template": template,
        "document": document,
        "sections": FormWalker(template, document, signed.consumed).sections(),
        "watermark": "草稿" if verify_url is None else WATERMARKS.get(document.get("confidentiality") or ""),
        "confidentiality": CONFIDENTIALITY_LABELS.get(document.get("confidentiality") or "", ""),
        "classification": document.get("classification") or {},
        "completeness": completeness_text(document),
        "signatures": signed,
        "extra": extra_rows(document),
        "digest": digest,
        "qr": qr_data_uri(verify_url) if verify_url else None,
        "verify_url": verify_url,
        "printed": printed,
        "serial": serial,
        "page_style": page_style(template, document, printed, serial, digest),
    }
    return ENV.get_template(layout_name(template)).render(context)
