"""Official copy vs. the Latin floor vs. warm headless Chromium, side by side in one run.

For each document (the mackay66 sample, 4 pages; the `standard` sample with 50
communication records 客户交流记录) it times, interleaved round by round so that
load from other processes hits every contender alike:

ours         ``render_official_copy`` — the whole pipeline: Jinja2 HTML, WeasyPrint,
             fonts, QR code, PDF/A-3b with the JSON attachment.
floor        the same pipeline on the same HTML with every CJK character replaced by
             Latin letters (two per character, a space after every second character,
             so that the text wraps as words: a Latin document of the same layout).
chromium     the same HTML (official.css inlined) printed by headless Chromium kept warm:
             one browser and one page reused, ``page.set_content`` + ``page.pdf`` (A4,
             backgrounds); the templating time is included as for the others.
ours-cached  (``--cached``) a second print of the same stored version: the immutable part
             comes from the copy cache, only the per-print stamps are rendered and overlaid.

It prints the median of each, the ratios ours/floor and ours/chromium, and the PDF sizes.

    .venv/bin/python benchmarks/render_compare.py --runs 7
    .venv/bin/python benchmarks/render_compare.py --runs 7 --out /tmp/render-compare   # keep the PDFs

Goals (issue 7): ours ≤ 1.5 × floor and ours ≤ 0.5 × chromium.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from corpus import stored  # noqa: E402

from schemas.registry import get_template  # noqa: E402
from service.render import document_hash, render_official_copy  # noqa: E402
from service.render.markup import render_html  # noqa: E402
from service.render.pdf import write_pdf  # noqa: E402
from service.render.resources import STYLESHEET, harfbuzz_subsetting  # noqa: E402
from service.samples import shared_dir  # noqa: E402

SAMPLES = shared_dir() / "samples"
PRINTED_AT = datetime(2026, 10, 12, 6, 30, tzinfo=timezone.utc)
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# CJK ideographs (also outside the BMP), kana, CJK punctuation, full-width forms, □/■, quotes.
CJK = re.compile("[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u25a0-\u25ff\u2018-\u201d"
                 "\U00020000-\U0003ffff]")
CJK_RUN = re.compile(CJK.pattern + "+")
CSS_ESCAPE = re.compile(r"\\([0-9a-f]{6}) ")
TOPICS = ["面谈", "电话", "邮件", "微信", "上门拜访"]


def long_standard(records: int = 50) -> dict:
    """The standard sample with ``records`` communication records (客户交流记录)."""
    raw = json.loads((SAMPLES / "standard-huaxin.json").read_text(encoding="utf-8"))
    raw = copy.deepcopy(raw)
    rows = []
    for i in range(records):
        rows.append({
            "日期和时间": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d} {9 + i % 9:02d}:30",
            "交流方式": TOPICS[i % len(TOPICS)],
            "交流内容": (f"第{i + 1}次交流：讨论门店补货周期与冷链配送安排，客户希望周末增加一班配送，"
                      f"并确认第{i % 4 + 1}季度促销活动的备货数量与结算方式。"),
        })
    raw["data"]["客户交流记录"] = rows
    return raw


def latin_letters(ch: str) -> str:
    code = ord(ch)
    return chr(97 + code % 26) + chr(97 + (code // 26) % 26)


def latin_run(run: str) -> str:
    """A run of CJK characters as Latin words: two letters per character, a space every two."""
    letters = [latin_letters(ch) for ch in run]
    return " ".join("".join(letters[i:i + 2]) for i in range(0, len(letters), 2))


def latinise(html: str) -> str:
    """Every CJK character (also inside the CSS hex escapes of the page margins) → Latin."""
    def escaped(match):
        ch = chr(int(match[1], 16))
        return latin_letters(ch) if CJK.match(ch) else match[0]
    return CJK_RUN.sub(lambda m: latin_run(m[0]), CSS_ESCAPE.sub(escaped, html))


def chromium_html(html: str) -> str:
    """The same HTML with the stylesheet WeasyPrint is given inlined (Chromium gets no URL)."""
    css = STYLESHEET.read_text(encoding="utf-8")
    return html.replace("</head>", f"<style>{css}</style>\n</head>", 1)


class Chromium:
    """One headless Chromium and one page, kept warm between documents."""

    def __init__(self):
        from playwright.sync_api import sync_playwright
        self._pw = sync_playwright().start()
        self.browser = self._pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        self.page = self.browser.new_page()
        self.page.route("**/*", lambda route: route.abort()
                        if not route.request.url.startswith("data:") else route.continue_())

    def pdf(self, html: str) -> bytes:
        self.page.set_content(html, wait_until="load")
        return self.page.pdf(format="A4", print_background=True, prefer_css_page_size=True)

    def close(self):
        self.browser.close()
        self._pw.stop()


def clear_copy_cache() -> None:
    """Forget cached official copies (if the renderer keeps any): "ours" is always a first print."""
    try:
        from service.render import copy_cache
    except ImportError:
        return
    copy_cache.clear()


def median_ms(times: list[float]) -> float:
    return statistics.median(times) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--records", type=int, default=50, help="communication records of the long standard dossier")
    parser.add_argument("--no-chromium", action="store_true")
    parser.add_argument("--cached", action="store_true", help="also time a repeated print (copy cache)")
    parser.add_argument("--out", type=Path, help="write every PDF here (directory)")
    args = parser.parse_args(argv)

    documents = [
        ("mackay66", stored(json.loads((SAMPLES / "mackay66-wang.json").read_text("utf-8")), "KH-2026-000066")),
        (f"standard+{args.records}", stored(long_standard(args.records), "KH-2026-000050")),
    ]
    chromium = None if args.no_chromium else Chromium()
    print(f"load average at start: {os.getloadavg()[0]:.2f}   runs: {args.runs} (interleaved, after 1 warm-up)   "
          f"HarfBuzz subsetting: {'yes' if harfbuzz_subsetting() else 'NO (fontTools, slow)'}")
    results = {}
    serial = iter(range(1, 10**6))
    try:
        for name, document in documents:
            template = get_template(document["template"])
            url = f"https://dossier.example.cn/api/v1/verify/{document_hash(document)}"
            kwargs = dict(printed_at=PRINTED_AT, verify_url=url)
            html = render_html(document, template, serial="FB-000001", **kwargs)
            latin_html = latinise(html)
            assert not CJK.search(latin_html), "floor still holds CJK text"

            def ours():
                # a fresh serial every print: nothing of a previous print can be reused as is
                clear_copy_cache()
                return render_official_copy(document, template, serial=f"FB-{next(serial):06d}", **kwargs)

            def floor():
                render_html(document, template, serial="FB-000001", **kwargs)  # same templating work
                return write_pdf(latin_html, document, PRINTED_AT)

            def chrome():
                page = render_html(document, template, serial="FB-000001", **kwargs)
                return chromium.pdf(chromium_html(page))

            def ours_cached():
                return render_official_copy(document, template, serial=f"FB-{next(serial):06d}", **kwargs)

            contenders = {"ours": ours, "floor": floor}
            if chromium is not None:
                contenders["chromium"] = chrome
            if args.cached:
                contenders["ours-cached"] = ours_cached
            times = {key: [] for key in contenders}
            sizes = {}
            for key, fn in contenders.items():  # warm-up
                pdf = fn()
                sizes[key] = len(pdf)
                if args.out:
                    args.out.mkdir(parents=True, exist_ok=True)
                    (args.out / f"{name}-{key}.pdf").write_bytes(pdf)
            for _ in range(args.runs):
                for key, fn in contenders.items():
                    start = time.perf_counter()
                    fn()
                    times[key].append(time.perf_counter() - start)
            results[name] = (times, sizes)
    finally:
        if chromium is not None:
            chromium.close()

    print()
    for name, (times, sizes) in results.items():
        print(f"== {name}")
        for key, values in times.items():
            print(f"  {key:12s} median {median_ms(values):7.0f} ms   size {sizes[key] / 1024:6.0f} KB   "
                  f"runs {' '.join(f'{v * 1000:.0f}' for v in values)}")
        ours_ms = median_ms(times["ours"])
        floor_ratio = ours_ms / median_ms(times["floor"])
        print(f"  ratio ours/floor    {floor_ratio:.2f}   (goal ≤ 1.5: {'met' if floor_ratio <= 1.5 else 'NOT met'})")
        if "chromium" in times:
            chrome_ratio = ours_ms / median_ms(times["chromium"])
            print(f"  ratio ours/chromium {chrome_ratio:.2f}   (goal ≤ 0.5: {'met' if chrome_ratio <= 0.5 else 'NOT met'})")
        if "ours-cached" in times:
            cached = median_ms(times["ours-cached"])
            print(f"  ratio cached/floor  {cached / median_ms(times['floor']):.2f}   "
                  f"cached/chromium {cached / median_ms(times['chromium']) if 'chromium' in times else float('nan'):.2f}")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
