"""Retention, legal hold and destruction: nothing personal is left; the certificate prints."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from schemas.validation import load_dossier
from service import cli
from tests.records_support import MACKAY, all_strings, cli_store, create, etag, pdf_text, sample, years_later


def _personal_values(name: str) -> set[str]:
    """Every string value of the sample as stored (validated), long enough to be telling."""
    loaded = load_dossier(sample(name))
    found = set()

    def walk(value):
        if isinstance(value, str) and len(value) >= 2 and not value.isascii():
            found.add(value)
        elif isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, list):
            for inner in value:
                walk(inner)
    walk(loaded.data)
    walk([e["value"] for e in loaded.extra])
    return found


@pytest.fixture
def expired(app, client, admin, auth):
    """A mackay66 sample with an update, an entry-free loan and a print, then ten years pass."""
    archive_no = create(client, admin, MACKAY)["archive_no"]
    client.patch(f"/api/v1/dossiers/{archive_no}", json={"data": {"籍贯": "天津宝坻"}},
                 headers={**admin, "If-Match": etag(client, admin, archive_no)})
    client.post(f"/api/v1/dossiers/{archive_no}/loans", json={"purpose": "核对"}, headers=auth("clerk"))
    loan_no = client.get(f"/api/v1/dossiers/{archive_no}/loans", headers=auth("archivist")).get_json()["loans"][0]["loan_no"]
    client.post(f"/api/v1/loans/{loan_no}/refuse", json={"reason": "不需要"}, headers=auth("archivist"))
    app.extensions["dossier"].records.retention.clock = years_later(10)
    return archive_no


def test_not_expired_dossier_is_not_destroyed(client, auth, admin):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    response = client.post(f"/api/v1/dossiers/{archive_no}/destroy", json={"reason": "到期"}, headers=auth("archivist"))
    assert response.status_code == 409 and response.get_json()["error"]["code"] == "not_expired"
    assert client.get("/api/v1/retention/due", headers=auth("archivist")).get_json()["due"] == []


def test_hold_suspends_destruction(client, auth, expired):
    archivist = auth("archivist")
    assert client.put(f"/api/v1/dossiers/{expired}/hold", json={"reason": "诉讼保全"}, headers=archivist).status_code == 200
    due = client.get("/api/v1/retention/due", headers=archivist).get_json()["due"]
    assert [(d["archive_no"], d["hold"]) for d in due] == [(expired, True)]
    refused = client.post(f"/api/v1/dossiers/{expired}/destroy", json={"reason": "到期"}, headers=archivist)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "legal_hold"
    assert client.delete(f"/api/v1/dossiers/{expired}/hold", headers=archivist).status_code == 200
    assert client.post(f"/api/v1/dossiers/{expired}/destroy", json={"reason": "到期"}, headers=archivist).status_code == 201


def test_retention_change_moves_the_expiry(app, client, auth, admin):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    archivist = auth("archivist")
    app.extensions["dossier"].records.retention.clock = years_later(3)
    assert client.get("/api/v1/retention/due", headers=archivist).get_json()["due"] == []
    saved = client.put(f"/api/v1/dossiers/{archive_no}/retention", json={"years": 2}, headers=archivist)
    assert saved.status_code == 200 and saved.get_json()["retention"] == {"years": 2}
    assert [d["archive_no"] for d in client.get("/api/v1/retention/due", headers=archivist).get_json()["due"]] == [archive_no]
    assert client.put(f"/api/v1/dossiers/{archive_no}/retention", json={"years": 0}, headers=archivist).status_code == 400


def test_destruction_through_the_api_leaves_no_personal_value(app, client, auth, expired):
    archivist = auth("archivist")
    client.get(f"/api/v1/dossiers/{expired}/pdf", headers=archivist)  # a printed copy (serial) before
    response = client.post(f"/api/v1/dossiers/{expired}/destroy", json={"reason": "保管期限届满"}, headers=archivist)
    assert response.status_code == 201, response.get_json()
    record = response.get_json()
    assert record["record_no"].startswith("XH-") and record["versions_removed"] == 3  # v1, v2 and the tombstone's own snapshot
    _assert_nothing_left(app, expired)
    tombstone = client.get(f"/api/v1/dossiers/{expired}", headers=archivist).get_json()
    assert tombstone["status"] == "destroyed" and tombstone["data"] == {} and tombstone["template"] == "mackay66"
    assert tombstone["destruction"]["record_no"] == record["record_no"]
    assert client.get(f"/api/v1/dossiers/{expired}/pdf", headers=archivist).status_code == 410
    again = client.post(f"/api/v1/dossiers/{expired}/destroy", json={"reason": "x"}, headers=archivist)
    assert again.status_code == 410
    pdf = client.get(f"/api/v1/destructions/{record['record_no']}/pdf", headers=archivist)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = pdf_text(pdf.data)
    assert "客户档案销毁记录" in text and expired in text and "保管期限届满" in text
    assert app.extensions["dossier"].records.audit.verify().ok


def test_destruction_through_the_cli(app, client, expired, monkeypatch, tmp_path):
    monkeypatch.setattr(cli, "open_store", cli_store(app))
    from service.records import retention
    monkeypatch.setattr(retention, "utcnow", years_later(10))
    runner = CliRunner()
    assert expired in runner.invoke(cli.main, ["retention", "due"]).output
    refused = runner.invoke(cli.main, ["destroy", expired, "--reason", "到期", "--role", "clerk"])
    assert refused.exit_code != 0 and "没有权限" in refused.output
    certificate = tmp_path / "cert.pdf"
    result = runner.invoke(cli.main, ["destroy", expired, "--reason", "保管期限届满", "-o", str(certificate)])
    assert result.exit_code == 0, result.output
    assert "销毁记录" in pdf_text(certificate.read_bytes())
    record_no = result.output.split("销毁记录 ")[1].split()[0]
    reprint = runner.invoke(cli.main, ["certificate", record_no, "-o", str(tmp_path / "again.pdf")])
    assert reprint.exit_code == 0, reprint.output
    _assert_nothing_left(app, expired)


def test_archive_numbers_are_not_reused_after_destruction(app, client, admin, auth, expired):
    client.post(f"/api/v1/dossiers/{expired}/destroy", json={"reason": "到期"}, headers=auth("archivist"))
    assert create(client, admin, MACKAY)["archive_no"] != expired


def _assert_nothing_left(app, archive_no):
    values = _personal_values(MACKAY) | {"天津宝坻"}
    assert "王建国" in values
    leaks = [(collection, text) for collection, text in all_strings(app.extensions["dossier"].repository.db)
             if any(v in text for v in values)]
    assert leaks == []
