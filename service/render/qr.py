"""The verification QR code, inline as a data: URI (no file, no fetch)."""
from __future__ import annotations

from functools import lru_cache

import segno


@lru_cache(maxsize=256)
def qr_data_uri(url: str) -> str:
    """An SVG data: URI of a QR code for ``url`` (error correction M, no quiet zone)."""
    code = segno.make(url, error="m", micro=False)
    return code.svg_data_uri(scale=4, border=0, dark="#000", light=None)
