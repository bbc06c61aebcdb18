"""Bulk export (service/bulk, GET /api/v1/export, `dossier export`): every format opens correctly."""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook

from schemas.registry import get_template
from service.actors import Actor, command_line_actor
from service.app import create_app
from service.bulk.cells import inert
from service.bulk.columns import template_columns
from service.bulk.export_jsonl import jsonl_chunks
from service.bulk.export_pdfzip import MANIFEST, pdfzip_chunks
from service.bulk.selection import Selection
from service.storage.connection import open_mongomock
from tests.conftest import OWN_SAMPLES, SHARED_SAMPLES, load_sample

EXPORT_CONSENT = {"given": True, "scope": ["内部服务", "数据导出"], "date": "2026-09-01", "method": "书面"}
TRICKY = {  # a broker_client dossier whose values a spreadsheet would mangle or run
    "template": "broker_client",
    "consent": EXPORT_CONSENT,
    "data": {
        "姓名": "钱多多",
        "年龄": 41,
        "帐号(上海)": "A000123456",
        "帐号(深圳)": "0012345678",
        "电话(O)": "+86 138 0013 8000",
        "电话(H)": "021-6288 0011",
        "收入预估": "=HYPERLINK(\"http://evil.example\",\"点我\")",
        "家庭成员": "@SUM(A1:A9)",
        "兴趣爱好": "-1.2",
        "地址": "+上海市浦东",
        "服务单位": "\t=1+1",
    },
}


def post(client, headers, dossier: dict) -> dict:
    response = client.post("/api/v1/dossiers", json=dossier, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def with_consent(sample: dict) -> dict:
    return {**sample, "consent": EXPORT_CONSENT}


@pytest.fixture
def samples(client, admin) -> list[dict]:
    """Every shared sample, stored with a consent that covers export."""
    return [post(client, admin, with_consent(load_sample(p))) for p in SHARED_SAMPLES]


def export(client, headers, query: str):
    response = client.get(f"/api/v1/export?{query}", headers=headers)
    assert response.status_code == 200, response.data[:500]
    assert response.data is not None  # read it all: the audit entry is written when the stream ends
    return response


# -- JSON Lines -----------------------------------------------------------------------
def test_jsonl_has_one_utf8_line_per_dossier_without_bom(client, admin, samples):
    body = export(client, admin, "format=jsonl").data
    assert not body.startswith(b"\xef\xbb\xbf")
    lines = body.decode("utf-8").splitlines()
    assert len(lines) == len(samples)
    by_no = {json.loads(line)["archive_no"]: json.loads(line) for line in lines}
    assert by_no.keys() == {s["archive_no"] for s in samples}
    assert "search_text" not in next(iter(by_no.values()))
    assert "赵丽华" in body.decode("utf-8")


def test_jsonl_filters_like_the_list(client, admin, samples):
    body = export(client, admin, "format=jsonl&template=mackay66").data
    assert [json.loads(line)["template"] for line in body.splitlines()] == ["mackay66"]


def test_jsonl_reimports_to_equal_dossiers(client, admin, samples, tmp_path):
    body = export(client, admin, "format=jsonl").data
    store = open_mongomock()
    other = create_app({"TESTING": True, "DATABASE": store.db, "DOSSIER_DATA_DIR": tmp_path / "other"})
    from service.clock import utcnow
    from service.storage.keys import KeyRepository
    token, _ = KeyRepository(store.db).create("admin", "other", utcnow())
    response = other.test_client().post("/api/v1/import", data=body, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/x-ndjson"})
    assert response.status_code == 200, response.json
    assert response.json["summary"]["created"] == len(samples)
    repository = other.extensions["dossier"].repository
    for line in body.splitlines():
        exported = json.loads(line)
        stored = next(repository.scan("dossiers", {"external_id": exported["archive_no"]}))
        for part in ("template", "classification", "confidentiality", "consent", "retention", "data", "extra"):
            assert stored[part] == exported[part], (exported["archive_no"], part)
    store.close()


def test_jsonl_reimport_into_the_same_store_changes_nothing(client, admin, samples):
    body = export(client, admin, "format=jsonl").data
    response = client.post("/api/v1/import", data=body,
                           headers={**admin, "Content-Type": "application/x-ndjson"})
    assert response.json["summary"]["unchanged"] == len(samples)
    assert export(client, admin, "format=jsonl").data.count(b'"version":1,') == len(samples)


def test_jsonl_of_a_role_without_clearance_is_masked(app, client, admin):
    post(client, admin, TRICKY)
    viewer = Actor("v1", "viewer")
    selection = Selection(app.extensions["dossier"].repository, {}, viewer, "jsonl")
    line = json.loads(b"".join(jsonl_chunks((d for d, _t in selection.items()), selection.masked)))
    assert line["masked"] is True
    assert line["data"]["account_sz"] == "***" and line["data"]["income_estimate"] == "***"
    assert line["data"]["name"] == "钱多多"


# -- CSV ------------------------------------------------------------------------------
def read_csv(body: bytes) -> list[dict]:
    assert body.startswith(b"\xef\xbb\xbf"), "Excel needs the BOM to read UTF-8"
    return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))


def test_csv_keeps_chinese_identifiers_and_makes_formulas_inert(client, admin):
    stored = post(client, admin, TRICKY)
    [row] = read_csv(export(client, admin, "format=csv&template=broker_client").data)
    assert row["档案编号"] == stored["archive_no"]
    assert row["姓名"] == "钱多多"
    assert row["帐号(深圳)"] == "0012345678"            # leading zeros kept
    assert row["电话(O)"] == "+86 138 0013 8000"         # a valid phone stays as typed
    assert row["电话(H)"] == "021-6288 0011"
    assert row["兴趣爱好"] == "-1.2"                     # a real number stays a number
    assert row["收入预估"].startswith("'=HYPERLINK")     # formulas made inert
    assert row["家庭成员"] == "'@SUM(A1:A9)"
    assert row["地址"].startswith("'+上海市")
    assert row["服务单位"] == "'=1+1"                    # (validation strips the leading tab)
    assert row["年龄"] == "41"


def test_inert_rules():
    assert inert("-1.2", "text") == "-1.2" and inert("+3", "number") == "+3"
    assert inert("+86 138 0013 8000", "phone") == "+86 138 0013 8000"
    assert inert("+86 138 0013 8000", "text") == "'+86 138 0013 8000"
    assert inert("+86 =cmd|' /C calc'!A0", "phone").startswith("'")
    assert inert("=1+1", "text") == "'=1+1" and inert("普通文字", "text") == "普通文字"
    assert inert("\t=1+1", "text") == "'\t=1+1" and inert("\r=1", "text") == "'\r=1"


def test_csv_columns_come_from_the_template(client, admin, samples):
    rows = read_csv(export(client, admin, "format=csv&template=broker_client").data)
    template = get_template("broker_client")
    assert list(rows[0]) == [c.label for c in template_columns(template)]
    assert rows[0]["投资组合.股票(%)"] == "40"
    assert rows[0]["操盘人资料.电话"] == "139 1688 2046"
    assert (rows[0]["密级"], rows[0]["状态"]) == ("普通", "在档")     # words under Chinese headers
    keys = read_csv(export(client, admin, "format=csv&template=broker_client&headers=keys").data)
    assert keys[0]["portfolio.stocks"] == "40" and keys[0]["classification.region"] == "上海"
    assert (keys[0]["confidentiality"], keys[0]["status"]) == ("normal", "active")


def test_csv_tables_are_one_json_cell_each(client, admin, samples):
    [row] = read_csv(export(client, admin, "format=csv&template=broker_weekly_review").data)
    review = json.loads(row["检讨项目"])
    assert review[-1]["项目"] == "指导客户盈亏率(%)" and review[-1]["上周结果"] == -1.2


def test_csv_needs_a_template(client, admin, samples):
    response = client.get("/api/v1/export?format=csv", headers=admin)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "template_required"
    assert "template" in response.json["error"]["fields"]


def test_export_rejects_unknown_template_and_format(client, admin):
    assert client.get("/api/v1/export?format=csv&template=nope", headers=admin).status_code == 400
    assert client.get("/api/v1/export?format=doc", headers=admin).status_code in (400, 422)


# -- XLSX -----------------------------------------------------------------------------
def test_xlsx_types_and_sheets(app, client, admin, samples):
    archive_no = post(client, admin, TRICKY)["archive_no"]
    # characters XML forbids, stored before input refused them, are replaced, not fatal
    app.extensions["dossier"].repository.dossiers.update_one(
        {"archive_no": archive_no}, {"$set": {"data.address": "+上海市\x07浦东\ufffe"}})
    response = export(client, admin, "format=xlsx")
    assert response.headers["X-Export-Count"] == str(len(samples) + 1)
    workbook = load_workbook(io.BytesIO(response.data))
    assert all(len(name) <= 31 for name in workbook.sheetnames)
    assert len(workbook.sheetnames) == len({s["template"] for s in samples})
    # standard and consulting_client both print 客户档案: their sheets take the names shown on screen
    assert {"客户档案（管理规范）", "客户档案（咨询服务）"} <= set(workbook.sheetnames)
    rows = sheet_rows(workbook["证券经纪人大客户档案"])
    tricky = next(r for r in rows if r["姓名"] == "钱多多")
    assert tricky["帐号(深圳)"] == "0012345678" and isinstance(tricky["帐号(深圳)"], str)
    assert tricky["电话(O)"] == "+86 138 0013 8000"
    assert tricky["收入预估"].startswith("=HYPERLINK")   # a text cell, never a formula
    assert tricky["地址"] == "+上海市\ufffd浦东\ufffd"
    assert tricky["年龄"] == 41 and isinstance(tricky["年龄"], int)
    assert isinstance(tricky["创建时间"], dt.datetime)
    weekly = sheet_rows(workbook["经纪人每周活动情况检讨表"])[0]
    assert isinstance(weekly["填写日期"], dt.datetime) and weekly["填写日期"].date() == dt.date(2026, 11, 20)
    assert weekly["年"] == 2026


def test_xlsx_formula_text_is_stored_as_text(client, admin):
    post(client, admin, TRICKY)
    workbook = load_workbook(io.BytesIO(export(client, admin, "format=xlsx").data))
    sheet = workbook["证券经纪人大客户档案"]
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("收入预估") + 1)
    assert cell.data_type == "s"


def sheet_rows(sheet) -> list[dict]:
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], r)) for r in rows[1:]]


# -- consent, audit, permissions ------------------------------------------------------------
def test_export_skips_dossiers_without_consent_and_is_audited(app, client, admin, samples):
    no_consent = {k: v for k, v in load_sample(SHARED_SAMPLES[0]).items() if k != "consent"}
    skipped = post(client, admin, no_consent)
    response = export(client, admin, "format=xlsx")
    assert response.headers["X-Skipped"] == "1"
    body = export(client, admin, "format=jsonl&summary=1").data.decode().splitlines()
    assert skipped["archive_no"] not in "".join(body[:-1])
    summary = json.loads(body[-1])["_summary"]
    assert summary["skipped"] == 1 and summary["skipped_dossiers"][0]["archive_no"] == skipped["archive_no"]
    entries = list(app.extensions["dossier"].repository.scan("audit_log", {"action": "dossier.export"}))
    assert len(entries) == 2 and all(e["details"]["completed"] for e in entries)
    assert entries[-1]["details"]["skipped_archive_nos"] == [skipped["archive_no"]]
    assert entries[-1]["details"]["format"] == "jsonl"


def test_export_needs_permission(client, auth):
    assert client.get("/api/v1/export?format=jsonl", headers=auth("viewer")).status_code == 403
    assert client.get("/api/v1/export?format=jsonl", headers=auth("clerk")).status_code == 403
    assert client.get("/api/v1/export?format=jsonl", headers=auth("archivist")).status_code == 200


# -- PDF ZIP --------------------------------------------------------------------------
def test_pdf_zip_has_one_pdf_per_dossier_and_a_manifest(client, admin, samples):
    body = export(client, admin, "format=pdf-zip&workers=1").data
    archive = zipfile.ZipFile(io.BytesIO(body))
    names = archive.namelist()
    assert names[-1] == MANIFEST
    pdfs = [i for i in archive.infolist() if i.filename.endswith(".pdf")]
    assert len(pdfs) == len(samples)
    assert all(i.flag_bits & 0x800 for i in pdfs)          # UTF-8 names
    assert "证券经纪人大客户档案-" + samples[0]["archive_no"] + ".pdf" in names
    manifest = json.loads(archive.read(MANIFEST))
    assert manifest["count"] == len(samples) and manifest["failures"] == []
    for entry in manifest["files"]:
        data = archive.read(entry["file"])
        assert data.startswith(b"%PDF") and hashlib.sha256(data).hexdigest() == entry["sha256"]


def test_pdf_zip_reports_a_failed_dossier_and_renders_the_rest_in_parallel(samples, app):
    repository = app.extensions["dossier"].repository
    good = repository.get(samples[0]["archive_no"])
    broken = {**good, "archive_no": "KH-2026-999999"}
    template = get_template(good["template"])
    unknown = dataclasses.replace(template, name="no_such_template")  # the worker cannot find it
    body = b"".join(pdfzip_chunks([(good, template), (broken, unknown)], "http://x/", workers=2))
    archive = zipfile.ZipFile(io.BytesIO(body))
    manifest = json.loads(archive.read(MANIFEST))
    assert manifest["workers"] == 2 and manifest["count"] == 1
    assert [f["archive_no"] for f in manifest["failures"]] == ["KH-2026-999999"]
    assert len([n for n in archive.namelist() if n.endswith(".pdf")]) == 1


# -- CLI ------------------------------------------------------------------------------
def test_cli_export_writes_the_file(app, client, admin, samples, tmp_path, monkeypatch):
    import contextlib

    from click.testing import CliRunner

    from service import cli
    from service.storage.connection import Store

    db = app.extensions["dossier"].repository.db
    monkeypatch.setattr(cli, "open_store", lambda: contextlib.nullcontext(Store(client=None, db=db)))
    output = tmp_path / "out.csv"
    result = CliRunner().invoke(cli.main, ["export", "--format", "csv", "--template", "mackay66", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert len(read_csv(output.read_bytes())) == 1
    result = CliRunner().invoke(cli.main, ["export", "--format", "csv", "-o", str(output)])
    assert result.exit_code != 0 and "template" in result.output
    entry = app.extensions["dossier"].audit.entries({"action": "dossier.export"})[-1]
    assert (entry["actor"], entry["role"]) == (command_line_actor("archivist").id, "archivist")  # as the README says
    refused = CliRunner().invoke(cli.main, ["export", "--format", "jsonl", "-o", str(output), "--role", "clerk"])
    assert refused.exit_code != 0 and "没有权限" in refused.output


def test_own_samples_export_too(client, admin):
    for path in OWN_SAMPLES:
        post(client, admin, with_consent(load_sample(path)))
    body = export(client, admin, "format=jsonl").data
    assert len(body.splitlines()) == len(OWN_SAMPLES)
