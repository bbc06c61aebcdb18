"""HTML → PDF/A-3b with the dossier's JSON embedded (WeasyPrint)."""
from __future__ import annotations

import io
import logging
from datetime import datetime, timezone
from typing import Any

import orjson
from weasyprint import HTML, Attachment

from .fetcher import TEMPLATES_DIR
from .resources import harfbuzz_subsetting, resources

LOGGER = logging.getLogger(__name__)
PDF_VARIANT = "pdf/a-3b"

if not harfbuzz_subsetting():  # pragma: no cover - depends on the machine
    LOGGER.warning("libharfbuzz-subset missing: CJK PDFs will take ~20x longer (fontTools subsetting)")


def dossier_json(document: dict[str, Any]) -> bytes:
    """The dossier as JSON: datetimes as ISO 8601 (naive ones are UTC), keys sorted."""
    option = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NAIVE_UTC | orjson.OPT_NON_STR_KEYS
    return orjson.dumps(document, option=option, default=str)


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
