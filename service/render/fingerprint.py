"""The content fingerprint printed on an official copy (校验码) and encoded in its QR code.

The hash covers the stored content of one version of a dossier: what the form
says and how it is filed, not when or by whom it was saved, and a random salt
drawn for each version. The salt is never shown to a role that sees the dossier
masked: without it, a guess at a hidden value (an income, a diagnosis) could be
hashed offline and confirmed through the public verify endpoint.
"""
from __future__ import annotations

import hashlib
from typing import Any

import orjson

#: The stored content of a version; datetimes and bookkeeping fields are left out.
HASHED_FIELDS = (
    "archive_no", "template", "version", "classification", "confidentiality", "data", "extra",
)


def hashed_content(document: dict[str, Any]) -> dict[str, Any]:
    """The part of ``document`` the fingerprint covers (absent containers count as empty)."""
    content = {key: document.get(key) for key in HASHED_FIELDS}
    content["classification"] = content["classification"] or {}
    content["data"] = content["data"] or {}
    content["extra"] = content["extra"] or []
    if document.get("fingerprint_salt"):  # drafts and versions saved before salting have none
        content["salt"] = document["fingerprint_salt"]
    return content


def canonical_json(content: Any) -> bytes:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 (orjson)."""
    return orjson.dumps(content, option=orjson.OPT_SORT_KEYS, default=str)


def document_hash(document: dict[str, Any]) -> str:
    """sha256 hex digest of the canonical JSON of the stored content of ``document``."""
    return hashlib.sha256(canonical_json(hashed_content(document))).hexdigest()
