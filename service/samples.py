"""Where the sample dossiers are, for the tests, the benchmarks and the demo.

The shared samples (filled in as a clerk fills the paper form, keyed by the Chinese
labels) are read-only input kept beside the checkout, not in it; the project's own
``samples/`` covers the forms the shared set lacks.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OWN_SAMPLES_DIR = REPO / "samples"


def shared_dir() -> Path:
    """``DOSSIER_SHARED_DIR``, else ``../shared`` beside the checkout, else ``/work/shared``
    (a clone made elsewhere, e.g. in /tmp, still finds the team's shared folder)."""
    if os.environ.get("DOSSIER_SHARED_DIR"):
        return Path(os.environ["DOSSIER_SHARED_DIR"])
    candidates = (REPO.parent / "shared", Path("/work/shared"))
    return next((c for c in candidates if any((c / "samples").glob("*.json"))), candidates[0])


def shared_samples() -> list[Path]:
    return sorted((shared_dir() / "samples").glob("*.json"))


def own_samples() -> list[Path]:
    return sorted(OWN_SAMPLES_DIR.glob("*.json"))
