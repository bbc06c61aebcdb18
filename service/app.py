"""Application factory: configuration, storage, API, web pages. Nothing happens at import time."""
from __future__ import annotations

import logging
import secrets
from pathlib import Path

from flask import Flask, redirect, url_for

from service import config
from service.chunked import SizedChunkedBodies
from service.services import Services, build_services
from service.storage.connection import open_database


def create_app(test_config: dict | None = None) -> Flask:
    app = Flask(__name__)
    app.config.update(config.from_environment())
    if test_config:
        app.config.update(test_config)
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or _secret_key(app.config["DOSSIER_DATA_DIR"])
    app.json.ensure_ascii = False
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("weasyprint").setLevel(logging.ERROR)  # its per-step progress floods the log
    logging.getLogger("fontTools").setLevel(logging.WARNING)

    services = _services(app)
    app.extensions["dossier"] = services

    from service import api
    api.init_app(app)

    from service import web
    web.init_app(app)

    @app.get("/")
    def index():
        return redirect(url_for("web.dossier_list"))  # the sign-in page when signed out

    largest = max(app.config["MAX_CONTENT_LENGTH"], app.config["MAX_IMPORT_BYTES"])
    app.wsgi_app = SizedChunkedBodies(app.wsgi_app, largest)
    return app


def _services(app: Flask) -> Services:
    """The database comes from test_config["DATABASE"] (tests) or MONGODB_URI / the embedded server."""
    db = app.config.get("DATABASE")
    if db is not None:
        return build_services(db)
    store = open_database(app.config["MONGODB_URI"], Path(app.config["DOSSIER_DATA_DIR"]),
                          app.config["DOSSIER_DB_NAME"])
    return build_services(store.db, store)


def _secret_key(data_dir: Path) -> str:
    """A per-installation secret kept in the data directory, so sessions survive restarts."""
    path = Path(data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
