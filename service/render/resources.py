"""Render resources that are expensive to build and reused across renders.

A WeasyPrint ``FontConfiguration`` (a fontconfig + Pango font map) costs a
font scan to build, and the stylesheet costs a parse; both are kept for the
life of the process. Neither is documented as safe to share between threads
(Pango font maps are not), so each thread gets its own pair, built once on
first use: renders on different threads run in parallel, renders on one
thread reuse everything.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from weasyprint import CSS
from weasyprint.text.fonts import FontConfiguration

from .fetcher import TEMPLATES_DIR, SafeFetcher

STYLESHEET = TEMPLATES_DIR / "official.css"

_local = threading.local()


@dataclass(frozen=True)
class Resources:
    font_config: FontConfiguration
    fetcher: SafeFetcher
    stylesheets: tuple[CSS, ...]


def resources() -> Resources:
    """This thread's font configuration, fetcher and parsed stylesheets."""
    cached = getattr(_local, "resources", None)
    if cached is None:
        cached = _local.resources = _build()
    return cached


def _build() -> Resources:
    font_config = FontConfiguration()
    fetcher = SafeFetcher()
    css = CSS(filename=str(STYLESHEET), font_config=font_config, url_fetcher=fetcher)
    return Resources(font_config, fetcher, (css,))


def harfbuzz_subsetting() -> bool:
    """Whether WeasyPrint will subset fonts with HarfBuzz (fast) rather than fontTools (slow).

    WeasyPrint 70 (``weasyprint/pdf/fonts.py``, ``Font.subset``) uses HarfBuzz when
    ``libharfbuzz-subset`` could be loaded and HarfBuzz is at least 4.1.0.
    """
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset
    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))
