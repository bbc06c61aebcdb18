"""Application factory: configuration, storage, API, web pages. Nothing happens at import time."""
from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, redirect, url_for

from service import config
from service.dossiers import DossierService
from service.records.wiring import Records, build_records
from service.storage.connection import Store, open_database
from service.storage.keys import KeyRepository
from service.storage.repository import DossierRepository


@dataclass
class Services:
    """What request handlers need, built once per app (app.extensions["dossier"])."""
    store: Store | None
    repository: DossierRepository
    keys: KeyRepository
    dossiers: DossierService
    records: Records | None = None  # audit trail, loans, retention, copy serials (service/records)

    @property
    def audit(self):
        """The AuditLog (service/records/audit.py) for export/import and web pages."""
        return self.records.audit


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

    return app


def _services(app: Flask) -> Services:
    """The database comes from test_config["DATABASE"] (tests) or MONGODB_URI / the embedded server."""
    store = None
    db = app.config.get("DATABASE")
    if db is None:
        store = open_database(app.config["MONGODB_URI"], Path(app.config["DOSSIER_DATA_DIR"]),
                              app.config["DOSSIER_DB_NAME"])
        db = store.db
    repository = DossierRepository(db)
    repository.ensure_indexes()
    dossiers = DossierService(repository)
    return Services(store, repository, KeyRepository(db), dossiers, build_records(repository, dossiers))


def _secret_key(data_dir: Path) -> str:
    """A per-installation secret kept in the data directory, so sessions survive restarts."""
    path = Path(data_dir) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
