"""Helpers shared by tests/test_records_*.py (not a test module)."""
from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

from tests.conftest import SHARED, load_sample

SAMPLES = SHARED / "samples"
MACKAY = "mackay66-wang.json"
BROKER = "broker_client-zhao.json"
SECRET_VALUES = ("轻微腰椎问题，久坐不适", "父亲长期住院，不宜主动提及", "腰椎间盘突出，已治疗")


def sample(name: str) -> dict:
    return load_sample(SAMPLES / name)


def create(client, headers, name: str = MACKAY, **envelope) -> dict:
    body = {**sample(name), **envelope}
    response = client.post("/api/v1/dossiers", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def etag(client, headers, archive_no: str) -> str:
    return client.get(f"/api/v1/dossiers/{archive_no}", headers=headers).headers["ETag"]


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, spaces and line breaks removed (pdftotext when installed, else pypdf)."""
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    else:
        from pypdf import PdfReader
        text = "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages)
    return "".join(text.split())


def years_later(years: int, days: int = 1):
    """A clock ``years`` (+ ``days``) from now: for expiry without waiting ten years."""
    moment = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    return lambda: moment.replace(year=moment.year + years) + dt.timedelta(days=days)


def all_strings(db):
    """(collection, string) for every string value and key anywhere in the database."""
    def walk(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for key, inner in value.items():
                yield str(key)
                yield from walk(inner)
        elif isinstance(value, (list, tuple)):
            for inner in value:
                yield from walk(inner)
    for name in db.list_collection_names():
        for document in db[name].find({}):
            for text in walk(document):
                yield name, text


def cli_store(app):
    """A replacement for service.cli.open_store that yields the app's mongomock database."""
    import contextlib
    from types import SimpleNamespace

    @contextlib.contextmanager
    def opened():
        yield SimpleNamespace(db=app.extensions["dossier"].repository.db)
    return opened
