"""Shared fixtures: app on mongomock → client → API keys per role; the shared samples."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.app import create_app
from service.clock import utcnow
from service.samples import REPO, own_samples, shared_dir, shared_samples
from service.storage.connection import open_mongomock
from service.storage.keys import KeyRepository

SHARED = shared_dir()
SHARED_SAMPLES = shared_samples()
OWN_SAMPLES = own_samples()
__all__ = ["REPO", "SHARED", "SHARED_SAMPLES", "OWN_SAMPLES", "load_sample"]  # for the test modules


def pytest_configure(config):
    # The shared samples are real input: without them, sample-driven tests would pass vacuously.
    if not SHARED_SAMPLES:
        raise pytest.UsageError(f"no shared samples in {SHARED / 'samples'}: set DOSSIER_SHARED_DIR")


def load_sample(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def app(tmp_path):
    store = open_mongomock()
    app = create_app({"TESTING": True, "DATABASE": store.db, "DOSSIER_DATA_DIR": tmp_path})
    yield app
    store.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def key_for(app):
    """key_for("clerk") → a fresh bearer token with that role."""
    keys = KeyRepository(app.extensions["dossier"].repository.db)

    def make(role: str) -> str:
        token, _ = keys.create(role, f"test {role}", utcnow())
        return token
    return make


@pytest.fixture
def auth(key_for):
    """Authorization headers for a role: auth("admin")."""
    return lambda role="admin": {"Authorization": f"Bearer {key_for(role)}"}


@pytest.fixture
def admin(auth):
    return auth("admin")
