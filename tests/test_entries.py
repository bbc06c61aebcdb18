"""Records that grow: POST/GET /api/v1/dossiers/<no>/entries/<block>, for every entry table
of every template.

Each case starts from the template's own sample (shared/samples or samples/), appends one
row keyed by the printed labels (as a clerk's form or spreadsheet sends it) with If-Match,
and checks the new version, the stored row, the listing with added_at/added_by, the
untouched earlier version, the official copy, and that a stale If-Match, an unknown block
and an invalid row each change nothing.
"""
from __future__ import annotations

import re
import subprocess

import pytest

from schemas.model import Field, Table
from schemas.registry import all_templates, get_template
from service.masking import MASK

from .conftest import OWN_SAMPLES, SHARED_SAMPLES, load_sample

DOSSIERS = "/api/v1/dossiers"
SAMPLES = {load_sample(p)["template"]: p for p in SHARED_SAMPLES + OWN_SAMPLES}


def entry_tables():
    for name in sorted(all_templates()):
        for _section, path, table in get_template(name).tables():
            if len(path) == 1 and table.entry:
                yield name, table


ENTRY_TABLES = list(entry_tables())

# One value per field type, as typed on a form (label-keyed input) and as stored.
TYPED = {
    "text": ("追加记录", "追加记录"),
    "longtext": ("追加的记录内容。\n第二行。", "追加的记录内容。\n第二行。"),
    "integer": ("3", 3),
    "number": ("2.5", 2.5),
    "percent": ("50%", 50),
    "money": ("¥1,200.00", "1,200.00"),
    "date": ("2026/12/1", "2026-12-01"),
    "partial_date": ("2026-12", "2026-12"),
    "datetime": ("2026-12-01 09:30", "2026-12-01 09:30"),
    "phone": ("０２１-6288 0011", "021-6288 0011"),
    "mobile": ("139 1688 2046", "139 1688 2046"),
    "email": ("new@example.com", "new@example.com"),
    "yesno": ("√", "是"),
}


def typed(field: Field) -> tuple:
    """(as sent, as stored) for one column; choices by an alias when the field has one."""
    if field.type == "choice":
        if field.choice_aliases:
            alias, choice = field.choice_aliases[0]
            return alias, choice
        return field.choices[-1], field.choices[-1]
    return TYPED[field.type]


def new_row(table: Table) -> tuple[dict, dict]:
    """A full row keyed by labels, and the row the service must store (keyed by keys)."""
    sent, stored = {}, {}
    for column in table.columns:
        if isinstance(column, Table):
            inner_sent, inner_stored = new_row(column)
            sent[column.label], stored[column.key] = [inner_sent], [inner_stored]
        else:
            sent[column.label], stored[column.key] = typed(column)
    return sent, stored


def dated_column(table: Table) -> Field:
    return next(c for c in table.columns if isinstance(c, Field) and c.type in ("date", "datetime"))


def error_of(response) -> dict:
    body = response.get_json()
    assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
    return body["error"]


@pytest.fixture
def posted(client, admin):
    """post(name) → (archive_no, ETag, stored document) of that template's sample."""
    def post(name: str):
        response = client.post(DOSSIERS, json=load_sample(SAMPLES[name]), headers=admin)
        assert response.status_code == 201, response.get_json()
        assert response.get_json()["warnings"] == []
        return response.get_json()["archive_no"], response.headers["ETag"], response.get_json()
    return post


def test_every_template_with_growing_records_is_covered():
    assert {name for name, _ in ENTRY_TABLES} == {
        "broker_visit_report", "consulting_client", "it_support", "property_owner", "standard"}
    assert len(ENTRY_TABLES) == 8
    assert set(SAMPLES) == set(all_templates())


@pytest.mark.parametrize("name, table", ENTRY_TABLES, ids=[f"{n}-{t.key}" for n, t in ENTRY_TABLES])
def test_append_entry_by_label_makes_a_new_version(client, admin, posted, name, table):
    number, etag, created = posted(name)
    before_rows = created["data"].get(table.key, [])
    sent, stored_row = new_row(table)

    response = client.post(f"{DOSSIERS}/{number}/entries/{table.label}", json=sent,
                           headers={**admin, "If-Match": etag})
    assert response.status_code == 201, response.get_json()
    after = response.get_json()
    assert after["version"] == created["version"] + 1
    assert response.headers["ETag"] != etag and after["warnings"] == []
    assert after["data"][table.key] == before_rows + [stored_row]
    assert {k: v for k, v in after["data"].items() if k != table.key} == \
        {k: v for k, v in created["data"].items() if k != table.key}

    read = client.get(f"{DOSSIERS}/{number}", headers=admin).get_json()
    assert read["version"] == after["version"] and read["data"][table.key][-1] == stored_row

    listed = client.get(f"{DOSSIERS}/{number}/entries/{table.key}", headers=admin)
    assert listed.status_code == 200
    body = listed.get_json()
    assert body["block"] == table.key and body["label"] == table.label
    assert [e["row"] for e in body["entries"]] == before_rows + [stored_row]
    last = body["entries"][-1]
    assert last["index"] == len(before_rows) and last["added_by"] == read["updated_by"]
    assert re.match(r"\d{4}-\d{2}-\d{2}T", last["added_at"])

    # the version the clerk started from is kept as it was
    first = client.get(f"{DOSSIERS}/{number}/versions/{created['version']}", headers=admin).get_json()
    assert first["data"] == created["data"] and first["version"] == created["version"]
    versions = client.get(f"{DOSSIERS}/{number}/versions", headers=admin).get_json()["versions"]
    assert [v["version"] for v in versions] == [1, 2]


@pytest.mark.parametrize("name, table", ENTRY_TABLES, ids=[f"{n}-{t.key}" for n, t in ENTRY_TABLES])
def test_stale_unknown_and_invalid_appends_change_nothing(client, admin, posted, name, table):
    number, etag, _ = posted(name)
    sent, _ = new_row(table)
    url = f"{DOSSIERS}/{number}/entries/{table.key}"
    assert client.post(url, json=sent, headers={**admin, "If-Match": etag}).status_code == 201
    current = client.get(f"{DOSSIERS}/{number}", headers=admin)
    snapshot = current.get_json()

    stale = client.post(url, json=sent, headers={**admin, "If-Match": etag})   # the v1 ETag again
    assert stale.status_code == 412
    error_of(stale)

    unknown = client.post(f"{DOSSIERS}/{number}/entries/no_such_block", json=sent,
                          headers={**admin, "If-Match": current.headers["ETag"]})
    assert unknown.status_code in (400, 404)
    assert error_of(unknown)["message"]
    listing = client.get(f"{DOSSIERS}/{number}/entries/no_such_block", headers=admin)
    assert listing.status_code in (400, 404)
    error_of(listing)

    column = dated_column(table)
    bad = {**sent, column.label: "2026-13-45" + (" 09:30" if column.type == "datetime" else "")}
    invalid = client.post(url, json=bad, headers={**admin, "If-Match": current.headers["ETag"]})
    assert invalid.status_code == 400
    fields = error_of(invalid)["fields"]
    assert any(column.key in path or column.label in "".join(msgs) for path, msgs in fields.items()), fields

    no_fields = client.post(url, json={}, headers={**admin, "If-Match": current.headers["ETag"]})
    assert no_fields.status_code == 400
    error_of(no_fields)

    after = client.get(f"{DOSSIERS}/{number}", headers=admin)
    assert after.headers["ETag"] == current.headers["ETag"]
    assert after.get_json()["data"] == snapshot["data"] and after.get_json()["version"] == snapshot["version"]


@pytest.mark.parametrize("name, table", ENTRY_TABLES, ids=[f"{n}-{t.key}" for n, t in ENTRY_TABLES])
def test_entries_mask_confidential_columns_for_a_viewer(client, admin, auth, posted, name, table):
    number, etag, _ = posted(name)
    sent, stored_row = new_row(table)
    assert client.post(f"{DOSSIERS}/{number}/entries/{table.key}", json=sent,
                       headers={**admin, "If-Match": etag}).status_code == 201
    cleared = client.get(f"{DOSSIERS}/{number}/entries/{table.key}", headers=admin).get_json()
    viewer = client.get(f"{DOSSIERS}/{number}/entries/{table.key}", headers=auth("viewer")).get_json()
    assert cleared["entries"][-1]["row"] == stored_row
    secret = {c.key for c in table.columns if isinstance(c, Field) and c.confidential}
    for seen, full in zip(viewer["entries"], cleared["entries"]):
        for key, value in full["row"].items():
            assert seen["row"][key] == (MASK if key in secret else value), key
        assert seen["added_by"] == full["added_by"]


def test_some_entry_table_holds_confidential_columns():
    """The masking test above is not vacuous: 报事人 的 联系电话 is a third party's number."""
    secret = [(name, c.label) for name, t in ENTRY_TABLES for c in t.columns
              if isinstance(c, Field) and c.confidential]
    assert ("property_owner", "联系电话") in secret


def test_entry_block_may_be_named_by_an_alias(client, admin, posted):
    """客户档案管理规范, second version: 沟通记录 is the first version's 客户交流记录."""
    number, etag, created = posted("standard")
    response = client.post(f"{DOSSIERS}/{number}/entries/沟通记录",
                           json={"日期和时间": "2026-12-02 10:00", "交流方式": "电话", "交流内容": "回访"},
                           headers={**admin, "If-Match": etag})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["communications"][-1] == {
        "at": "2026-12-02 10:00", "channel": "电话", "content": "回访"}


def test_round_mode_in_the_seed_wording_is_stored_as_the_choice(client, admin, posted):
    number, etag, _ = posted("consulting_client")
    response = client.post(f"{DOSSIERS}/{number}/entries/rounds",
                           json={"轮次": "第三次沟通", "沟通方式": "经邦上门", "填表日期": "2026-11-02"},
                           headers={**admin, "If-Match": etag})
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["rounds"][-1]["mode"] == "我方上门"


@pytest.mark.parametrize("name, table", ENTRY_TABLES, ids=[f"{n}-{t.key}" for n, t in ENTRY_TABLES])
def test_appended_entry_is_printed(client, admin, posted, tmp_path, name, table):
    number, etag, _ = posted(name)
    sent, stored_row = new_row(table)
    sent[dated_column(table).label] = "2026-12-31" + (" 23:59" if dated_column(table).type == "datetime" else "")
    assert client.post(f"{DOSSIERS}/{number}/entries/{table.key}", json=sent,
                       headers={**admin, "If-Match": etag}).status_code == 201
    pdf = client.get(f"{DOSSIERS}/{number}/pdf", headers=admin)
    assert pdf.status_code == 200
    path = tmp_path / "copy.pdf"
    path.write_bytes(pdf.data)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                                              text=True, check=True).stdout)
    assert "2026-12-31" in text and "追加" in text     # the date and the text columns of the new row
    assert "版本2" in text


def test_a_dossier_stops_growing_at_its_size_limit(app, client, admin, monkeypatch):
    """Entries come one request at a time; the whole dossier is what a print must lay out."""
    from service import dossiers
    monkeypatch.setattr(dossiers, "MAX_CONTENT_BYTES", 30_000)
    created = client.post(DOSSIERS, json=load_sample(SAMPLES["it_support"]), headers=admin)
    archive_no, tag = created.get_json()["archive_no"], created.headers["ETag"]
    row = {"问题描述": "网络时断时续。" * 600}   # about 12 KB as JSON
    for _ in range(2):
        appended = client.post(f"{DOSSIERS}/{archive_no}/entries/records", json=row,
                               headers={**admin, "If-Match": tag})
        assert appended.status_code == 201, appended.get_json()
        tag = appended.headers["ETag"]
    refused = client.post(f"{DOSSIERS}/{archive_no}/entries/records", json=row, headers={**admin, "If-Match": tag})
    assert refused.status_code == 400 and "档案内容过大" in refused.get_json()["error"]["message"]
    assert client.get(f"{DOSSIERS}/{archive_no}", headers=admin).headers["ETag"] == tag


def test_an_appended_rows_unknown_field_stays_with_that_row(app, client, admin):
    body = {"template": "standard", "data": {"客户姓名": "华信", "客户交流记录": [{"交流内容": "初访", "备忘": "第一条的备忘"}]}}
    created = client.post(DOSSIERS, json=body, headers=admin)
    archive_no = created.get_json()["archive_no"]
    appended = client.post(f"{DOSSIERS}/{archive_no}/entries/communications", json={"交流内容": "回访", "备忘": "第二条的备忘"},
                           headers={**admin, "If-Match": created.headers["ETag"]})
    assert appended.status_code == 201, appended.get_json()
    extra = app.extensions["dossier"].repository.get(archive_no)["extra"]
    assert {(e["path"], e["value"]) for e in extra} == {("data.communications[0]", "第一条的备忘"),
                                                        ("data.communications[1]", "第二条的备忘")}
