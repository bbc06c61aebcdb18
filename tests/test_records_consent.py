"""Consent (客户主权): withdrawal refuses print and export at once; given again allows them."""
from __future__ import annotations

from tests.records_support import MACKAY, SECRET_VALUES, create


def _print(client, headers, archive_no):
    return client.get(f"/api/v1/dossiers/{archive_no}/pdf", headers=headers)


def _export(client, headers, archive_no):
    return client.get(f"/api/v1/export?format=jsonl&q={archive_no}&summary=true", headers=headers)


def _consent(client, headers, archive_no, body):
    return client.put(f"/api/v1/dossiers/{archive_no}/consent", json=body, headers=headers)


def test_withdrawn_consent_refuses_print_and_export_then_given_again_allows(client, auth, admin):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    archivist = auth("archivist")
    assert _print(client, archivist, archive_no).status_code == 200

    response = _consent(client, archivist, archive_no, {"given": False, "method": "电话", "evidence": "录音 0012"})
    assert response.status_code == 200
    assert response.get_json()["consent"]["given"] is False
    refused = _print(client, archivist, archive_no)
    assert refused.status_code == 403
    error = refused.get_json()["error"]
    assert error["code"] == "consent_required" and "未经客户同意" in error["message"] and "撤回" in error["message"]
    exported = _export(client, archivist, archive_no)
    assert SECRET_VALUES[0] not in exported.get_data(as_text=True)
    assert archive_no in exported.get_data(as_text=True)  # listed as skipped in the summary line only
    state = client.get(f"/api/v1/dossiers/{archive_no}/consent", headers=archivist).get_json()
    assert state["allows"] == {"print": False, "export": False, "disclose": False}

    given = _consent(client, archivist, archive_no, {"given": True, "scope": ["内部服务"], "method": "书面"})
    assert given.status_code == 200
    assert _print(client, archivist, archive_no).status_code == 200
    assert SECRET_VALUES[0] in _export(client, archivist, archive_no).get_data(as_text=True)


def test_consent_change_is_a_new_version_and_audited(client, auth, admin):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    archivist = auth("archivist")
    saved = _consent(client, archivist, archive_no, {"given": False}).get_json()
    assert saved["version"] == 2 and saved["consent"]["withdrawn_at"]
    entries = client.get(f"/api/v1/audit?dossier={archive_no}&action=consent.change", headers=auth("auditor"))
    assert [e["details"]["given"] for e in entries.get_json()["entries"]] == [False]


def test_scope_decides_export_and_disclosure(client, admin):
    archive_no = create(client, admin, MACKAY, consent={"given": True, "scope": ["投资建议"]})["archive_no"]
    allows = client.get(f"/api/v1/dossiers/{archive_no}/consent", headers=admin).get_json()["allows"]
    assert allows == {"print": True, "export": False, "disclose": False}


def test_no_consent_recorded_prints_but_does_not_export(client, admin):
    body = {"consent": None}
    archive_no = create(client, admin, MACKAY, **body)["archive_no"]
    state = client.get(f"/api/v1/dossiers/{archive_no}/consent", headers=admin).get_json()
    assert state["state"] == "none" and state["allows"]["print"] and not state["allows"]["export"]


def test_bad_consent_body_is_400_and_changes_nothing(client, auth, admin):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    response = _consent(client, auth("archivist"), archive_no, {"given": "maybe"})
    assert response.status_code == 400 and response.get_json()["error"]["fields"]
    assert client.get(f"/api/v1/dossiers/{archive_no}", headers=admin).get_json()["version"] == 1


def test_clerk_records_consent_only_on_own_dossiers(client, auth, admin):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    assert _consent(client, auth("clerk"), archive_no, {"given": False}).status_code == 403
