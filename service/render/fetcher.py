"""The only URL fetcher the renderer uses: data: URIs and files inside ``pdf_templates/``.

User text is escaped, so it never becomes markup; this fetcher is the second
line of defence. Anything else (http, https, ftp, file outside the templates
directory, ``..`` escapes, symlinks pointing out) raises :class:`FetchRefused`,
which WeasyPrint reports as a warning and skips: the renderer fetches no URL
and no local file that the template did not name.
"""
from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse

import pdf_templates

TEMPLATES_DIR = Path(pdf_templates.__file__).resolve().parent


class FetchRefused(ValueError):
    """The renderer was asked for a resource it must not fetch."""


class SafeFetcher(URLFetcher):
    """A WeasyPrint URL fetcher restricted to ``data:`` and ``file:`` inside ``root``."""

    def __init__(self, root: Path = TEMPLATES_DIR):
        super().__init__(allowed_protocols=("data", "file"), allow_redirects=False)
        self.root = Path(root).resolve()

    def fetch(self, url, headers=None):
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            return self._fetch_file(url)
        raise FetchRefused(f"refused to fetch {url!r}")

    def _fetch_file(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"refused to fetch {url!r}")
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise FetchRefused(f"refused to fetch {url!r}")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})
