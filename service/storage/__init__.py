"""Storage: the dossier repository over pymongo, the embedded server, connections.

The rest of the service imports from here and never from pymongo.
"""

from .connection import Store, mongomock_client, open_database, open_mongomock
from .embedded import EmbeddedServer
from .errors import DuplicateKey, NotFound, StorageError, VersionConflict
from .repository import DossierRepository, build_query

__all__ = [
    "DossierRepository",
    "DuplicateKey",
    "EmbeddedServer",
    "NotFound",
    "StorageError",
    "Store",
    "VersionConflict",
    "build_query",
    "mongomock_client",
    "open_database",
    "open_mongomock",
]
