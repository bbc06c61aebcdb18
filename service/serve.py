"""Runs the app under gunicorn from Python, so `dossier serve` is one command."""
from __future__ import annotations

from gunicorn.app.base import BaseApplication


class _Gunicorn(BaseApplication):
    def __init__(self, options: dict):
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self):
        from service.app import create_app
        return create_app()


def run(host: str, port: int, workers: int) -> None:
    _Gunicorn({
        "bind": f"{host}:{port}",
        "workers": workers,
        "threads": 4,
        "worker_class": "gthread",
        "timeout": 120,
        "limit_request_line": 8190,  # gunicorn's most (default 4094): long filter URLs with Chinese, percent-encoded
        "accesslog": "-",
        "control_socket_disable": True,  # one global socket path per user: a second instance would clash
    }).run()
