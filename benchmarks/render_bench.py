"""Official-copy render time: the 66-item Mackay form in Chinese against a Latin-only floor.

DESIGN §5: with HarfBuzz subsetting a CJK form should take ~0.6 s, and the same
layout with Latin text only is the floor to aim at. This script renders the
mackay66 sample N times (after one untimed warm-up render, which builds the
per-thread font configuration and parses the stylesheet) and the very same
HTML with every CJK character replaced by two Latin letters, and prints the
median seconds of each and the ratio ours/latin.

    .venv/bin/python benchmarks/render_bench.py --runs 5

Targets: ours < 1 s, ratio < 2 (2-core machine).
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from service.samples import shared_dir  # noqa: E402

from schemas.validation import load_dossier  # noqa: E402
from service.render import document_hash, render_official_copy  # noqa: E402
from service.render.markup import render_html  # noqa: E402
from service.render.pdf import write_pdf  # noqa: E402
from service.render.resources import harfbuzz_subsetting  # noqa: E402

SAMPLE = shared_dir() / "samples" / "mackay66-wang.json"
PRINTED_AT = datetime(2026, 10, 12, 6, 30, tzinfo=timezone.utc)
# CJK ideographs, radicals, kana, CJK punctuation, full-width forms, the □/■ marks.
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef\u25a0-\u25ff\u2018-\u201d]")
CSS_ESCAPE = re.compile(r"\\([0-9a-f]{6}) ")


def stored_document(sample: Path) -> dict:
    """The sample (keyed by Chinese labels) as the service stores it."""
    loaded = load_dossier(json.loads(sample.read_text(encoding="utf-8")))
    document = {
        "archive_no": "KH-2026-000066", "template": loaded.template.name, "version": 1,
        **{k: v for k, v in loaded.envelope.items() if v is not None},
        "data": loaded.data, "extra": loaded.extra,
    }
    try:
        from schemas.completeness import score
        document["completeness"] = score(loaded.template, loaded.data)
    except Exception:  # completeness is decoration here
        pass
    return document, loaded.template


def latin(ch: str) -> str:
    code = ord(ch)
    return chr(97 + code % 26) + chr(97 + (code // 26) % 26)


def latinise(html: str) -> str:
    """Every CJK character (also inside the CSS hex escapes of the page margins) → two letters."""
    def escaped(match):
        ch = chr(int(match[1], 16))
        return latin(ch) if CJK.match(ch) else match[0]
    return CJK.sub(lambda m: latin(m[0]), CSS_ESCAPE.sub(escaped, html))


def timed(fn, runs: int) -> tuple[float, list[float]]:
    fn()  # warm-up: font configuration, stylesheet, font files
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--out", type=Path, help="also write both PDFs here (directory)")
    args = parser.parse_args(argv)

    document, template = stored_document(args.sample)
    url = f"https://dossier.example.cn/verify/{document['archive_no']}?h={document_hash(document)}"
    kwargs = dict(printed_at=PRINTED_AT, verify_url=url, serial="FB-0001")
    latin_html = latinise(render_html(document, template, **kwargs))
    assert not CJK.search(latin_html)

    def ours():
        return render_official_copy(document, template, **kwargs)

    def floor():
        render_html(document, template, **kwargs)  # same templating work, result replaced
        return write_pdf(latin_html, document, PRINTED_AT)

    print(f"HarfBuzz subsetting: {'yes' if harfbuzz_subsetting() else 'NO (fontTools, slow)'}")
    ours_median, ours_times = timed(ours, args.runs)
    floor_median, floor_times = timed(floor, args.runs)
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "mackay66.pdf").write_bytes(ours())
        (args.out / "mackay66-latin.pdf").write_bytes(floor())
    print(f"runs: {args.runs}")
    print(f"ours  (CJK)  median {ours_median:.3f} s   {' '.join(f'{t:.3f}' for t in ours_times)}")
    print(f"floor (Latin) median {floor_median:.3f} s   {' '.join(f'{t:.3f}' for t in floor_times)}")
    print(f"ratio ours/latin: {ours_median / floor_median:.2f}")
    ok = ours_median < 1.0 and ours_median / floor_median < 2.0
    print("target (< 1 s, ratio < 2):", "met" if ok else "NOT met")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
