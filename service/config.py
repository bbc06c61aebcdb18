"""Configuration from environment variables only (documented in the README)."""
from __future__ import annotations

import os
from pathlib import Path


def from_environment() -> dict:
    env = os.environ
    return {
        "MONGODB_URI": env.get("MONGODB_URI") or None,
        "DOSSIER_DATA_DIR": Path(env.get("DOSSIER_DATA_DIR", "./var")).resolve(),
        "DOSSIER_DB_NAME": env.get("DOSSIER_DB_NAME", "dossiers"),
        "DOSSIER_PUBLIC_URL": env.get("DOSSIER_PUBLIC_URL", "").rstrip("/"),
        "MAX_CONTENT_LENGTH": int(env.get("DOSSIER_MAX_BODY_BYTES", str(2 * 1024 * 1024))),
        "MAX_IMPORT_BYTES": int(env.get("DOSSIER_MAX_IMPORT_BYTES", str(256 * 1024 * 1024))),
        "SECRET_KEY": env.get("DOSSIER_SECRET_KEY") or None,
    }
