"""Role × action matrix, ownership, team scope and masking of confidential fields everywhere."""
from __future__ import annotations

import datetime as dt
import json

import pytest

from schemas.registry import get_template
from service.actors import ROLES, Actor
from service.printing import official_copy
from service.storage.keys import KeyRepository
from tests.records_support import BROKER, MACKAY, SECRET_VALUES, create, etag, pdf_text, years_later

DUE = (dt.date.today() + dt.timedelta(days=7)).isoformat()


def _loan_in(client, auth, archive_no, state):
    loan_no = client.post(f"/api/v1/dossiers/{archive_no}/loans", json={"purpose": "核对"},
                          headers=auth("clerk")).get_json()["loan_no"]
    steps = {"requested": [], "verified": ["verify"], "lent": ["verify", "lend"]}[state]
    for step in steps:
        body = {"borrower": "李四", "due_date": DUE} if step == "lend" else {}
        assert client.post(f"/api/v1/loans/{loan_no}/{step}", json=body, headers=auth("archivist")).status_code == 200
    return loan_no


# action → (roles allowed, request(client, headers, ctx))
ACTIONS = {
    "list": ({"admin", "clerk", "viewer", "manager", "archivist"},
             lambda c, h, x: c.get("/api/v1/dossiers", headers=h)),
    "read": ({"admin", "clerk", "viewer", "manager", "archivist"},
             lambda c, h, x: c.get(f"/api/v1/dossiers/{x['no']}", headers=h)),
    "create": ({"admin", "clerk"},
               lambda c, h, x: c.post("/api/v1/dossiers", json=x["sample"], headers=h)),
    "update": ({"admin"},  # the dossier was created by admin: a clerk changes only their own
               lambda c, h, x: c.patch(f"/api/v1/dossiers/{x['no']}", json={"data": {"籍贯": "天津"}},
                                       headers={**h, "If-Match": x["etag"]()})),
    "print": ({"admin", "archivist"}, lambda c, h, x: c.get(f"/api/v1/dossiers/{x['no']}/pdf", headers=h)),
    "consent": ({"admin", "archivist"},
                lambda c, h, x: c.put(f"/api/v1/dossiers/{x['no']}/consent",
                                      json={"given": True, "scope": ["内部服务"]}, headers=h)),
    "loan.request": ({"clerk"}, lambda c, h, x: c.post(f"/api/v1/dossiers/{x['fresh']()}/loans",
                                                       json={"purpose": "核对"}, headers=h)),
    "loan.verify": ({"manager", "archivist"},
                    lambda c, h, x: c.post(f"/api/v1/loans/{x['loan']('requested')}/verify", headers=h)),
    "loan.lend": ({"archivist"}, lambda c, h, x: c.post(f"/api/v1/loans/{x['loan']('verified')}/lend",
                                                       json={"borrower": "李四", "due_date": DUE}, headers=h)),
    "loan.return": ({"archivist"}, lambda c, h, x: c.post(f"/api/v1/loans/{x['loan']('lent')}/return", headers=h)),
    "loans.list": ({"clerk", "manager", "archivist"}, lambda c, h, x: c.get("/api/v1/loans", headers=h)),
    "retention.due": ({"admin", "manager", "archivist"}, lambda c, h, x: c.get("/api/v1/retention/due", headers=h)),
    "hold": ({"archivist"}, lambda c, h, x: c.put(f"/api/v1/dossiers/{x['fresh']()}/hold",
                                                  json={"reason": "诉讼"}, headers=h)),
    "retention": ({"archivist"}, lambda c, h, x: c.put(f"/api/v1/dossiers/{x['no']}/retention",
                                                       json={"years": 12}, headers=h)),
    "destroy": ({"archivist"}, lambda c, h, x: c.post(f"/api/v1/dossiers/{x['fresh']()}/destroy",
                                                      json={"reason": "到期"}, headers=h)),
    "audit": ({"admin", "auditor"}, lambda c, h, x: c.get("/api/v1/audit", headers=h)),
    "audit.verify": ({"admin", "auditor"}, lambda c, h, x: c.get("/api/v1/audit/verify", headers=h)),
    "export": ({"admin", "archivist"}, lambda c, h, x: c.get("/api/v1/export?format=jsonl", headers=h)),
}


@pytest.fixture
def ctx(app, client, auth, admin):
    from tests.records_support import sample
    archive_no = create(client, admin, MACKAY)["archive_no"]
    app.extensions["dossier"].records.retention.clock = years_later(10)  # everything is expired
    return {"no": archive_no, "sample": sample(MACKAY),
            "etag": lambda: etag(client, admin, archive_no),
            "fresh": lambda: create(client, admin, MACKAY)["archive_no"],
            "loan": lambda state: _loan_in(client, auth, create(client, admin, MACKAY)["archive_no"], state)}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
def test_role_action_matrix(client, auth, ctx, role, action):
    allowed, call = ACTIONS[action]
    response = call(client, auth(role), ctx)
    if role in allowed:
        assert response.status_code < 300, (role, action, response.status_code, response.get_data(as_text=True)[:300])
    else:
        assert response.status_code == 403, (role, action, response.status_code)
        assert response.get_json()["error"]["code"] == "forbidden"


def test_clerk_updates_own_dossiers_only(client, auth):
    clerk, other = auth("clerk"), auth("clerk")
    archive_no = create(client, clerk, MACKAY)["archive_no"]
    patch = {"data": {"籍贯": "天津"}}
    mine = client.patch(f"/api/v1/dossiers/{archive_no}", json=patch,
                        headers={**clerk, "If-Match": etag(client, clerk, archive_no)})
    assert mine.status_code == 200
    theirs = client.patch(f"/api/v1/dossiers/{archive_no}", json=patch,
                          headers={**other, "If-Match": etag(client, other, archive_no)})
    assert theirs.status_code == 403 and "建档人" in theirs.get_json()["error"]["message"]
    entry = client.post(f"/api/v1/dossiers/{archive_no}/entries/whatever", json={},
                        headers={**other, "If-Match": etag(client, other, archive_no)})
    assert entry.status_code == 403


def test_manager_reads_only_their_team(app, client):
    keys = KeyRepository(app.extensions["dossier"].repository.db)

    def headers(role, team):
        token, _ = keys.create(role, f"{role} {team}", dt.datetime.now(dt.timezone.utc), team=team)
        return {"Authorization": f"Bearer {token}"}
    north_clerk, north_manager, south_manager = headers("clerk", "北区"), headers("manager", "北区"), headers("manager", "南区")
    archive_no = create(client, north_clerk, MACKAY)["archive_no"]
    assert client.get(f"/api/v1/dossiers/{archive_no}", headers=north_manager).status_code == 200
    assert client.get(f"/api/v1/dossiers/{archive_no}", headers=south_manager).status_code == 403
    assert client.get(f"/api/v1/dossiers/{archive_no}/versions", headers=south_manager).status_code == 403
    listed = client.get("/api/v1/dossiers", headers=south_manager).get_json()["items"]
    assert listed == []
    assert [d["archive_no"] for d in client.get("/api/v1/dossiers", headers=north_manager).get_json()["items"]] == [archive_no]


@pytest.mark.parametrize("path", [
    "/api/v1/dossiers/{no}",
    "/api/v1/dossiers/{no}?fields=data.medical_history&projection=data",
    "/api/v1/dossiers/{no}/versions/1",
    "/api/v1/dossiers/{no}/versions/1?fields=medical_history",
    "/api/v1/dossiers?template=mackay66&fields=data",
    "/api/v1/dossiers?q=腰椎间盘突出",
    "/api/v1/dossiers?data.medical_history=腰椎间盘突出，已治疗",
    "/api/v1/dossiers?medical_history[$ne]=x",
])
@pytest.mark.parametrize("role", ["viewer", "clerk"])
def test_masked_fields_never_leak_to_roles_without_clearance(client, auth, admin, path, role):
    created = create(client, admin, MACKAY)
    archive_no = created["archive_no"]
    response = client.get(path.format(no=archive_no), headers=auth(role))
    assert response.status_code in (200, 400, 422)
    text = response.get_data(as_text=True)
    assert not any(value in text for value in SECRET_VALUES)
    assert created["content_hash"] not in text  # a sha256 over the secrets would confirm guesses offline
    if path == "/api/v1/dossiers/{no}":
        assert response.get_json()["data"]["medical_history"] == "***"


def test_masked_income_in_broker_dossier(client, auth, admin):
    archive_no = create(client, admin, BROKER)["archive_no"]
    viewer = client.get(f"/api/v1/dossiers/{archive_no}", headers=auth("viewer")).get_data(as_text=True)
    assert "120 万元" not in viewer and "A123456789" not in viewer
    archivist = client.get(f"/api/v1/dossiers/{archive_no}", headers=auth("archivist")).get_data(as_text=True)
    assert "120 万元" in archivist


def test_posting_back_a_masked_value_keeps_the_stored_one(app, client, auth):
    clerk = auth("clerk")
    archive_no = create(client, clerk, MACKAY)["archive_no"]
    view = client.get(f"/api/v1/dossiers/{archive_no}", headers=clerk).get_json()
    client.patch(f"/api/v1/dossiers/{archive_no}", json={"data": view["data"]},
                 headers={**clerk, "If-Match": etag(client, clerk, archive_no)})
    stored = app.extensions["dossier"].repository.get(archive_no)
    assert stored["data"]["medical_history"] == SECRET_VALUES[2]


def _guess(client, clerk, archive_no: str, value: str) -> dict:
    """The masked view with one hidden value replaced by a guess (as JSON Lines row)."""
    view = client.get(f"/api/v1/dossiers/{archive_no}", headers=clerk).get_json()
    row = {k: v for k, v in view.items() if k not in ("loan", "retention_status")}  # view-only parts
    return {**row, "data": {**view["data"], "medical_history": value}}


@pytest.mark.parametrize("value", [SECRET_VALUES[2], "猜错的病历"], ids=["right-guess", "wrong-guess"])
def test_a_guess_at_a_hidden_value_is_answered_alike_right_or_wrong(app, client, auth, value):
    """No equality oracle: a right guess may not be told from a wrong one by "unchanged"."""
    clerk = auth("clerk")
    archive_no = create(client, clerk, MACKAY)["archive_no"]
    row = _guess(client, clerk, archive_no, value)
    dry = client.post("/api/v1/import?dry_run=1", data=json.dumps(row, ensure_ascii=False).encode(),
                      headers={**clerk, "Content-Type": "application/x-ndjson"}).get_json()
    assert dry["rows"][0]["status"] == "would_update", dry
    response = client.patch(f"/api/v1/dossiers/{archive_no}", json={"data": row["data"]},
                            headers={**clerk, "If-Match": etag(client, clerk, archive_no)})
    assert response.status_code == 200 and response.get_json()["version"] == 2


def test_import_names_no_state_of_another_clerks_dossier(client, auth):
    owner, other = auth("clerk"), auth("clerk")
    archive_no = create(client, owner, MACKAY)["archive_no"]
    row = _guess(client, other, archive_no, SECRET_VALUES[2])
    dry = client.post("/api/v1/import?dry_run=1", data=json.dumps(row, ensure_ascii=False).encode(),
                      headers={**other, "Content-Type": "application/x-ndjson"}).get_json()
    assert dry["rows"][0]["status"] == "invalid" and "不是您建立的" in str(dry["rows"][0]["errors"])


REPAIRS = [
    {"报事时间": "2026-11-01 09:00", "报事人": "甲", "联系电话": "13900000001", "事项内容": "水管漏水"},
    {"报事时间": "2026-11-02 10:00", "报事人": "乙", "联系电话": "13900000002", "事项内容": "门禁失灵"},
]


def _masked_repairs(client, clerk):
    body = {"template": "property_owner", "data": {"业主基本信息": {"房号": "1-101", "业主姓名": "林"}, "报事、报修、维修记录": REPAIRS}}
    created = client.post("/api/v1/dossiers", json=body, headers=clerk).get_json()
    view = client.get(f"/api/v1/dossiers/{created['archive_no']}", headers=clerk)
    assert [r["reporter_phone"] for r in view.get_json()["data"]["repairs"]] == ["***", "***"]
    return created["archive_no"], view.get_json()["data"]["repairs"], view.headers["ETag"]


@pytest.mark.parametrize("change, phones", [
    (lambda rows: [rows[1]], ["13900000002"]),                       # a row removed: 乙 keeps 乙's number
    (lambda rows: [rows[1], rows[0]], ["13900000002", "13900000001"]),  # reordered
    (lambda rows: [{**rows[0], "result": "已修复"}, rows[1]], ["13900000001", "13900000002"]),  # edited in place
])
def test_posted_back_masked_rows_keep_their_own_hidden_values(app, client, auth, change, phones):
    clerk = auth("clerk")
    archive_no, rows, tag = _masked_repairs(client, clerk)
    response = client.patch(f"/api/v1/dossiers/{archive_no}", json={"data": {"repairs": change(rows)}},
                            headers={**clerk, "If-Match": tag})
    assert response.status_code == 200, response.get_json()
    stored = app.extensions["dossier"].repository.get(archive_no)["data"]["repairs"]
    assert [r["reporter_phone"] for r in stored] == phones
    assert [r["reporter"] for r in stored] == [r["reporter"] for r in change(rows)]


def test_a_hidden_value_that_matches_no_stored_row_is_refused(app, client, auth):
    clerk = auth("clerk")
    archive_no, rows, tag = _masked_repairs(client, clerk)
    edited = [{**rows[1], "content": "门禁已换新"}]  # one row removed, the other changed: which phone?
    response = client.patch(f"/api/v1/dossiers/{archive_no}", json={"data": {"repairs": edited}},
                            headers={**clerk, "If-Match": tag})
    assert response.status_code == 400
    assert "data.repairs[0].reporter_phone" in response.get_json()["error"]["fields"]
    assert app.extensions["dossier"].repository.get(archive_no)["version"] == 1


def test_pdf_masks_for_roles_without_clearance_and_shows_for_archivist(app, client, auth, admin):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    printed = client.get(f"/api/v1/dossiers/{archive_no}/pdf", headers=auth("archivist"))
    assert printed.status_code == 200 and printed.headers["X-Copy-Serial"].startswith("FB-")
    assert SECRET_VALUES[2] in pdf_text(printed.data)
    document = app.extensions["dossier"].repository.get(archive_no)
    for role in ("viewer", "clerk"):  # neither may print (403 in the matrix); the renderer masks anyway
        pdf = official_copy(document, get_template("mackay66"), Actor(id="x", role=role), None,
                            "http://localhost")
        text = pdf_text(pdf)
        assert not any(value in text for value in SECRET_VALUES) and "王建国" in text


def test_export_masks_nothing_for_cleared_exporters_and_viewer_cannot_export(client, auth, admin):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    exported = client.get("/api/v1/export?format=jsonl", headers=auth("archivist")).get_data(as_text=True)
    assert archive_no in exported and SECRET_VALUES[2] in exported
    assert client.get("/api/v1/export?format=jsonl", headers=auth("viewer")).status_code == 403


def test_verify_resolves_hash_to_version_and_serials_without_content(client, auth, admin):
    created = create(client, admin, MACKAY)
    printed = client.get(f"/api/v1/dossiers/{created['archive_no']}/pdf", headers=auth("archivist"))
    answer = client.get(f"/api/v1/verify/{created['content_hash']}")
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["archive_no"] == created["archive_no"] and body["version"] == 1
    assert body["serials"] == [printed.headers["X-Copy-Serial"]]
    assert "王建国" not in answer.get_data(as_text=True)


def test_a_right_guess_at_hidden_values_cannot_be_confirmed_through_verify(client, auth, admin):
    """The fingerprint is salted per version and the salt never leaves the service: hashing the
    masked view with the hidden values guessed (even rightly) matches nothing."""
    from service.render.fingerprint import document_hash
    archive_no = create(client, admin, MACKAY)["archive_no"]
    full = client.get(f"/api/v1/dossiers/{archive_no}", headers=auth("archivist")).get_json()
    masked = client.get(f"/api/v1/dossiers/{archive_no}", headers=auth("viewer")).get_json()
    assert "fingerprint_salt" not in full and "fingerprint_salt" not in masked
    guessed = {**masked, "data": full["data"]}          # every hidden value guessed right
    assert document_hash(guessed) != full["content_hash"]
    assert client.get(f"/api/v1/verify/{document_hash(guessed)}").status_code == 404
    assert client.get(f"/api/v1/verify/{full['content_hash']}").status_code == 200


def test_the_json_inside_an_official_copy_holds_no_internal_field(client, auth, admin):
    import io

    from pypdf import PdfReader
    archive_no = create(client, admin, MACKAY)["archive_no"]
    pdf = client.get(f"/api/v1/dossiers/{archive_no}/pdf", headers=auth("archivist")).data
    attached = PdfReader(io.BytesIO(pdf)).attachments[f"{archive_no}.json"][0].decode()
    assert archive_no in attached and SECRET_VALUES[2] in attached      # the archivist's full copy
    assert not any(name in attached for name in ("fingerprint_salt", "search_text", "entry_log"))
