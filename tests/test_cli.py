"""The ``dossier`` console script (service/cli.py): where its data lives and how it reports."""
from __future__ import annotations

import contextlib
import re

import pytest
from click.testing import CliRunner
from rich.cells import cell_len

from service import cli
from service.storage.connection import open_mongomock
from service.storage.embedded import DB_FILE

NEW_DATABASE = "中还没有档案库"


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """Run from a directory that is not the project's: the default data directory ./var is
    empty there (the store is mongomock, so no embedded server starts)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DOSSIER_DATA_DIR", raising=False)
    monkeypatch.delenv("MONGODB_URI", raising=False)
    monkeypatch.setattr(cli, "open_database", lambda uri, data_dir, db_name: open_mongomock(db_name))
    return (tmp_path / "var").resolve()


def test_a_command_on_an_empty_data_directory_says_where_it_looked(elsewhere):
    result = CliRunner().invoke(cli.main, ["keys", "list"])
    assert result.exit_code == 0, result.output
    assert f"数据目录 {elsewhere} {NEW_DATABASE}" in result.stderr and "DOSSIER_DATA_DIR" in result.stderr
    assert NEW_DATABASE not in result.stdout


def test_no_notice_when_the_database_exists(elsewhere):
    elsewhere.mkdir()
    (elsewhere / DB_FILE).touch()
    assert NEW_DATABASE not in CliRunner().invoke(cli.main, ["keys", "list"]).output


def test_no_notice_with_mongodb(elsewhere, monkeypatch):
    monkeypatch.setenv("MONGODB_URI", "mongodb://db.example:27017")
    assert NEW_DATABASE not in CliRunner().invoke(cli.main, ["keys", "list"]).output


def test_keys_list_has_a_header_over_aligned_columns(monkeypatch):
    store = open_mongomock()
    monkeypatch.setattr(cli, "open_store", lambda: contextlib.nullcontext(store))
    runner = CliRunner()
    runner.invoke(cli.main, ["keys", "create", "--role", "clerk", "--name", "张三"])
    runner.invoke(cli.main, ["keys", "create", "--role", "manager", "--name", "manager-key"])
    header, *rows = runner.invoke(cli.main, ["keys", "list"]).output.splitlines()
    assert header.split() == ["编号", "角色", "状态", "名称"]
    assert [row.split()[1:] for row in rows] == [["clerk", "active", "张三"], ["manager", "active", "manager-key"]]
    assert starts(header) == starts(rows[0]) == starts(rows[1])


def starts(line: str) -> list[int]:
    """The terminal column where each cell of a line begins (a Chinese character takes two)."""
    return [cell_len(line[:match.start()]) for match in re.finditer(r"\S+", line)]
