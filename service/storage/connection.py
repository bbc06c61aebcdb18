"""Open the configured MongoDB backend and hand back one ``Store``.

``MONGODB_URI`` set → a real MongoDB (production, scaling through replication and
sharding); not set → the embedded nx-27017 server on a SQLite file in the data
directory, started here and stopped by ``Store.close()``. Unit tests use mongomock.
Every client is ``tz_aware=True``: system timestamps are stored in UTC and must come
back as aware UTC datetimes (MongoDB and nx-27017 both return naive ones otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.database import Database

from .embedded import EmbeddedServer

DEFAULT_DB_NAME = "dossiers"


@dataclass
class Store:
    """A connected client, its database and, when embedded, the server behind it."""

    client: Any  # pymongo.MongoClient or mongomock.MongoClient
    db: Database
    server: EmbeddedServer | None = None

    def close(self) -> None:
        """Close the client, then stop the embedded server if we started one."""
        try:
            self.client.close()
        finally:
            if self.server is not None:
                self.server.stop()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_database(
    uri: str | None, data_dir: Path, db_name: str = DEFAULT_DB_NAME
) -> Store:
    """Connect to ``uri``, or start the embedded server in ``data_dir`` if it is None."""
    if uri:
        client: MongoClient = MongoClient(uri, tz_aware=True)
        return Store(client=client, db=client[db_name])
    server = EmbeddedServer(Path(data_dir)).start()
    try:
        client = MongoClient(server.uri, tz_aware=True)
    except Exception:
        server.stop()
        raise
    return Store(client=client, db=client[db_name], server=server)


def mongomock_client() -> Any:
    """An in-process mongomock client with ``tz_aware=True`` (tests only)."""
    import mongomock  # test dependency: imported only when asked for

    return mongomock.MongoClient(tz_aware=True)


def open_mongomock(db_name: str = DEFAULT_DB_NAME) -> Store:
    """A ``Store`` over a fresh mongomock client, for unit tests and app fixtures."""
    client = mongomock_client()
    return Store(client=client, db=client[db_name])
