"""Render resources that are expensive to build and reused across renders.

A WeasyPrint ``FontConfiguration`` (a fontconfig + Pango font map) costs a
font scan to build, and the stylesheet costs a parse; both are kept for the
life of the process. Neither is documented as safe to share between threads
(Pango font maps are not), so each thread gets its own pair, built once on
first use: renders on different threads run in parallel, renders on one
thread reuse everything.

The common-character font (the CJK cost)
----------------------------------------
The stylesheet names "Noto Sans CJK SC", one face of a 19 MB TrueType
collection with 65,535 glyphs. WeasyPrint copies the whole collection into a
Python bytes object for every PDF, and subsets it keeping glyph ids
(``RETAIN_GIDS``): a page of common hanzi uses glyph ids up to ~60,000, so
every PDF carried tens of thousands of empty glyph slots, subset and
deflated (level 9) on each render. Instead, once per machine, the face is cut
with HarfBuzz (~0.5 s) to the GB 2312 repertoire plus Latin, punctuation and
the full-width forms (~7,700 glyphs, compact glyph ids, 3.4 MB, layout tables
kept) and renamed "Dossier CJK SC". The stylesheet's font lists become
``"Dossier CJK SC", "Noto Sans CJK SC", ...``: every common character comes
from the cut, any other one (生僻字 in names such as 𠮷, 堃, 喆) falls back to
the full face, which is then embedded as a second, small subset — only in
the documents that need it. Nothing changes on paper: the cut holds the very
same outlines and metrics.

The cut is cached in ``$DOSSIER_FONT_CACHE`` (default
``$XDG_CACHE_HOME/dossier-service/fonts`` or ``~/.cache/dossier-service/fonts``),
named after the source font's path, size and mtime and the repertoire
version, written atomically (safe with several workers starting at once). If
it cannot be built (no HarfBuzz-subset, read-only cache, no Noto font) the
renderer logs a warning and prints with the full face, as before.
"""
from __future__ import annotations

import hashlib
import logging
import os
import re
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from weasyprint import CSS
from weasyprint.text.fonts import FontConfiguration

from .fetcher import TEMPLATES_DIR, SafeFetcher

LOGGER = logging.getLogger(__name__)
STYLESHEET = TEMPLATES_DIR / "official.css"
FULL_FAMILY = "Noto Sans CJK SC"
CUT_FAMILY = "Dossier CJK SC"
CUT_VERSION = "gb2312-1"          # bump when the repertoire below changes

_local = threading.local()
_cut_lock = threading.Lock()


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
    cut = common_font()
    if cut is not None and not _add_font_file(font_config, cut):
        cut = None
    stamp = stamp_font() if cut is not None else None
    if stamp is not None:
        _add_font_file(font_config, stamp)
    fetcher = SafeFetcher()
    text = STYLESHEET.read_text(encoding="utf-8")
    if cut is not None:
        text = prefer_cut_font(text)
    css = CSS(string=text, base_url=STYLESHEET.as_uri(), font_config=font_config, url_fetcher=fetcher)
    return Resources(font_config, fetcher, (css,))


_FAMILY_RE = re.compile(r"""(["'])Noto Sans CJK SC\1""")


@lru_cache(maxsize=1)
def stylesheet_key() -> str:
    """What the stylesheet and fonts contribute to a copy (part of the copy cache key)."""
    cut = common_font()
    text = STYLESHEET.read_text(encoding="utf-8")
    return hashlib.sha256(f"{text}|{cut}|{stamp_font()}|{CUT_VERSION}".encode()).hexdigest()


def prefer_cut_font(css_text: str) -> str:
    """Every ``"Noto Sans CJK SC"`` in a font list becomes ``"Dossier CJK SC", "Noto Sans CJK SC"``."""
    return _FAMILY_RE.sub(f'"{CUT_FAMILY}", "{FULL_FAMILY}"', css_text)


def _add_font_file(font_config: FontConfiguration, path: Path) -> bool:
    """Make ``path`` known to this font configuration only (an application font of its FcConfig)."""
    from weasyprint.text.ffi import ffi, fontconfig, pangoft2
    config = getattr(font_config, "_config", None)
    if config is None:  # pragma: no cover - another WeasyPrint version
        return False
    if not fontconfig.FcConfigAppFontAddFile(config, os.fsencode(path)):
        LOGGER.warning("could not load the common-character font %s", path)
        return False
    pangoft2.pango_fc_font_map_config_changed(ffi.cast("PangoFcFontMap *", font_config.font_map))
    return True


# ---- the common-character cut ---------------------------------------------------------


def common_repertoire() -> list[int]:
    """Code points of the cut: GB 2312 (6,763 hanzi and its symbols), Latin, punctuation, forms."""
    chars = set(range(0x20, 0x7F)) | set(range(0xA0, 0x250))
    for start, end in ((0x2000, 0x2070), (0x2100, 0x2200), (0x2460, 0x24FF), (0x2500, 0x2600),
                       (0x3000, 0x3040), (0xFE30, 0xFE50), (0xFF00, 0xFFF0)):
        chars.update(range(start, end))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.update(map(ord, bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    return sorted(chars)


def font_cache_dir() -> Path:
    if os.environ.get("DOSSIER_FONT_CACHE"):
        return Path(os.environ["DOSSIER_FONT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "dossier-service" / "fonts"


def full_font() -> tuple[Path, int] | None:
    """File and face index of Noto Sans CJK SC Regular, as fontconfig resolves it."""
    try:
        out = subprocess.run(["fc-match", "-f", "%{file}\n%{index}\n%{family}", f"{FULL_FAMILY}:style=Regular"],
                             capture_output=True, text=True, timeout=20, check=True).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return None
    if len(out) < 3 or FULL_FAMILY not in out[2]:
        return None
    return Path(out[0]), int(out[1] or 0)


#: What the per-print stamp (打印时间 … 复本编号 …, see ``pdf.stamp_pdf``) is printed with: ASCII
#: and the label characters, ~110 glyphs, so that the stamp's embedded subset is a few KB
#: (a subset of the common cut keeps glyph ids up to ~7,700 and weighed ~40 KB).
STAMP_FAMILY = "Dossier Stamp SC"
STAMP_CHARACTERS = "打印时间复本编号份第页共校验码档案版"


def stamp_repertoire() -> list[int]:
    return sorted(set(range(0x20, 0x7F)) | {0xA0, 0x3000} | set(map(ord, STAMP_CHARACTERS)))


@lru_cache(maxsize=1)
def common_font() -> Path | None:
    """The common-character cut (built on first use, then cached on disk), or None when unavailable."""
    return _cut_font("dossier-cjk-sc", CUT_FAMILY, common_repertoire, CUT_VERSION)


@lru_cache(maxsize=1)
def stamp_font() -> Path | None:
    """The stamp cut (ASCII and the stamp's label characters), or None when unavailable."""
    version = hashlib.sha256(STAMP_CHARACTERS.encode()).hexdigest()[:8]
    return _cut_font("dossier-stamp-sc", STAMP_FAMILY, stamp_repertoire, version)


def _cut_font(stem: str, family: str, repertoire, version: str) -> Path | None:
    if os.environ.get("DOSSIER_FONT_CUT", "1") == "0":
        return None
    with _cut_lock:
        try:
            source = full_font()
            if source is None:
                LOGGER.warning("%s not found: CJK prints with fontconfig's fallback", FULL_FAMILY)
                return None
            path, index = source
            stat = path.stat()
            key = hashlib.sha256(f"{path}|{index}|{stat.st_size}|{stat.st_mtime_ns}|{version}".encode())
            target = font_cache_dir() / f"{stem}-{key.hexdigest()[:16]}.otf"
            if not target.is_file():
                data = _rename_family(_harfbuzz_cut(path, index, repertoire()), family)
                target.parent.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=target.parent, suffix=".tmp", delete=False) as tmp:
                    tmp.write(data)
                os.chmod(tmp.name, 0o644)
                os.replace(tmp.name, target)
            return target
        except Exception as exc:  # any failure: print with the full face, as before
            LOGGER.warning("font cut %s unavailable (%s): CJK PDFs render slower", family, exc)
            return None


_HB_CDEF = """
typedef struct hb_blob_t hb_blob_t; typedef struct hb_face_t hb_face_t;
typedef struct hb_set_t hb_set_t; typedef struct hb_subset_input_t hb_subset_input_t;
hb_blob_t * hb_blob_create_from_file(const char *file_name);
void hb_blob_destroy(hb_blob_t *blob);
const char * hb_blob_get_data(hb_blob_t *blob, unsigned int *length);
hb_face_t * hb_face_create(hb_blob_t *blob, unsigned int index);
void hb_face_destroy(hb_face_t *face);
hb_blob_t * hb_face_reference_blob(hb_face_t *face);
void hb_set_add(hb_set_t *set, uint32_t codepoint);
hb_subset_input_t * hb_subset_input_create_or_fail(void);
void hb_subset_input_destroy(hb_subset_input_t *input);
hb_set_t * hb_subset_input_unicode_set(hb_subset_input_t *input);
void hb_subset_input_set_flags(hb_subset_input_t *input, unsigned value);
hb_face_t * hb_subset_or_fail(hb_face_t *source, const hb_subset_input_t *input);
"""


def _harfbuzz_cut(path: Path, index: int, codepoints: list[int]) -> bytes:
    """One face of ``path`` cut to ``codepoints`` by HarfBuzz (glyph ids renumbered, layout kept)."""
    import cffi
    ffi = cffi.FFI()
    ffi.cdef(_HB_CDEF)
    hb = ffi.dlopen("libharfbuzz.so.0")
    hbs = ffi.dlopen("libharfbuzz-subset.so.0")
    blob = hb.hb_blob_create_from_file(os.fsencode(path))
    face = hb.hb_face_create(blob, index)
    subset_input = hbs.hb_subset_input_create_or_fail()
    cut = out_blob = ffi.NULL
    try:
        unicodes = hbs.hb_subset_input_unicode_set(subset_input)
        for codepoint in codepoints:
            hb.hb_set_add(unicodes, codepoint)
        hbs.hb_subset_input_set_flags(subset_input, 0)   # defaults: layout closure, hinting kept
        cut = hbs.hb_subset_or_fail(face, subset_input)
        if cut == ffi.NULL:
            raise RuntimeError("HarfBuzz could not subset the font")
        out_blob = hb.hb_face_reference_blob(cut)
        length = ffi.new("unsigned int *")
        data = ffi.buffer(hb.hb_blob_get_data(out_blob, length), length[0])[:]
    finally:
        if out_blob != ffi.NULL:
            hb.hb_blob_destroy(out_blob)
        if cut != ffi.NULL:
            hb.hb_face_destroy(cut)
        hbs.hb_subset_input_destroy(subset_input)
        hb.hb_face_destroy(face)
        hb.hb_blob_destroy(blob)
    if len(data) < 1024:
        raise RuntimeError("HarfBuzz returned an empty font")
    return data


def _rename_family(data: bytes, family: str) -> bytes:
    """The cut under its own family name, so that it never masks the full face."""
    from fontTools.ttLib import TTFont
    with tempfile.TemporaryDirectory() as folder:
        raw, renamed = Path(folder) / "raw.otf", Path(folder) / "renamed.otf"
        raw.write_bytes(data)
        font = TTFont(str(raw), lazy=True)
        compact = FULL_FAMILY.replace(" ", "")
        for record in font["name"].names:
            if record.nameID in (1, 3, 4, 6, 16, 17, 18, 21):
                text = record.toUnicode()
                record.string = text.replace(FULL_FAMILY, family).replace(
                    "NotoSansCJKsc", family.replace(" ", "")).replace(compact, family.replace(" ", ""))
        font.save(str(renamed))
        font.close()
        return renamed.read_bytes()


def harfbuzz_subsetting() -> bool:
    """Whether WeasyPrint will subset fonts with HarfBuzz (fast) rather than fontTools (slow).

    WeasyPrint 70 (``weasyprint/pdf/fonts.py``, ``Font.subset``) uses HarfBuzz when
    ``libharfbuzz-subset`` could be loaded and HarfBuzz is at least 4.1.0.
    """
    from weasyprint.text.ffi import harfbuzz, harfbuzz_subset
    return bool(harfbuzz_subset) and bool(harfbuzz.hb_version_atleast(4, 1, 0))
