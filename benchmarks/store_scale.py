"""List and search latency at 1,000 and at 100,000 dossiers (the store's scale).

Builds one dossier per sample with ``DossierService.create`` (so it is exactly what
the service stores), then grows the collection by copies of those with varied
client names, regions and levels, written with ``insert_many`` in batches of 1,000
(version snapshots skipped: listing does not read them), on the embedded nx-27017
server in a temporary directory, or on ``MONGODB_URI`` (a throw-away database).
Indexes are those of ``DossierRepository.ensure_indexes``.

At each size it times, through ``DossierRepository`` (what the API calls):

list           first page of 20, archive numbers descending
list+region    first page of 20 of one region (equality filter + sort)
list+level     first page of 20 of one level (equality filter + sort)
page 5         the 5th page of 20 (cursor: ``archive_no < last``)
search name    ``q=`` a client's full name (the ``search_text`` $regex)
search prefix  ``q=`` a surname and "客户0" (many matches, first page)

and prints p50 and p99 (ms) for each, and the ratio p50(large)/p50(small).
With ``MONGODB_URI`` set it also prints each query's plan (explain) at the large size.

    .venv/bin/python benchmarks/store_scale.py                     # 1,000 and 100,000
    .venv/bin/python benchmarks/store_scale.py --sizes 1000 20000  # quicker
    MONGODB_URI=mongodb://localhost:27017 .venv/bin/python benchmarks/store_scale.py

Goal (issue 7): p50 at 100,000 within 2 × the p50 at 1,000, for list and search.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus import SURNAMES, client_name, insert_all, stored_samples, variants  # noqa: E402
from pymongo import MongoClient  # noqa: E402

from service.storage.embedded import EmbeddedServer  # noqa: E402
from service.storage.repository import DossierRepository, build_query  # noqa: E402


def grow(db, bases: list[dict], start: int, stop: int) -> float:
    begin = time.perf_counter()
    insert_all(db.dossiers, variants(bases, start, stop))
    return time.perf_counter() - begin


def queries(size: int) -> dict:
    """name → (filters, limit, after) for a collection of ``size`` dossiers."""
    some = size // 3
    return {
        "list": ({}, 20, None),
        "list+region": ({"region": "成都"}, 20, None),
        "list+level": ({"level": "VIP"}, 20, None),
        "page 5": ({}, 20, f"KH-2026-{size - 80 + 1:06d}"),
        "search name": ({"q": client_name(some)}, 20, None),
        "search prefix": ({"q": f"{SURNAMES[some % len(SURNAMES)]}客户0"}, 20, None),
    }


def measure(repository: DossierRepository, size: int, runs: int) -> dict:
    results = {}
    for name, (filters, limit, after) in queries(size).items():
        repository.list(filters, limit, after)  # warm-up
        times = []
        budget = time.perf_counter() + 20   # slow queries: at least 5 runs, at most ~20 s
        for run in range(runs):
            if run >= 5 and time.perf_counter() > budget:
                break
            start = time.perf_counter()
            items, _ = repository.list(filters, limit, after)
            times.append(time.perf_counter() - start)
        if not items:
            raise SystemExit(f"{name}: no result at size {size} (the benchmark's data is wrong)")
        times.sort()
        results[name] = (statistics.median(times) * 1000, times[min(len(times) - 1, int(0.99 * len(times)))] * 1000)
    return results


def explain(db, size: int) -> None:
    for name, (filters, limit, after) in queries(size).items():
        query = build_query(filters)
        if after:
            query["archive_no"] = {"$lt": after}
        plan = db.dossiers.find(query).sort("archive_no", -1).limit(limit + 1).explain()
        winning = plan.get("queryPlanner", {}).get("winningPlan", {})
        stats = plan.get("executionStats", {})
        print(f"  {name:14s} {json.dumps(_stages(winning), ensure_ascii=False)}  "
              f"keys examined {stats.get('totalKeysExamined', '?')}, docs examined {stats.get('totalDocsExamined', '?')}")


def _stages(plan: dict) -> list[str]:
    out = []
    while plan:
        out.append(plan.get("stage", "?") + (f"({plan['indexName']})" if plan.get("indexName") else ""))
        plan = plan.get("inputStage") or (plan.get("inputStages") or [None])[0] or {}
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 100000])
    parser.add_argument("--runs", type=int, default=50, help="per query (fewer, ≥ 5, when a query is slow)")
    args = parser.parse_args(argv)

    uri = os.environ.get("MONGODB_URI")
    workdir = Path(tempfile.mkdtemp(prefix="store-scale-"))
    server = None
    if not uri:
        server = EmbeddedServer(workdir).start()
        uri = server.uri
    client = MongoClient(uri, tz_aware=True)
    db = client["store_scale_bench"]
    try:
        client.drop_database(db.name)
        repository = DossierRepository(db)
        repository.ensure_indexes()
        bases = stored_samples()
        print(f"store: {'MONGODB_URI' if server is None else 'embedded nx-27017'}; {len(bases)} sample shapes; "
              f"runs {args.runs}; load average {os.getloadavg()[0]:.2f}")
        figures, have = {}, 0
        for size in sorted(args.sizes):
            seconds = grow(db, bases, have, size)
            print(f"inserted {size - have} dossiers in {seconds:.1f} s ({(size - have) / seconds:.0f}/s); "
                  f"count {db.dossiers.estimated_document_count()}")
            have = size
            figures[size] = measure(repository, size, args.runs)
            if server is None:
                print(f"explain at {size}:")
                explain(db, size)
        small, large = min(figures), max(figures)
        print(f"\n{'query':15s} " + " ".join(f"{f'p50@{n}':>11s} {f'p99@{n}':>11s}" for n in sorted(figures))
              + f" {'p50 ratio':>10s}")
        for name in figures[small]:
            row = " ".join(f"{figures[n][name][0]:11.2f} {figures[n][name][1]:11.2f}" for n in sorted(figures))
            ratio = figures[large][name][0] / figures[small][name][0]
            print(f"{name:15s} {row} {ratio:10.2f}  {'met' if ratio <= 2 else 'NOT met'}")
        print(f"load average at end {os.getloadavg()[0]:.2f}")
    finally:
        client.drop_database(db.name)
        client.close()
        if server is not None:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
