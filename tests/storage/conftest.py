"""Backends for the storage contract suite.

Every contract test runs on mongomock and on the embedded nx-27017 server, and on
a real MongoDB when ``MONGODB_URI`` is set (otherwise that backend is simply not
generated). One embedded server serves the whole session; each test gets a fresh
database name and, on the embedded server, empty collections too: with a
single-file ``--db`` every database name shares the same collections.
"""

from __future__ import annotations

import os
import uuid

import pytest
from pymongo import MongoClient

from service.storage import DossierRepository, EmbeddedServer, mongomock_client

MONGODB_URI = os.environ.get("MONGODB_URI")
BACKENDS = ["mongomock", "embedded"] + (["mongodb"] if MONGODB_URI else [])


@pytest.fixture(scope="session")
def embedded_server(tmp_path_factory):
    with EmbeddedServer(tmp_path_factory.mktemp("embedded")) as server:
        yield server


@pytest.fixture(scope="session")
def embedded_client(embedded_server):
    client = MongoClient(embedded_server.uri, tz_aware=True)
    yield client
    client.close()


@pytest.fixture(scope="session")
def mongodb_client():
    client = MongoClient(MONGODB_URI, tz_aware=True)
    yield client
    client.close()


def _empty(db) -> None:
    for name in db.list_collection_names():
        db.drop_collection(name)


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def db(backend, request):
    name = f"t_{uuid.uuid4().hex[:12]}"
    if backend == "mongomock":
        yield mongomock_client()[name]
        return
    client = request.getfixturevalue(f"{backend}_client")
    database = client[name]
    _empty(database)
    yield database
    if backend == "embedded":
        _empty(database)
    else:
        client.drop_database(name)


@pytest.fixture
def repo(db) -> DossierRepository:
    repository = DossierRepository(db)
    repository.ensure_indexes()
    return repository
