"""The code passes the project's lint rules (pyproject.toml [tool.ruff]): unused names,
unsorted imports and likely bugs fail the suite, not a later reader."""
import subprocess
import sys
from pathlib import Path

from service.samples import REPO


def test_ruff_finds_nothing():
    ruff = Path(sys.executable).with_name("ruff")
    result = subprocess.run([str(ruff), "check", "--no-cache", str(REPO)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
