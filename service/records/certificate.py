"""The destruction certificate (销毁记录) as a one-page PDF.

Same approach as the official copy (service/render): the Jinja2 environment over
``pdf_templates/`` (autoescaped), this thread's WeasyPrint font configuration and
the renderer's restricted URL fetcher, so the certificate fetches nothing.
"""
from __future__ import annotations

import datetime as dt

from weasyprint import HTML

from service.clock import SHANGHAI
from service.render.fetcher import TEMPLATES_DIR
from service.render.markup import ENV
from service.render.resources import resources


def _local(moment) -> str:
    if not isinstance(moment, dt.datetime):
        return ""
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def certificate_html(record: dict) -> str:
    return ENV.get_template("destruction.html").render(
        record=record, created=_local(record.get("created_at"))[:10], destroyed=_local(record.get("destroyed_at")))


def render_certificate(record: dict) -> bytes:
    res = resources()
    page = HTML(string=certificate_html(record), base_url=TEMPLATES_DIR.as_uri() + "/", url_fetcher=res.fetcher)
    return page.write_pdf(font_config=res.font_config)
