"""The benchmark scripts still run against the code they measure (CI runs none of them for time)."""
import subprocess
import sys

import pytest

from service.samples import REPO

SCRIPTS = sorted(p.name for p in (REPO / "benchmarks").glob("*.py") if p.name != "corpus.py")


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_imports_and_explains_itself(script):
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage:" in result.stdout


def test_corpus_builds_varied_stored_dossiers():
    sys.path.insert(0, str(REPO / "benchmarks"))
    try:
        import corpus
    finally:
        sys.path.remove(str(REPO / "benchmarks"))
    base = corpus.stored_samples()[0]
    copy = corpus.variant(base, 7)
    assert copy["archive_no"] != base["archive_no"] and copy["content_hash"] != base["content_hash"]
