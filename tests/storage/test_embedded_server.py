"""The embedded server's life cycle and the connection factory.

These start their own servers (about half a second each), unlike the contract
suite which shares one per session.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pymongo import MongoClient

from service.storage import (
    DossierRepository,
    EmbeddedServer,
    StorageError,
    open_database,
    open_mongomock,
)

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")  # a zombie left for an init that does not reap


def _wait_dead(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.1)
    return False


def test_data_survives_stop_and_start(tmp_path):
    stamp = datetime(2026, 3, 1, 8, 30, tzinfo=timezone.utc)
    with open_database(None, tmp_path) as store:
        repo = DossierRepository(store.db)
        repo.ensure_indexes()
        no = repo.next_archive_no(2026)
        repo.insert({"archive_no": no, "version": 1, "data": {"rows": [{"名称": "值"}]}, "updated_at": stamp})
        first_pid = store.server.pid
    assert not store.server.running
    assert not _alive(first_pid)
    assert (tmp_path / "dossiers.db").exists()
    assert not (tmp_path / "nx_27017.pid").exists()
    with open_database(None, tmp_path) as store:
        repo = DossierRepository(store.db)
        assert repo.get(no) == {"archive_no": no, "version": 1, "data": {"rows": [{"名称": "值"}]}, "updated_at": stamp}
        assert repo.next_archive_no(2026) == "KH-2026-000002"


def test_two_servers_with_different_data_dirs_run_at_once(tmp_path):
    with EmbeddedServer(tmp_path / "a") as a, EmbeddedServer(tmp_path / "b") as b:
        assert a.port != b.port
        with MongoClient(a.uri) as ca, MongoClient(b.uri) as cb:
            ca.dossiers.x.insert_one({"_id": "a"})
            cb.dossiers.x.insert_one({"_id": "b"})
            assert [d["_id"] for d in ca.dossiers.x.find()] == ["a"]
            assert [d["_id"] for d in cb.dossiers.x.find()] == ["b"]
    assert not a.running and not b.running


def test_second_server_on_the_same_data_dir_is_refused(tmp_path):
    with EmbeddedServer(tmp_path) as first:
        with pytest.raises(StorageError, match="already runs"):
            EmbeddedServer(tmp_path).start()
        assert first.running


def test_stale_pid_file_does_not_block_start(tmp_path):
    (tmp_path / "nx_27017.pid").write_text(str(os.getpid()))  # alive, but not a server
    with EmbeddedServer(tmp_path) as server:
        assert server.running


def test_start_failure_reports_the_log_tail(tmp_path):
    (tmp_path / "dossiers.db").write_bytes(b"not a sqlite file" * 100)
    with pytest.raises(StorageError, match="file is not a database") as info:
        EmbeddedServer(tmp_path, start_timeout=15).start()
    assert "exited with code" in str(info.value)


def test_stop_is_idempotent_and_uri_needs_a_running_server(tmp_path):
    server = EmbeddedServer(tmp_path)
    with pytest.raises(StorageError):
        _ = server.uri
    server.start()
    assert server.start() is server  # already running: no second process
    server.stop()
    server.stop()
    with pytest.raises(StorageError):
        _ = server.uri


def _run_parent(data_dir: Path, ending: str) -> tuple[subprocess.CompletedProcess, int]:
    """Run a parent process that starts a server, prints its pid, then ``ending``."""
    script = textwrap.dedent(
        f"""
        import os, signal, sys
        sys.path.insert(0, {str(ROOT)!r})
        from service.storage import EmbeddedServer
        server = EmbeddedServer({str(data_dir)!r}).start()
        print(server.pid, flush=True)
        """
    ) + ending
    parent = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    return parent, int(parent.stdout.strip())


def test_server_dies_when_its_parent_is_killed(tmp_path):
    parent, child = _run_parent(tmp_path, "os.kill(os.getpid(), signal.SIGKILL)\n")
    assert parent.returncode == -signal.SIGKILL, parent.stderr  # no atexit ran
    assert _wait_dead(child), f"embedded server {child} outlived its parent"


def test_server_stops_when_its_parent_exits_without_stop(tmp_path):
    parent, child = _run_parent(tmp_path, "sys.exit(0)\n")
    assert parent.returncode == 0, parent.stderr
    assert not _alive(child)  # stopped by the atexit handler before the parent ended
    assert not (tmp_path / "nx_27017.pid").exists()


def test_open_database_with_uri_does_not_own_the_server(embedded_server):
    store = open_database(embedded_server.uri, Path("/nonexistent"), db_name="t_uri")
    assert store.server is None
    assert store.db.name == "t_uri"
    assert store.db.command("ping")["ok"] == 1
    store.close()
    assert embedded_server.running


def test_open_mongomock_is_tz_aware():
    with open_mongomock() as store:
        store.db.x.insert_one({"_id": 1, "t": datetime(2026, 1, 1, tzinfo=timezone.utc)})
        assert store.db.x.find_one()["t"].tzinfo is not None
        assert store.db.name == "dossiers"
