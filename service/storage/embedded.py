"""Run the embedded MongoDB wire-protocol server (nx-27017) as a child process.

Without ``MONGODB_URI`` the service stores dossiers in a SQLite file inside its data
directory, served over the MongoDB wire protocol by ``nx-27017`` so that the one
repository module talks real pymongo to every backend (DESIGN §4).

Why it looks like this:

- The server runs in the foreground as our child, never as a daemon, so its life is
  bound to ours. Its default pid and log files are global ``/tmp`` paths (a second
  instance would refuse to start), so each instance gets its own ``--pid-file`` and
  ``--log-file`` inside its data directory, and its own free loopback port.
- nx-27017 0.8.1 has no ``__main__`` module (``python -m nx_27017`` fails); we call
  the console script's own entry point, ``nx_27017.nx_27017.main``, through a small
  bootstrap that also watches the parent: if the parent dies (even by SIGKILL, when
  no ``atexit`` handler runs) the child terminates itself. A ``getppid()`` watchdog
  is used instead of ``prctl(PR_SET_PDEATHSIG)``, which fires when the *thread* that
  spawned the child exits and needs a thread-unsafe ``preexec_fn``.
- ``--db <data_dir>/dossiers.db`` is a single-file database: every logical database
  name on that server shares the same collections (measured: a document inserted in
  database ``a`` is visible from database ``b``, and dropping ``b`` empties ``a``).
  One data directory therefore holds exactly one logical database.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from .errors import StorageError

DB_FILE = "dossiers.db"
PID_FILE = "nx_27017.pid"
LOG_FILE = "nx_27017.log"
OUT_FILE = "nx_27017.out"  # the child's stdout/stderr: errors logged before --log-file opens

_PARENT_ENV = "DOSSIER_NX_PARENT_PID"
_BOOTSTRAP = f"""
import os, signal, sys, threading, time
def _watch(parent):
    while os.getppid() == parent:
        time.sleep(0.5)
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(5)
    os._exit(1)
threading.Thread(target=_watch, args=(int(os.environ[{_PARENT_ENV!r}]),), daemon=True).start()
sys.argv[0] = "nx_27017"
from nx_27017.nx_27017 import main
sys.exit(main())
"""

_running: set[EmbeddedServer] = set()  # stopped by atexit if still running
_running_lock = threading.Lock()


def _stop_all() -> None:
    with _running_lock:
        servers = list(_running)
    for server in servers:
        server.stop()


atexit.register(_stop_all)


def free_port(host: str = "127.0.0.1") -> int:
    """A port that was free a moment ago (bind port 0 and let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


class EmbeddedServer:
    """An nx-27017 server on a free loopback port, storing ``<data_dir>/dossiers.db``."""

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        start_timeout: float = 30.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self.port: int | None = None
        self._proc: subprocess.Popen[bytes] | None = None

    db_file = property(lambda self: self.data_dir / DB_FILE)
    pid_file = property(lambda self: self.data_dir / PID_FILE)
    log_file = property(lambda self: self.data_dir / LOG_FILE)
    out_file = property(lambda self: self.data_dir / OUT_FILE)

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    @property
    def uri(self) -> str:
        if not self.running:
            raise StorageError(f"embedded server for {self.data_dir} is not running")
        return f"mongodb://{self.host}:{self.port}/?directConnection=true"

    def start(self) -> EmbeddedServer:
        """Start the server and wait until it answers a ping; no-op if running."""
        if self.running:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._clear_stale_pid_file()
        for attempt in range(3):
            self._spawn(free_port(self.host))
            try:
                self._wait_ready()
                break
            except _PortTaken:
                if attempt == 2:
                    raise StorageError(self._failure("no free port after 3 attempts")) from None
        with _running_lock:
            _running.add(self)
        return self

    def stop(self) -> None:
        """SIGTERM the server, SIGKILL it after ``stop_timeout``; idempotent."""
        proc, self._proc = self._proc, None
        with _running_lock:
            _running.discard(self)
        if proc is None:
            return
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                self._remove_pid_file_of(proc.pid)

    def __enter__(self) -> EmbeddedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = f"port {self.port}" if self.running else "stopped"
        return f"EmbeddedServer({str(self.data_dir)!r}, {state})"

    # -- internals -------------------------------------------------------------

    def _command(self, port: int) -> list[str]:
        return [
            sys.executable, "-c", _BOOTSTRAP,
            "--db", str(self.db_file),
            "--host", self.host,
            "--port", str(port),
            "--pid-file", str(self.pid_file),
            "--log-file", str(self.log_file),
        ]  # fmt: skip

    def _spawn(self, port: int) -> None:
        env = dict(os.environ, **{_PARENT_ENV: str(os.getpid())})
        with open(self.out_file, "ab") as out:
            self._proc = subprocess.Popen(
                self._command(port),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                cwd=self.data_dir,
                env=env,
                start_new_session=False,
            )
        self.port = port

    def _wait_ready(self) -> None:
        assert self._proc is not None
        deadline = time.monotonic() + self.start_timeout
        probe: MongoClient = MongoClient(
            self.host, self.port, directConnection=True,
            serverSelectionTimeoutMS=250, connectTimeoutMS=250,
        )  # fmt: skip
        try:
            while True:
                code = self._proc.poll()
                if code is not None:
                    self._proc = None
                    if "address already in use" in _tail(self.out_file).lower():
                        raise _PortTaken
                    raise StorageError(self._failure(f"exited with code {code}"))
                try:
                    probe.admin.command("ping")
                    return
                except PyMongoError:
                    pass
                if time.monotonic() > deadline:
                    self.stop()
                    raise StorageError(
                        self._failure(f"no ping answer within {self.start_timeout}s")
                    )
                time.sleep(0.05)
        finally:
            probe.close()

    def _failure(self, reason: str) -> str:
        return (
            f"embedded MongoDB server (nx-27017) for {self.data_dir} {reason}\n"
            f"--- {self.out_file.name} ---\n{_tail(self.out_file)}\n"
            f"--- {self.log_file.name} ---\n{_tail(self.log_file)}"
        )

    def _clear_stale_pid_file(self) -> None:
        """Refuse if a server runs on this data dir; drop a pid file left by a crash."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            self.pid_file.unlink(missing_ok=True)
            return
        if _is_nx_server(pid):
            raise StorageError(
                f"an embedded server already runs on {self.data_dir} (pid {pid})"
            )
        self.pid_file.unlink(missing_ok=True)

    def _remove_pid_file_of(self, pid: int) -> None:
        try:
            if int(self.pid_file.read_text().strip()) == pid:
                self.pid_file.unlink()
        except (OSError, ValueError):
            pass


class _PortTaken(Exception):
    """The port chosen by free_port() was taken before the server bound it."""


def _is_nx_server(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():  # not Linux: trust that the pid is alive
        return True
    try:
        return b"nx_27017" in cmdline.read_bytes()
    except OSError:
        return False
