"""API throughput: our service against a minimal Eve app, side by side on one embedded store.

Both run under gunicorn with the same settings (``--workers``, gthread ``--threads``,
no access log) on loopback, against one nx-27017 server (the embedded store,
started here in a temporary directory; two databases: ``bench_ours`` and
``bench_eve``), or against ``MONGODB_URI`` when it is set. Eve (pyeve, PyPI ``eve``)
needs its own Flask, so it lives in its own virtualenv, created here on first use
(``--eve-venv``, default ``/tmp/eve-venv``) with the ordinary pip.

The Eve app is what a team would write in ten minutes to serve the same
dossiers: one ``dossiers`` resource, unknown fields allowed, a bearer token
checked against a constant (our service looks its API key up in the store),
default pagination. Ours does what it always does: marshmallow validation of
the form, completeness, archive number counter, version snapshot, hash-chained
audit entry; per read the team scope, masking, loan and retention status.

The same closed loop drives both: ``--clients`` threads, each on one keep-alive
connection (http.client), sending the next request when the previous answer is
in, for ``--duration`` seconds or ``--max-requests`` requests per phase. Phases:
create a mackay66 dossier (the sample, keyed by Chinese labels); read one (a
random dossier created before); list a page of 20. Each phase runs ``--rounds``
times alternating ours/Eve; figures pool the rounds.

    .venv/bin/python benchmarks/api_vs_eve.py                       # 8 clients, 3 × 8 s per phase
    .venv/bin/python benchmarks/api_vs_eve.py --clients 16 --duration 10 --workers 2

Prints req/s, p50 and p99 (ms) per operation for both, and the ratios.
Goal (issue 7): ours ≥ 1.5 × Eve's requests per second at a lower p99, for every operation.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from service.samples import shared_dir  # noqa: E402

SAMPLE = shared_dir() / "samples" / "mackay66-wang.json"
EVE_TOKEN = "bench-eve-token"
EVE_REQUIREMENTS = ["eve==2.3.1", "gunicorn>=23,<28"]

EVE_APP = '''
import os
from eve import Eve
from eve.auth import TokenAuth


class Token(TokenAuth):
    def check_auth(self, token, allowed_roles, resource, method):
        return token == os.environ["EVE_TOKEN"]


SETTINGS = {
    "MONGO_URI": os.environ["EVE_MONGO_URI"],
    "RESOURCE_METHODS": ["GET", "POST"],
    "ITEM_METHODS": ["GET"],
    "PAGINATION_DEFAULT": 20,
    "X_DOMAINS": None,
    "DOMAIN": {"dossiers": {"allow_unknown": True, "schema": {"template": {"type": "string"}}}},
}
app = Eve(settings=SETTINGS, auth=Token)
'''


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(port: int, path: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"server on port {port} did not answer within {timeout} s")


def ensure_eve_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    gunicorn = venv / "bin" / "gunicorn"
    if gunicorn.exists() and subprocess.run([str(python), "-c", "import eve"], capture_output=True).returncode == 0:
        return gunicorn
    print(f"creating the Eve virtualenv in {venv} …", flush=True)
    base = Path(getattr(sys, "_base_executable", sys.executable))
    subprocess.run([str(base), "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", *EVE_REQUIREMENTS], check=True)
    return gunicorn


def gunicorn_args(workers: int, threads: int, port: int) -> list[str]:
    return ["-w", str(workers), "--threads", str(threads), "-k", "gthread", "-b", f"127.0.0.1:{port}",
            "--timeout", "120", "--graceful-timeout", "5", "--log-level", "warning"]


class Client(threading.Thread):
    """One closed-loop client: one keep-alive connection, one request at a time."""

    def __init__(self, port: int, make_request, deadline: float, budget, results: list, errors: list):
        super().__init__(daemon=True)
        self.port, self.make_request, self.deadline = port, make_request, deadline
        self.budget, self.results, self.errors = budget, results, errors

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        rng = random.Random(self.ident)
        latencies, created = [], []
        while time.perf_counter() < self.deadline and self.budget():
            method, path, body, headers, expect = self.make_request(rng)
            start = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException) as exc:
                self.errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                continue
            latencies.append(time.perf_counter() - start)
            if response.status != expect:
                self.errors.append(f"{method} {path}: {response.status} {data[:200]!r}")
            elif method == "POST":
                created.append(data)
        conn.close()
        self.results.append((latencies, created))


def run_phase(port: int, make_request, clients: int, duration: float, max_requests: int):
    lock = threading.Lock()
    remaining = [max_requests]

    def budget() -> bool:
        with lock:
            remaining[0] -= 1
            return remaining[0] >= 0

    results, errors = [], []
    start = time.perf_counter()
    threads = [Client(port, make_request, start + duration, budget, results, errors) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    latencies = [lat for lats, _ in results for lat in lats]
    created = [body for _, bodies in results for body in bodies]
    return latencies, elapsed, created, errors


def process_tree(root: int) -> list[int]:
    """``root`` and its descendants (gunicorn master and workers), from /proc."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                parents[int(entry.name)] = int(fields[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        tree.extend(frontier)
    return tree


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return total / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per phase and round")
    parser.add_argument("--max-requests", type=int, default=20000, help="per phase and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=200, help="dossiers created in each app before timing")
    parser.add_argument("--eve-venv", type=Path, default=Path("/tmp/eve-venv"))
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = parser.parse_args(argv)

    eve_gunicorn = ensure_eve_venv(args.eve_venv)
    sample = SAMPLE.read_bytes()
    workdir = Path(tempfile.mkdtemp(prefix="api-vs-eve-"))
    procs: list[subprocess.Popen] = []
    store = None
    try:
        from pymongo import MongoClient

        from service.storage.embedded import EmbeddedServer
        from service.storage.keys import KeyRepository
        uri = os.environ.get("MONGODB_URI")
        if not uri:
            store = EmbeddedServer(workdir / "store").start()
            uri = store.uri
        client = MongoClient(uri, tz_aware=True)
        for name in ("bench_ours", "bench_eve"):
            client.drop_database(name)
        token, _ = KeyRepository(client["bench_ours"]).create("admin", "api_vs_eve", datetime.now(timezone.utc))

        ours_port, eve_port = free_port(), free_port()
        env = {**os.environ, "MONGODB_URI": uri, "DOSSIER_DB_NAME": "bench_ours",
               "DOSSIER_DATA_DIR": str(workdir / "ours"), "DOSSIER_SECRET_KEY": "bench", "PYTHONPATH": str(ROOT)}
        procs.append(subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), *gunicorn_args(args.workers, args.threads, ours_port),
             "service.app:create_app()"], cwd=ROOT, env=env, start_new_session=True))
        (workdir / "eve_app.py").write_text(EVE_APP)
        eve_db_uri = uri.replace("/?", "/bench_eve?", 1) if "/?" in uri else uri.rstrip("/") + "/bench_eve"
        eve_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
        eve_env.update({"EVE_MONGO_URI": eve_db_uri, "EVE_TOKEN": EVE_TOKEN})
        procs.append(subprocess.Popen(
            [str(eve_gunicorn), *gunicorn_args(args.workers, args.threads, eve_port), "eve_app:app"],
            cwd=workdir, env=eve_env, start_new_session=True))
        wait_http(ours_port, "/api/v1/openapi.json", procs[0])
        wait_http(eve_port, "/", procs[1])

        ours_auth = {"Authorization": f"Bearer {token}"}
        eve_auth = {"Authorization": f"Bearer {EVE_TOKEN}"}
        json_headers = {"Content-Type": "application/json"}
        ours_ids: list[str] = []
        eve_ids: list[str] = []

        apps = {
            "ours": {
                "port": ours_port, "proc": procs[0],
                "create": lambda rng: ("POST", "/api/v1/dossiers", sample, {**ours_auth, **json_headers}, 201),
                "read": lambda rng: ("GET", f"/api/v1/dossiers/{rng.choice(ours_ids)}", None, ours_auth, 200),
                "list": lambda rng: ("GET", "/api/v1/dossiers?limit=20", None, ours_auth, 200),
                "id": lambda body: json.loads(body)["archive_no"], "ids": ours_ids,
            },
            "eve": {
                "port": eve_port, "proc": procs[1],
                "create": lambda rng: ("POST", "/dossiers", sample, {**eve_auth, **json_headers}, 201),
                "read": lambda rng: ("GET", f"/dossiers/{rng.choice(eve_ids)}", None, eve_auth, 200),
                "list": lambda rng: ("GET", "/dossiers?max_results=20", None, eve_auth, 200),
                "id": lambda body: json.loads(body)["_id"], "ids": eve_ids,
            },
        }
        # seed (and warm up every worker): the dossiers that reads pick from
        for name, app in apps.items():
            _, _, created, errors = run_phase(app["port"], app["create"], args.clients, 300, args.seed)
            if errors:
                raise RuntimeError(f"{name} seeding failed: {errors[:3]}")
            app["ids"].extend(app["id"](body) for body in created)
            for op in ("read", "list"):
                run_phase(app["port"], app[op], args.clients, 2, 200)

        print(f"clients {args.clients}, gunicorn {args.workers} workers × {args.threads} threads (gthread), "
              f"{args.rounds} rounds × ≤{args.duration:g} s per phase, store {'MONGODB_URI' if store is None else 'embedded nx-27017'}, "
              f"load average {os.getloadavg()[0]:.2f}")
        table, cpu_table = {}, {}
        store_pids = [store.pid] if store is not None and store.pid else []
        for op in ("create", "read", "list"):
            pooled = {name: ([], 0.0, 0) for name in apps}
            cpu = {name: [0.0, 0.0] for name in apps}
            for round_no in range(args.rounds):
                order = list(apps) if round_no % 2 == 0 else list(reversed(apps))
                for name in order:
                    app = apps[name]
                    app_pids = process_tree(app["proc"].pid)
                    before = (cpu_seconds(app_pids), cpu_seconds(store_pids))
                    latencies, elapsed, created, errors = run_phase(
                        app["port"], app[op], args.clients, args.duration, args.max_requests)
                    cpu[name][0] += cpu_seconds(app_pids) - before[0]
                    cpu[name][1] += cpu_seconds(store_pids) - before[1]
                    if op == "create":
                        app["ids"].extend(app["id"](body) for body in created)
                    lats, total, errs = pooled[name]
                    pooled[name] = (lats + latencies, total + elapsed, errs + len(errors))
                    if errors:
                        print(f"  {name} {op}: {len(errors)} errors, e.g. {errors[0]}")
            table[op] = pooled
            cpu_table[op] = cpu

        print(f"\n{'operation':10s} {'app':5s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'requests':>9s} "
              f"{'errors':>7s} {'app CPU ms/req':>15s} {'store CPU ms/req':>17s}")
        verdicts = []
        for op, pooled in table.items():
            figures = {}
            for name, (lats, total, errs) in pooled.items():
                rate = len(lats) / total if total else 0.0
                figures[name] = (rate, percentile(lats, 50) * 1000, percentile(lats, 99) * 1000)
                app_cpu, store_cpu = (1000 * c / max(1, len(lats)) for c in cpu_table[op][name])
                print(f"{op:10s} {name:5s} {rate:8.1f} {figures[name][1]:8.1f} {figures[name][2]:8.1f} "
                      f"{len(lats):9d} {errs:7d} {app_cpu:15.2f} {store_cpu:17.2f}")
            ratio = figures["ours"][0] / figures["eve"][0] if figures["eve"][0] else float("inf")
            p99_ratio = figures["ours"][2] / figures["eve"][2]
            met = ratio >= 1.5 and p99_ratio < 1.0
            verdicts.append(met)
            print(f"{op:10s} ratio ours/eve req/s {ratio:.2f}   p99 ours/eve {p99_ratio:.2f}   "
                  f"goal (≥ 1.5, p99 lower): {'met' if met else 'NOT met'}")
        print(f"\nload average at end {os.getloadavg()[0]:.2f}")
        return 0
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
        if store is not None:
            store.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            print(f"kept {workdir}")


if __name__ == "__main__":
    raise SystemExit(main())
