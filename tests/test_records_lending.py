"""Lending (借阅): request → verify → lend → return through the API and the CLI."""
from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from service import cli
from tests.records_support import MACKAY, cli_store, create

DUE = (dt.date.today() + dt.timedelta(days=14)).isoformat()


def _post(client, path, headers, body=None):
    return client.post(f"/api/v1{path}", json=body or {}, headers=headers)


def test_full_loan_cycle_through_the_api(client, auth, admin):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    clerk, manager, archivist = auth("clerk"), auth("manager"), auth("archivist")
    requested = _post(client, f"/dossiers/{archive_no}/loans", clerk, {"purpose": "核对合同"})
    assert requested.status_code == 201
    loan_no = requested.get_json()["loan_no"]
    assert requested.get_json()["state"] == "requested"
    assert _post(client, f"/loans/{loan_no}/lend", archivist, {"borrower": "李四", "due_date": DUE}).status_code == 409
    assert _post(client, f"/loans/{loan_no}/verify", clerk).status_code == 403
    assert _post(client, f"/loans/{loan_no}/verify", manager).get_json()["state"] == "verified"
    assert _post(client, f"/loans/{loan_no}/lend", manager, {"borrower": "李四", "due_date": DUE}).status_code == 403
    lent = _post(client, f"/loans/{loan_no}/lend", archivist, {"borrower": "李四", "due_date": DUE})
    assert lent.status_code == 200 and lent.get_json()["state_label"] == "借出中"
    view = client.get(f"/api/v1/dossiers/{archive_no}", headers=clerk).get_json()
    assert view["loan"]["borrower"] == "李四" and view["loan"]["due_date"] == DUE
    assert _post(client, f"/dossiers/{archive_no}/loans", clerk, {"purpose": "再借"}).status_code == 409
    returned = _post(client, f"/loans/{loan_no}/return", archivist)
    assert returned.get_json()["state"] == "returned" and returned.get_json()["returned_late"] is False
    assert client.get(f"/api/v1/dossiers/{archive_no}", headers=clerk).get_json()["loan"] is None
    register = client.get(f"/api/v1/dossiers/{archive_no}/loans", headers=archivist).get_json()["loans"]
    assert [h["state"] for h in register[0]["history"]] == ["requested", "verified", "lent", "returned"]
    actions = [e["action"] for e in client.get(f"/api/v1/audit?dossier={archive_no}",
                                                headers=auth("auditor")).get_json()["entries"]]
    assert actions[-4:] == ["loan.request", "loan.verify", "loan.lend", "loan.return"]


def test_refusal_and_bad_input(client, auth, admin):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    clerk, archivist = auth("clerk"), auth("archivist")
    assert _post(client, f"/dossiers/{archive_no}/loans", clerk, {}).status_code == 400
    loan_no = _post(client, f"/dossiers/{archive_no}/loans", clerk, {"purpose": "审计"}).get_json()["loan_no"]
    assert _post(client, f"/loans/{loan_no}/refuse", archivist, {}).status_code == 400
    refused = _post(client, f"/loans/{loan_no}/refuse", archivist, {"reason": "用途不符"})
    assert refused.get_json()["state_label"] == "已拒绝"
    assert _post(client, f"/loans/{loan_no}/verify", archivist).status_code == 409
    assert _post(client, f"/loans/{loan_no}/explode", archivist).status_code == 404
    assert client.get("/api/v1/loans/JY-2000-000009", headers=archivist).status_code == 404
    assert _post(client, "/dossiers/KH-2000-000001/loans", clerk, {"purpose": "x"}).status_code == 404


def test_overdue_loans_are_listed(app, client, auth, admin):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    clerk, archivist = auth("clerk"), auth("archivist")
    loan_no = _post(client, f"/dossiers/{archive_no}/loans", clerk, {"purpose": "核对"}).get_json()["loan_no"]
    _post(client, f"/loans/{loan_no}/verify", archivist)
    _post(client, f"/loans/{loan_no}/lend", archivist, {"borrower": "李四", "due_date": DUE})
    loans = app.extensions["dossier"].records.loans
    loans.clock = lambda: dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=30)
    overdue = client.get("/api/v1/loans?overdue=1", headers=archivist).get_json()["loans"]
    assert [(loan["loan_no"], loan["state_label"]) for loan in overdue] == [(loan_no, "已逾期")]
    assert _post(client, f"/loans/{loan_no}/return", archivist).get_json()["returned_late"] is True


def test_full_loan_cycle_through_the_cli(app, client, admin, monkeypatch):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    monkeypatch.setattr(cli, "open_store", cli_store(app))
    runner = CliRunner()
    requested = runner.invoke(cli.main, ["loans", "request", archive_no, "--purpose", "核对"])
    assert requested.exit_code == 0, requested.output
    loan_no = requested.output.split()[0]
    for args in (["verify"], ["lend", "--borrower", "王五", "--due", DUE], ["return"]):
        result = runner.invoke(cli.main, ["loans", "step", loan_no, *args])
        assert result.exit_code == 0, result.output
    listed = runner.invoke(cli.main, ["loans", "list", "--dossier", archive_no]).output
    assert listed.startswith("借阅编号") and "已归还" in listed
    assert runner.invoke(cli.main, ["loans", "list", "--overdue"]).output.strip() == "没有借阅记录"
    refused = runner.invoke(cli.main, ["loans", "step", loan_no, "lend", "--role", "clerk"])
    assert refused.exit_code != 0 and "没有权限" in refused.output


def test_loan_bodies_refuse_unknown_fields_and_far_due_dates(app, client, auth, admin):
    archive_no = create(client, admin, MACKAY)["archive_no"]
    clerk, archivist = auth("clerk"), auth("archivist")
    unknown = _post(client, f"/dossiers/{archive_no}/loans", clerk, {"purpose": "核对", "$a": 1})
    assert unknown.status_code == 400 and unknown.get_json()["error"]["code"] == "unknown_field"
    loan_no = _post(client, f"/dossiers/{archive_no}/loans", clerk, {"purpose": "核对"}).get_json()["loan_no"]
    assert _post(client, f"/loans/{loan_no}/verify", archivist, {"note": "x"}).status_code == 400
    assert _post(client, f"/loans/{loan_no}/verify", archivist).status_code == 200
    far = _post(client, f"/loans/{loan_no}/lend", archivist, {"borrower": "李四", "due_date": "9999-12-31"})
    assert far.status_code == 400 and "借阅期限最长" in far.get_json()["error"]["message"]
    assert app.extensions["dossier"].records.loans.view(loan_no)["state"] == "verified"
    for path, body in ((f"/dossiers/{archive_no}/retention", {"years": 5, "$x": 1}),
                       (f"/dossiers/{archive_no}/hold", {"reason": "诉讼", "until": "2030"})):
        assert client.put(f"/api/v1{path}", json=body, headers=archivist).status_code == 400
