"""Bulk import (service/bulk/importer.py, POST /api/v1/import, `dossier import`)."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from service.actors import command_line_actor
from service.storage.connection import Store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["外部编号", "姓名", "年龄", "帐号(深圳)", "电话(O)", "投资组合.股票(%)", "投资组合.债券(%)",
           "操盘人资料.姓名", "客户分类.地区", "客户同意.是否同意", "客户同意.用途", "微信"]
GOOD_1 = ["EXT-1", "王小明", "45", "0012345678", "+86 138 0013 8000", "60", "40", "孙浩", "上海", "是",
          "内部服务、数据导出", "wx_wang"]
BAD_AGE = ["EXT-2", "李四", "四十", "", "", "", "", "", "北京", "", "", ""]
BAD_PHONE = ["EXT-3", "张三", "30", "", "打电话给前台", "70", "30", "", "", "", "", ""]
GOOD_2 = ["EXT-4", "赵六", "", "", "021-6288 0011", "", "", "", "广州", "", "", ""]
ROWS = [GOOD_1, BAD_AGE, BAD_PHONE, GOOD_2]


def csv_bytes(rows, headers=HEADERS, bom=True) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(headers)
    writer.writerows(rows)
    return text.getvalue().encode("utf-8-sig" if bom else "utf-8")


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "导入"
    sheet.append(headers)
    for row in rows:
        sheet.append([int(v) if v.isdigit() and not v.startswith("0") else (v or None) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def upload(client, headers, body: bytes, content_type: str, query: str = "template=broker_client"):
    return client.post(f"/api/v1/import?{query}", data=body, headers={**headers, "Content-Type": content_type})


def count(app) -> int:
    return app.extensions["dossier"].repository.count({})


def by_status(report: dict, status: str) -> list[dict]:
    return [r for r in report["rows"] if r["status"] == status]


@pytest.mark.parametrize("body, content_type", [(csv_bytes(ROWS), "text/csv"), (xlsx_bytes(ROWS), XLSX)],
                         ids=["csv", "xlsx"])
def test_good_rows_created_bad_rows_reported(app, client, admin, body, content_type):
    response = upload(client, admin, body, content_type)
    assert response.status_code == 200, response.json
    report = response.json
    assert report["summary"]["created"] == 2 and report["summary"]["invalid"] == 2
    bad = {r["row"]: r["errors"] for r in by_status(report, "invalid")}
    assert set(bad) == {3, 4}                                  # spreadsheet rows (header = row 1)
    assert bad[3] == [{"field": "data.age", "reason": "年龄：“四十”不是数字"}]
    assert [e["field"] for e in bad[4]] == ["data.phone_office"] and "电话号码" in bad[4][0]["reason"]
    assert count(app) == 2
    service = app.extensions["dossier"].dossiers
    first = service.get(by_status(report, "created")[0]["archive_no"])
    assert first["external_id"] == "EXT-1"
    assert first["data"]["account_sz"] == "0012345678" and first["data"]["phone_office"] == "+86 138 0013 8000"
    assert first["data"]["portfolio"] == {"stocks": 60, "bonds": 40}
    assert first["data"]["trader"] == {"name": "孙浩"}
    assert first["classification"] == {"region": "上海"}
    assert first["consent"]["scope"] == ["内部服务", "数据导出"]
    assert first["extra"] == [{"path": "data", "name": "微信", "value": "wx_wang"}]


def test_all_or_nothing_writes_nothing_when_one_row_is_bad(app, client, admin):
    response = upload(client, admin, csv_bytes(ROWS), "text/csv", "template=broker_client&mode=all_or_nothing")
    assert response.status_code == 422
    assert response.json["error"]["code"] == "import_rejected"
    assert "第3行.data.age" in response.json["error"]["fields"]
    assert response.json["report"]["written"] is False
    assert count(app) == 0
    response = upload(client, admin, csv_bytes([GOOD_1, GOOD_2]), "text/csv",
                      "template=broker_client&mode=all_or_nothing")
    assert response.status_code == 200 and response.json["summary"]["created"] == 2
    assert count(app) == 2


def test_dry_run_writes_nothing(app, client, admin):
    response = upload(client, admin, csv_bytes(ROWS), "text/csv", "template=broker_client&dry_run=1")
    assert response.status_code == 200
    assert response.json["summary"]["would_create"] == 2 and response.json["summary"]["invalid"] == 2
    assert count(app) == 0


def test_reimport_is_idempotent(app, client, admin):
    body = csv_bytes([GOOD_1, GOOD_2])
    assert upload(client, admin, body, "text/csv").json["summary"]["created"] == 2
    again = upload(client, admin, body, "text/csv").json
    assert again["summary"]["unchanged"] == 2 and count(app) == 2
    changed = list(GOOD_1)
    changed[HEADERS.index("年龄")] = "46"
    report = upload(client, admin, csv_bytes([changed]), "text/csv").json
    assert report["summary"]["updated"] == 1 and count(app) == 2
    stored = app.extensions["dossier"].dossiers.get(report["rows"][0]["archive_no"])
    assert stored["data"]["age"] == 46 and stored["version"] == 2


def test_system_columns_added_by_hand_are_not_form_data(app, client, admin):
    assert upload(client, admin, csv_bytes([GOOD_1]), "text/csv").json["summary"]["created"] == 1
    body = csv_bytes([[*GOOD_1, "a" * 32, "b" * 64]], [*HEADERS, "fingerprint_salt", "content_hash"])
    report = upload(client, admin, body, "text/csv").json
    assert report["summary"]["unchanged"] == 1, report


def test_archive_number_updates_and_removes_what_the_row_lacks(app, client, admin):
    created = upload(client, admin, csv_bytes([GOOD_1]), "text/csv").json["rows"][0]["archive_no"]
    headers = ["档案编号", "姓名", "年龄"]
    report = upload(client, admin, csv_bytes([[created, "王小明", "50"]], headers), "text/csv").json
    assert report["rows"][0] == {"row": 2, "status": "updated", "archive_no": created}
    stored = app.extensions["dossier"].dossiers.get(created)
    assert stored["data"] == {"name": "王小明", "age": 50}
    assert stored["external_id"] == "EXT-1"


def test_template_column_and_unknown_template(app, client, admin):
    body = csv_bytes([["broker_client", "王"], ["no_such", "李"], ["", "赵"]], ["模板", "姓名"])
    report = upload(client, admin, body, "text/csv", "").json
    assert [r["status"] for r in report["rows"]] == ["created", "invalid", "invalid"]
    assert report["rows"][1]["errors"][0]["field"] == "template"
    assert upload(client, admin, body, "text/csv", "template=nope").status_code == 400


def test_masked_values_are_not_imported_as_new_content(app, client, admin):
    line = {"template": "broker_client", "data": {"name": "王", "account_sz": "***"}}
    report = upload(client, admin, json.dumps(line).encode(), "application/x-ndjson", "").json
    assert report["rows"][0]["status"] == "invalid"
    assert report["rows"][0]["errors"][0]["field"] == "data.account_sz"
    masked = {**line, "masked": True, "data": {"name": "王"}}
    assert upload(client, admin, json.dumps(masked).encode(), "application/x-ndjson", "").json[
        "summary"]["invalid"] == 1
    assert count(app) == 0


def test_jsonl_bad_lines_are_reported_by_line_number(app, client, admin):
    body = b'{"template": "broker_client", "data": {"\xe5\xa7\x93\xe5\x90\x8d": "A"}}\n{not json\n[1]\n'
    report = upload(client, admin, body, "application/x-ndjson", "").json
    assert [(r["row"], r["status"]) for r in report["rows"]] == [(1, "created"), (2, "invalid"), (3, "invalid")]


@pytest.mark.parametrize("body, content_type", [
    (csv_bytes([["EXT-9", "王\x00小明", "45", "", "", "", "", "", "", "", "", ""]]), "text/csv"),
    ('{"template": "broker_client", "data": {"姓名": "王\\u0000小明"}}\n'.encode(), "application/x-ndjson"),
    ('{"template": "broker_client", "data": {"姓名": "王\\ufffe小明"}}\n'.encode(), "application/x-ndjson"),
], ids=["csv-nul", "jsonl-nul", "jsonl-fffe"])
def test_rows_with_forbidden_characters_are_invalid(app, client, admin, body, content_type):
    report = upload(client, admin, body, content_type).json
    assert [r["status"] for r in report["rows"]] == ["invalid"]
    assert count(app) == 0


def test_a_workbook_that_unpacks_too_large_is_refused_unparsed(app, client, admin, monkeypatch):
    from service.bulk import readers
    monkeypatch.setattr(readers, "XLSX_SHARED_STRINGS_LIMIT", 10_000)
    workbook = io.BytesIO(xlsx_bytes([GOOD_1]))
    with zipfile.ZipFile(workbook, "a") as archive:  # 64 KB of strings, packed into a few hundred bytes
        archive.writestr("xl/sharedStrings.xml", "<sst>" + "<si><t>长</t></si>" * 4000 + "</sst>",
                         compress_type=zipfile.ZIP_DEFLATED)
    body = workbook.getvalue()
    response = upload(client, admin, body, XLSX)
    assert response.status_code == 400 and response.json["error"]["code"] == "unreadable_file"
    assert "解压后过大" in response.json["error"]["message"]
    assert count(app) == 0


def test_multipart_upload_and_bad_files(app, client, admin):
    data = {"file": (io.BytesIO(csv_bytes([GOOD_2])), "客户.csv")}
    response = client.post("/api/v1/import?template=broker_client", data=data, headers=admin,
                           content_type="multipart/form-data")
    assert response.status_code == 200 and response.json["summary"]["created"] == 1
    assert upload(client, admin, b"", "text/csv").status_code == 400
    assert upload(client, admin, b"abc", "application/octet-stream").status_code == 415
    unreadable = upload(client, admin, b"not a workbook", XLSX)
    assert unreadable.status_code == 400 and "XLSX" in unreadable.json["error"]["message"]
    gbk = upload(client, admin, "姓名\n王五\n".encode("gbk"), "text/csv")
    assert gbk.status_code == 400 and "UTF-8" in gbk.json["error"]["message"]
    assert count(app) == 1


def test_csv_without_bom_and_keys_headers(app, client, admin):
    body = csv_bytes([["王五", "13800138000"]], ["name", "phone_office"], bom=False)
    assert upload(client, admin, body, "text/csv").json["summary"]["created"] == 1


def test_import_needs_permission(client, auth):
    body = csv_bytes([GOOD_2])
    assert upload(client, auth("viewer"), body, "text/csv").status_code == 403
    assert upload(client, auth("archivist"), body, "text/csv").status_code == 403
    assert upload(client, auth("clerk"), body, "text/csv").status_code == 200


def test_cli_import_keeps_json_and_reads_csv(app, tmp_path, monkeypatch):
    from service import cli

    db = app.extensions["dossier"].repository.db
    monkeypatch.setattr(cli, "open_store", lambda: contextlib.nullcontext(Store(client=None, db=db)))
    runner = CliRunner()
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"template": "broker_client", "data": {"姓名": "甲"}}), encoding="utf-8")
    result = runner.invoke(cli.main, ["import", str(single)])
    assert result.exit_code == 0, result.output
    table = tmp_path / "rows.csv"
    table.write_bytes(csv_bytes(ROWS))
    result = runner.invoke(cli.main, ["import", str(table), "--template", "broker_client", "--dry-run"])
    assert result.exit_code == 1 and "将新建 2" in result.output
    assert app.extensions["dossier"].repository.count({}) == 1
    result = runner.invoke(cli.main, ["import", str(table), "--template", "broker_client"])
    assert result.exit_code == 1 and "新建 2" in result.output and "第 3 条：失败" in result.output
    assert app.extensions["dossier"].repository.count({}) == 3


def test_headers_may_name_group_fields_by_their_bare_labels(app, client, admin):
    body = csv_bytes([["华信超市", "0755-8363 5500", "零售"]], headers=["客户姓名", "电话号码", "所属行业"])
    report = upload(client, admin, body, "text/csv", query="template=standard").json
    assert report["summary"]["created"] == 1, report
    stored = app.extensions["dossier"].dossiers.get(report["rows"][0]["archive_no"])
    assert stored["data"]["contact"] == {"phone": "0755-8363 5500"}
    assert stored["data"]["business"] == {"industry": "零售"} and stored["extra"] == []


def test_cli_import_acts_as_the_operator_in_the_clerk_role(app, tmp_path, monkeypatch):
    from service import cli

    services = app.extensions["dossier"]
    monkeypatch.setattr(cli, "open_store", lambda: contextlib.nullcontext(Store(client=None, db=services.repository.db)))
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"template": "broker_client", "data": {"姓名": "甲"}}), encoding="utf-8")
    result = CliRunner().invoke(cli.main, ["import", str(single)])
    assert result.exit_code == 0, result.output
    entry = services.audit.entries({"action": "dossier.create"})[-1]
    assert (entry["actor"], entry["role"]) == (command_line_actor("clerk").id, "clerk")
    refused = CliRunner().invoke(cli.main, ["import", str(single), "--role", "viewer"])
    assert refused.exit_code != 0 and "没有权限" in refused.output and count(app) == 1


@pytest.mark.parametrize("body, content_type", [
    ('{"template": "standard", "data": {"客户姓名": "a", "客户姓名": "b"}}\n', "application/x-ndjson"),
    ('[{"template": "standard", "data": {"客户姓名": "a", "客户姓名": "b"}}]', "application/json"),
], ids=["json-lines", "json-array"])
def test_a_name_given_twice_in_an_imported_object_is_refused(app, client, admin, body, content_type):
    response = upload(client, admin, body.encode(), content_type, query="")
    assert "重复出现字段名" in response.get_data(as_text=True)
    assert response.status_code in (200, 400) and count(app) == 0


def test_json_lines_that_are_not_utf8_are_unreadable(app, client, admin):
    body = '{"template": "standard", "data": {"客户姓名": "华信"}}\n'.encode("gbk")
    response = upload(client, admin, body, "application/x-ndjson", query="")
    assert response.status_code == 400 and response.json["error"]["code"] == "unreadable_file"
