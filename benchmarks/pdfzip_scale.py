"""PDF ZIP export: 1 worker against 2 (or ``--workers``), with peak memory; limits on a pathological dossier.

1. Builds ``--count`` dossiers in memory from the samples (each validated once by
   ``DossierService.create``, then copied with varied client names, regions and
   levels) and writes the ZIP with ``service.bulk.export_pdfzip.pdfzip_chunks``
   (what ``GET /api/v1/export?format=pdf`` streams), with 1 worker and then with
   ``--workers``, interleaved in ``--rounds`` rounds; the ZIP goes to a temporary file. Prints seconds, PDFs/s, the
   speed-up, and the peak resident memory of the whole process tree (this process,
   the forkserver and the render workers, sampled every 0.2 s). Next to it, a
   control: the speed-up of pure-Python arithmetic on as many processes, i.e. what
   the machine gives at the moment (other jobs, shared vCPUs).
2. A pathological dossier (``--rows`` communication records, far beyond what the
   validation lets in) between two normal ones, with a short timeout, then with a
   low memory cap and no timeout: the manifest must report it as a failure with a
   clear error, the other two must be there, and nothing may hang.

    .venv/bin/python benchmarks/pdfzip_scale.py --count 1000          # ~12 min on 2 cores, 4 interleaved rounds
    .venv/bin/python benchmarks/pdfzip_scale.py --count 100 --skip-limits

Goal (issue 7): ≥ 1.8 × faster with 2 workers on 2 cores.
"""
from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus import stored_samples, variants  # noqa: E402

from schemas.registry import get_template  # noqa: E402
from service.bulk.export_pdfzip import MANIFEST, RenderLimits, pdfzip_chunks  # noqa: E402

VERIFY = "http://127.0.0.1/api/v1/verify/"


def dossiers(count: int, bases: list[dict]):
    for doc in variants(bases, 0, count):
        yield doc, get_template(doc["template"])


class PeakMemory(threading.Thread):
    """Peak of the summed RSS of this process and all its descendants."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = threading.Event()

    def tree_rss(self) -> int:
        parents, rss = {}, {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            parents[int(entry.name)] = int(fields.get("PPid", "0").strip() or 0)
            rss[int(entry.name)] = int((fields.get("VmRSS", "0 kB").split() or ["0"])[0])
        tree, frontier = {os.getpid()}, {os.getpid()}
        while frontier:
            frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - tree
            tree |= frontier
        return sum(rss.get(pid, 0) for pid in tree) * 1024

    def run(self):
        while not self.stop.is_set():
            self.peak = max(self.peak, self.tree_rss())
            self.stop.wait(0.2)


def export(items, workers: int, limits: RenderLimits) -> tuple[float, int, dict, int]:
    monitor = PeakMemory()
    monitor.start()
    with tempfile.TemporaryFile() as body:  # on disk: the ZIP of 1,000 copies is ~100 MB
        start = time.perf_counter()
        size = 0
        for chunk in pdfzip_chunks(items, VERIFY, workers, limits=limits):
            size += len(chunk)
            body.write(chunk)
        seconds = time.perf_counter() - start
        monitor.stop.set()
        monitor.join()
        body.seek(0)
        manifest = json.loads(zipfile.ZipFile(body).read(MANIFEST))
    return seconds, size, manifest, monitor.peak


def _spin(n: int) -> int:
    total = 0
    for i in range(n):
        total += i * i % 7
    return total


def control(workers: int, n: int = 3_000_000) -> float:
    """Speed-up of pure-Python arithmetic on ``workers`` processes (what the machine allows now)."""
    start = time.perf_counter()
    for _ in range(workers):
        _spin(n)
    serial = time.perf_counter() - start
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        start = time.perf_counter()
        pool.map(_spin, [n] * workers)
        parallel = time.perf_counter() - start
    return serial / parallel


def pathological(bases: list[dict], rows: int) -> tuple[dict, object]:
    base = next(b for b in bases if b["template"] == "standard")
    doc = copy.deepcopy(base)
    doc["archive_no"] = "KH-2026-999999"
    key = "communications"  # 客户交流记录
    row = doc["data"][key][0]
    doc["data"][key] = [{**row, **{k: f"{v} 第{i}行" for k, v in row.items() if isinstance(v, str)}}
                        for i in range(rows)]
    return doc, get_template(doc["template"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds of count/rounds dossiers each")
    parser.add_argument("--rows", type=int, default=5000, help="rows of the pathological dossier")
    parser.add_argument("--timeout", type=float, default=20, help="render timeout for the limits run (s)")
    parser.add_argument("--memory-mb", type=int, default=400, help="memory cap for the memory run (MB)")
    parser.add_argument("--skip-limits", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args(argv)

    bases = stored_samples()
    limits = RenderLimits.from_environment()
    print(f"cores {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}, limits {limits}")
    if not args.skip_scale:
        print(f"control: pure-Python speed-up on {args.workers} processes now: {control(args.workers):.2f}×")
        # interleaved: each round exports count/rounds dossiers with 1 worker and with N (order
        # alternating), so that load from other jobs falls on both alike
        results = {1: [0.0, 0, 0, 0, 0], args.workers: [0.0, 0, 0, 0, 0]}
        per_round = max(1, args.count // args.rounds)
        for round_no in range(args.rounds):
            order = (1, args.workers) if round_no % 2 == 0 else (args.workers, 1)
            for workers in order:
                seconds, size, manifest, peak = export(dossiers(per_round, bases), workers, limits)
                total = results[workers]
                results[workers] = [total[0] + seconds, total[1] + per_round, total[2] + size,
                                    total[3] + int(manifest.get("failed", 0)), max(total[4], peak)]
                print(f"  round {round_no + 1}: {workers} worker(s) {per_round} PDFs in {seconds:.1f} s, "
                      f"load average {os.getloadavg()[0]:.2f}", flush=True)
        for workers, (seconds, count, size, failed, peak) in results.items():
            print(f"{workers} worker(s): {count} PDFs in {seconds:.1f} s ({count / seconds:.2f} PDF/s), "
                  f"ZIP {size / 1e6:.1f} MB, failures {failed}, peak RSS (process tree) {peak / 1e6:.0f} MB")
        speedup = results[1][0] / results[args.workers][0]
        print(f"speed-up {args.workers} workers / 1: {speedup:.2f}×   (goal ≥ 1.8: {'met' if speedup >= 1.8 else 'NOT met'})")
        print(f"control after: {control(args.workers):.2f}×   load average {os.getloadavg()[0]:.2f}")

    if not args.skip_limits:
        bad = pathological(bases, args.rows)
        normal = list(dossiers(2, bases))
        for name, run_limits in (("timeout", RenderLimits(args.timeout, limits.memory_mb)),
                                 ("memory", RenderLimits(0, args.memory_mb))):
            seconds, _, manifest, peak = export([normal[0], bad, normal[1]], 2, run_limits)
            failures = manifest.get("failures", [])
            print(f"pathological dossier ({args.rows} rows), {name} limit {run_limits}: {seconds:.1f} s, "
                  f"{manifest.get('count')} PDFs, peak RSS {peak / 1e6:.0f} MB")
            for failure in failures:
                print(f"  manifest failure: {failure['archive_no']}: {failure['error']}")
            ok = [f["archive_no"] for f in failures] == [bad[0]["archive_no"]] and manifest.get("count") == 2
            print(f"  {'OK' if ok else 'UNEXPECTED'}: the culprit reported, the others printed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
