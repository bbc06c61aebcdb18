"""Domain errors raised by the storage layer.

Storage never raises HTTP errors: the API layer maps these to its one error shape
(NotFound → 404, VersionConflict → 412/409, DuplicateKey → 409). pymongo
exceptions are translated here so no other layer needs to import pymongo.
"""

from __future__ import annotations


class StorageError(Exception):
    """Base of every storage error (also: the embedded server failed to start)."""


class NotFound(StorageError):
    """No document with this key exists."""

    def __init__(self, key: str, what: str = "dossier") -> None:
        super().__init__(f"{what} not found: {key}")
        self.key = key
        self.what = what


class VersionConflict(StorageError):
    """The stored version is not the one the caller based its change on."""

    def __init__(self, key: str, expected: int, current: int) -> None:
        super().__init__(
            f"version conflict on {key}: expected {expected}, current {current}"
        )
        self.key = key
        self.expected = expected
        self.current = current


class DuplicateKey(StorageError):
    """A unique key (e.g. the archive number) is already taken."""

    def __init__(self, key: str) -> None:
        super().__init__(f"duplicate key: {key}")
        self.key = key
