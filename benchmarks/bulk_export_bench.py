"""Bulk export at scale: JSON Lines through the API against a plain pymongo cursor loop.

1. Fills a store with N dossiers generated from the samples (``benchmarks/corpus.py``:
   each sample as ``DossierService.create`` stores it, then copies with varied names,
   regions and levels, consented to export), written with ``insert_many`` in batches
   (version snapshots are skipped: export does not read them).
2. Starts the service under gunicorn on loopback (1 worker, gthread) against the
   embedded nx-27017 server on a temporary directory, or ``MONGODB_URI``, and
   times ``GET /api/v1/export?format=jsonl`` (the whole body read from the socket)
   against a plain pymongo cursor loop that writes the same lines (the practical
   limit). One untimed read warms the store, then ``--runs`` interleaved runs of
   each; the best of each is compared. Prints both rates, the ratio (aim ≥ 0.8), and the
   peak resident memory (VmHWM) of the gunicorn worker that served the export
   (aim < 200 MB).

The PDF ZIP at scale (1 worker against all cores, peak memory, limits) is
``benchmarks/pdfzip_scale.py``.

    .venv/bin/python benchmarks/bulk_export_bench.py --count 2000   # quick
    .venv/bin/python benchmarks/bulk_export_bench.py                # 100000
"""
from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from corpus import insert_all, stored_samples, variants  # noqa: E402
from pymongo import MongoClient  # noqa: E402

from service.bulk.export_jsonl import dossier_line  # noqa: E402
from service.storage.embedded import EmbeddedServer, free_port  # noqa: E402
from service.storage.keys import KeyRepository  # noqa: E402


def generate(db, count: int) -> float:
    """Insert ``count`` dossiers; returns seconds."""
    start = time.perf_counter()
    insert_all(db.dossiers, variants(stored_samples(), 0, count))
    db.dossiers.create_index("archive_no", unique=True)
    return time.perf_counter() - start


# -- the service under gunicorn -------------------------------------------------------
def start_service(uri: str, db_name: str, data_dir: Path, port: int) -> subprocess.Popen:
    env = {**os.environ, "MONGODB_URI": uri, "DOSSIER_DB_NAME": db_name, "DOSSIER_DATA_DIR": str(data_dir)}
    code = f"from service.serve import run; run('127.0.0.1', {port}, 1)"
    process = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/api/v1/openapi.json")
            if connection.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("the service did not start")


def worker_pids(master: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            if f"\nPPid:\t{master}\n" in status:
                found.append(int(entry.name))
    return found


def vm(pid: int, key: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def api_export(port: int, token: str) -> tuple[float, int, int]:
    """(seconds, lines, bytes) of one JSON Lines export read to the end."""
    start = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", "/api/v1/export?format=jsonl", headers={"Authorization": f"Bearer {token}"})
    response = connection.getresponse()
    assert response.status == 200, response.read()[:500]
    lines = size = 0
    while chunk := response.read(1 << 20):
        lines += chunk.count(b"\n")
        size += len(chunk)
    return time.perf_counter() - start, lines, size


def pymongo_export(uri: str, db_name: str) -> tuple[float, int, int]:
    """The practical limit: a cursor loop writing the same lines, no HTTP, no service."""
    client = MongoClient(uri, tz_aware=True)
    start = time.perf_counter()
    lines = size = 0
    cursor = client[db_name].dossiers.find({}).sort("archive_no", -1).batch_size(500)
    for doc in cursor:
        line = dossier_line(doc)
        lines += 1
        size += len(line)
    elapsed = time.perf_counter() - start
    client.close()
    return elapsed, lines, size


def bench_jsonl(uri: str, db_name: str, data_dir: Path, runs: int) -> None:
    port = free_port()
    token, _ = KeyRepository(MongoClient(uri, tz_aware=True)[db_name]).create(
        "archivist", "bench", dt.datetime.now(dt.timezone.utc))
    service = start_service(uri, db_name, data_dir, port)
    try:
        workers = worker_pids(service.pid)
        before = max(vm(p, "VmRSS") for p in workers)
        pymongo_export(uri, db_name)  # untimed: the store's pages warm for both contenders
        apis, bases = [], []
        for _ in range(runs):  # interleaved, so background work of the store hits both alike
            apis.append(api_export(port, token))
            bases.append(pymongo_export(uri, db_name))
        api, base = min(apis), min(bases)
        peak = max(vm(p, "VmHWM") for p in workers)
    finally:
        service.terminate()
        service.wait(30)
    assert api[1] == base[1], f"API exported {api[1]} lines, pymongo {base[1]}"
    print(f"JSON Lines via API (gunicorn, loopback): {api[1]} dossiers, {api[2] / 1e6:.1f} MB in {api[0]:.2f} s "
          f"= {api[1] / api[0]:,.0f} dossiers/s")
    print(f"plain pymongo cursor loop:               {base[1]} dossiers, {base[2] / 1e6:.1f} MB in {base[0]:.2f} s "
          f"= {base[1] / base[0]:,.0f} dossiers/s")
    print(f"ratio API / pymongo: {base[0] / api[0]:.2f}   (aim >= 0.8)")
    print(f"service worker memory: {before:.0f} MB before, peak (VmHWM) {peak:.0f} MB   (aim < 200 MB)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="dossiers to generate (default 100000)")
    parser.add_argument("--runs", type=int, default=2, help="JSON Lines runs, best taken")
    args = parser.parse_args(argv)
    uri = os.environ.get("MONGODB_URI")
    db_name = f"bench_{os.getpid()}"
    with tempfile.TemporaryDirectory(prefix="bulk-bench-") as tmp:
        server = None if uri else EmbeddedServer(Path(tmp) / "db").start()
        uri = uri or server.uri
        try:
            client = MongoClient(uri, tz_aware=True)
            seconds = generate(client[db_name], args.count)
            print(f"generated {args.count} dossiers in {seconds:.1f} s "
                  f"({'MONGODB_URI' if server is None else 'embedded nx-27017'}), cores: {os.cpu_count()}")
            bench_jsonl(uri, db_name, Path(tmp), args.runs)
            if server is None:
                client.drop_database(db_name)
            client.close()
        finally:
            if server is not None:
                server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
