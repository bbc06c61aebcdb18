"""The audit trail: every action logged with keys only, hash-chained, tampering detected."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from click.testing import CliRunner

from service import cli
from service.records.audit import COLLECTION
from tests.records_support import BROKER, MACKAY, SECRET_VALUES, all_strings, cli_store, create, etag


@pytest.fixture
def logged(client, auth, admin):
    """A dossier created, updated, read by a cleared role and printed: five entries at least."""
    clerk = auth("clerk")
    archive_no = create(client, clerk, MACKAY)["archive_no"]
    client.patch(f"/api/v1/dossiers/{archive_no}", json={"data": {"籍贯": "天津宝坻"}},
                 headers={**clerk, "If-Match": etag(client, clerk, archive_no)})
    archivist = auth("archivist")
    client.get(f"/api/v1/dossiers/{archive_no}", headers=archivist)
    client.get(f"/api/v1/dossiers/{archive_no}/pdf", headers=archivist)
    return archive_no


def _entries(client, auth, query=""):
    response = client.get(f"/api/v1/audit{query}", headers=auth("auditor"))
    assert response.status_code == 200
    return response.get_json()["entries"]


def test_actions_are_logged_with_keys_not_values(client, auth, logged):
    entries = _entries(client, auth, f"?dossier={logged}")
    actions = [e["action"] for e in entries]
    assert actions[:2] == ["dossier.create", "dossier.update"]
    assert "confidential.read" in actions
    printed = [e for e in entries if e["action"] == "dossier.print"]
    assert printed and printed[0]["details"]["serial"].startswith("FB-")
    update = entries[1]
    assert update["details"]["changed"] == ["data"] and update["version"] == 2
    assert update["role"] == "clerk" and update["remote_addr"] == "127.0.0.1"
    text = repr(entries)
    assert "天津宝坻" not in text and not any(v in text for v in SECRET_VALUES)


def test_audit_filters(client, auth, logged):
    assert {e["action"] for e in _entries(client, auth, "?action=dossier.print")} == {"dossier.print"}
    assert _entries(client, auth, "?since=2000-01-01&until=2000-01-02") == []
    assert len(_entries(client, auth, "?limit=2")) == 2
    assert client.get("/api/v1/audit?since=yesterday", headers=auth("auditor")).status_code == 400


def test_viewer_read_of_masked_dossier_is_not_a_confidential_read(client, auth, admin):
    archive_no = create(client, admin, BROKER)["archive_no"]
    client.get(f"/api/v1/dossiers/{archive_no}", headers=auth("viewer"))
    assert not _entries(client, auth, f"?dossier={archive_no}&action=confidential.read")


def test_intact_log_verifies(client, auth, logged):
    result = client.get("/api/v1/audit/verify", headers=auth("auditor")).get_json()
    assert result["ok"] and result["first_bad"] is None and result["count"] >= 4


@pytest.mark.parametrize("tamper, problem", [
    (lambda log: log.update_one({"_id": 2}, {"$set": {"actor": "someone-else"}}), "edited"),
    (lambda log: log.update_one({"_id": 2}, {"$set": {"details": {}}}), "edited"),
    (lambda log: log.delete_one({"_id": 2}), "missing"),
])
def test_editing_or_deleting_an_entry_is_named(app, client, auth, logged, tamper, problem):
    tamper(app.extensions["dossier"].repository.db[COLLECTION])
    result = client.get("/api/v1/audit/verify", headers=auth("auditor")).get_json()
    assert not result["ok"] and result["first_bad"] == 2 and result["problem"] == problem
    assert "第 2 条" in result["message"]


def test_rehashed_edit_breaks_the_chain_at_the_next_entry(app, client, auth, logged):
    from service.records.audit import entry_hash
    log = app.extensions["dossier"].repository.db[COLLECTION]
    entry = log.find_one({"_id": 2})
    entry["actor"] = "forger"
    entry["hash"] = entry_hash(entry)
    log.replace_one({"_id": 2}, entry)
    result = client.get("/api/v1/audit/verify", headers=auth("auditor")).get_json()
    assert result["first_bad"] == 3 and result["problem"] == "chain_broken"


def test_deleting_the_newest_entry_is_detected(app, client, auth, logged):
    log = app.extensions["dossier"].repository.db[COLLECTION]
    last = log.find_one(sort=[("_id", -1)])
    log.delete_one({"_id": last["_id"]})
    result = client.get("/api/v1/audit/verify", headers=auth("auditor")).get_json()
    assert result["first_bad"] == last["_id"] and result["problem"] == "missing"


def test_cli_audit_verify(app, logged, monkeypatch):
    monkeypatch.setattr(cli, "open_store", cli_store(app))
    runner = CliRunner()
    ok = runner.invoke(cli.main, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    app.extensions["dossier"].repository.db[COLLECTION].delete_one({"_id": 3})
    bad = runner.invoke(cli.main, ["audit", "verify"])
    assert bad.exit_code == 1 and "第 3 条缺失" in bad.output


def test_cli_audit_list_is_one_readable_line_per_entry(app, logged, monkeypatch):
    monkeypatch.setattr(cli, "open_store", cli_store(app))
    entries = app.extensions["dossier"].audit.entries({"archive_no": logged})
    lines = CliRunner().invoke(cli.main, ["audit", "list", "--dossier", logged]).output.splitlines()
    assert lines[0].split() == ["序号", "时间", "操作人", "角色", "操作", "档案编号", "版本", "详情"]
    assert len(lines) == len(entries) + 1
    beijing = entries[0]["at"].astimezone(dt.timezone(dt.timedelta(hours=8)))
    assert lines[1].split() == [str(entries[0]["seq"]), f"{beijing:%Y-%m-%d}", f"{beijing:%H:%M:%S}",
                                entries[0]["actor"], "clerk", "dossier.create", logged, "1", '{"template":"mackay66"}']
    scripted = CliRunner().invoke(cli.main, ["audit", "list", "--dossier", logged, "--json"]).output.splitlines()
    as_json = [json.loads(line) for line in scripted]
    assert [e["seq"] for e in as_json] == [e["seq"] for e in entries] and as_json[0]["at"] == beijing.isoformat()


def test_only_auditor_and_admin_read_the_trail(client, auth):
    for role in ("clerk", "viewer", "manager", "archivist"):
        assert client.get("/api/v1/audit", headers=auth(role)).status_code == 403
        assert client.get("/api/v1/audit/verify", headers=auth(role)).status_code == 403
    assert client.get("/api/v1/audit", headers=auth("admin")).status_code == 200


def test_audit_entries_hold_no_personal_values(app, client, auth, logged):
    strings = [t for c, t in all_strings(app.extensions["dossier"].repository.db) if c == COLLECTION]
    assert "王建国" not in " ".join(strings)


def test_two_processes_appending_in_turn_keep_one_unbroken_chain(app):
    """Each process keeps its own idea of the head; the compare-and-set sets the other one right."""
    from service.actors import Actor
    from service.records.audit import AuditLog
    repository = app.extensions["dossier"].repository
    first, second = AuditLog(repository), AuditLog(repository)
    actor = Actor(id="k1", role="clerk")
    for writer in (first, second, second, first, first, second, first):
        writer.record(actor, "dossier.create", "KH-2026-000001", 1)
    assert [e["seq"] for e in first.entries()] == list(range(1, 8))
    assert first.verify().ok and second.verify().ok


def test_a_counter_from_before_the_hash_was_kept_continues_the_chain(app):
    from service.actors import Actor
    from service.records.audit import COUNTER, AuditLog
    repository = app.extensions["dossier"].repository
    actor = Actor(id="k1", role="clerk")
    AuditLog(repository).record(actor, "dossier.create", "KH-2026-000001", 1)
    repository.counters.update_one({"_id": COUNTER}, {"$unset": {"hash": ""}})  # as older stores have it
    AuditLog(repository).record(actor, "dossier.update", "KH-2026-000001", 2)
    assert AuditLog(repository).verify().ok


def test_a_change_answered_with_the_stored_confidential_values_is_an_audited_read(client, auth, admin):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    before = len(_entries(client, auth, f"?dossier={archive_no}&action=confidential.read"))
    answer = client.patch(f"/api/v1/dossiers/{archive_no}", json={"data": {}},
                          headers={**admin, "If-Match": etag(client, admin, archive_no)})
    assert answer.status_code == 200 and SECRET_VALUES[2] in answer.get_data(as_text=True)
    reads = _entries(client, auth, f"?dossier={archive_no}&action=confidential.read")
    assert len(reads) == before + 2        # the GET for the ETag, and the PATCH's answer
