"""API keys collection: only a hash of each secret is stored.

A token reads ``dk_<key id>_<secret>``; the key id finds the record and the
secret is compared by its SHA-256 hash in constant time, so a stolen database
does not yield usable keys.
"""
from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from typing import Any

from .errors import NotFound

COLLECTION = "api_keys"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def cache_seconds() -> float:
    """How long a verified key is trusted without a lookup (``DOSSIER_KEY_CACHE_SECONDS``, default 5).

    Every API request authenticates; a short in-process cache saves one store round
    trip per request. A revocation takes effect at once in the process that revokes,
    and within this many seconds in every other one. 0 turns the cache off.
    """
    try:
        return max(0.0, float(os.environ.get("DOSSIER_KEY_CACHE_SECONDS", "5")))
    except ValueError:
        return 5.0


class KeyRepository:
    CACHE_SIZE = 1024

    def __init__(self, db: Any) -> None:
        self.collection = db[COLLECTION]
        self._cache: dict[str, tuple[float, dict]] = {}   # sha256(token) → (expiry, public record)
        self._cache_lock = threading.Lock()

    def create(self, role: str, name: str, created_at, team: str | None = None) -> tuple[str, dict]:
        key_id = secrets.token_hex(6)
        secret = secrets.token_urlsafe(24)
        record = {"_id": key_id, "role": role, "name": name, "secret_hash": hash_secret(secret),
                  "team": team or None, "created_at": created_at, "revoked": False}
        self.collection.insert_one(record)
        return f"dk_{key_id}_{secret}", _public(record)

    def authenticate(self, token: str) -> dict | None:
        parts = token.split("_", 2)
        if len(parts) != 3 or parts[0] != "dk" or not parts[1].isalnum():
            return None
        ttl = cache_seconds()
        cache_key = hash_secret(token) if ttl else ""
        if ttl:
            hit = self._cache.get(cache_key)
            if hit is not None and hit[0] > time.monotonic():
                return dict(hit[1])
        record = self.collection.find_one({"_id": parts[1]})
        if not record or record.get("revoked"):
            return None
        if not hmac.compare_digest(record["secret_hash"], hash_secret(parts[2])):
            return None
        public = _public(record)
        if ttl:  # only keys that verified are cached: a wrong token always costs a lookup
            with self._cache_lock:
                if len(self._cache) >= self.CACHE_SIZE:
                    self._cache.clear()
                self._cache[cache_key] = (time.monotonic() + ttl, public)
        return dict(public)

    def active(self, key_id: str) -> dict | None:
        """The key record if ``key_id`` names a key that is not revoked (web sessions)."""
        if not isinstance(key_id, str) or not key_id.isalnum():
            return None
        record = self.collection.find_one({"_id": key_id})
        if not record or record.get("revoked"):
            return None
        return _public(record)

    def list(self) -> list[dict]:
        return [_public(r) for r in self.collection.find({}).sort("created_at", 1)]

    def revoke(self, key_id: str) -> None:
        record = self.collection.find_one({"_id": key_id})
        if record is None:
            raise NotFound(key_id, "key")
        record["revoked"] = True
        self.collection.replace_one({"_id": key_id}, record)
        with self._cache_lock:
            self._cache.clear()

    def count(self) -> int:
        return self.collection.count_documents({})


def _public(record: dict) -> dict:
    return {"id": record["_id"], "role": record["role"], "name": record.get("name", ""),
            "team": record.get("team"),
            "created_at": record.get("created_at"), "revoked": record.get("revoked", False)}
