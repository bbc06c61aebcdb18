"""The verification QR code, inline as a data: URI (no file, no fetch).

A 1-bit PNG rather than SVG: WeasyPrint draws it as one image XObject, where
the SVG path costs ~0.1 s of parsing and drawing per render. The stylesheet
prints it with ``image-rendering: pixelated`` so the modules stay sharp.
"""
from __future__ import annotations

from functools import lru_cache

import segno


@lru_cache(maxsize=256)
def qr_data_uri(url: str) -> str:
    """A PNG data: URI of a QR code for ``url`` (error correction M, no quiet zone)."""
    code = segno.make(url, error="m", micro=False)
    return code.png_data_uri(scale=4, border=0)
