"""Builds everything a request, a CLI command or a benchmark needs from one database."""
from __future__ import annotations

from dataclasses import dataclass

from service.dossiers import DossierService
from service.records.wiring import Records, build_records
from service.storage.connection import Store
from service.storage.keys import KeyRepository
from service.storage.repository import DossierRepository


@dataclass
class Services:
    """Built once per app (``app.extensions["dossier"]``) or per CLI command."""
    store: Store | None
    repository: DossierRepository
    keys: KeyRepository
    dossiers: DossierService
    records: Records

    @property
    def audit(self):
        """The AuditLog (service/records/audit.py) for export/import and web pages."""
        return self.records.audit


def build_services(db, store: Store | None = None) -> Services:
    repository = DossierRepository(db)
    repository.ensure_indexes()
    dossiers = DossierService(repository)
    return Services(store, repository, KeyRepository(db), dossiers, build_records(repository, dossiers))
