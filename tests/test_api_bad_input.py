"""DESIGN §5a: every bad input gets a clear 4xx in the one error shape and changes nothing.

Each case asserts the status, the shape {"error": {"code", "message", "fields"}}, that the
message is Chinese, and that the stored dossiers, their versions and the archive-number
counters are exactly as before. A 5xx anywhere is a bug.
"""
from __future__ import annotations

import copy
import json
import re
import subprocess
from urllib.parse import quote, urlencode

import pytest
from marshmallow import ValidationError

from schemas.fields import IdCard, id_card_check_digit
from schemas.model import Field

from .conftest import SHARED, load_sample

DOSSIERS = "/api/v1/dossiers"
CJK = re.compile(r"[\u4e00-\u9fff]")
BROKER = SHARED / "samples" / "broker_client-zhao.json"
MACKAY = SHARED / "samples" / "mackay66-wang.json"
STANDARD = SHARED / "samples" / "standard-huaxin.json"


# -- helpers -------------------------------------------------------------------

def assert_error(response, status: int) -> dict:
    """The one error shape, with a Chinese message; returns the error object."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and CJK.search(error["message"]), error["message"]
    assert isinstance(error["fields"], dict)
    for path, messages in error["fields"].items():
        assert isinstance(path, str)
        assert isinstance(messages, list) and all(isinstance(m, str) for m in messages)
    return error


def all_messages(error: dict) -> str:
    return error["message"] + " " + " ".join(m for ms in error["fields"].values() for m in ms)


@pytest.fixture
def state(app):
    """state() → everything a failed request must leave untouched."""
    db = app.extensions["dossier"].repository.db

    def snapshot():
        found = {name: sorted(db[name].find({}), key=lambda d: str(d["_id"]))
                 for name in ("dossiers", "dossier_versions", "counters")}
        # archive-number counters only: reads and refusals may be audited (records/), that is not a change
        found["counters"] = [c for c in found["counters"] if str(c["_id"]).startswith("archive_no")]
        return found
    return snapshot


@pytest.fixture
def stored(client, admin):
    """One stored dossier (the broker_client sample): (archive_no, etag)."""
    response = client.post(DOSSIERS, json=load_sample(BROKER), headers=admin)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["archive_no"], response.headers["ETag"]


def post_json(client, headers, body, **kwargs):
    return client.post(DOSSIERS, json=body, headers=headers, **kwargs)


def post_raw(client, headers, data: bytes, content_type="application/json"):
    return client.post(DOSSIERS, data=data, content_type=content_type, headers=headers)


def broker(**data):
    """A minimal valid broker_client dossier plus ``data``."""
    return {"template": "broker_client", "data": {"姓名": "测试客户", **data}}


# -- malformed JSON ------------------------------------------------------------

@pytest.mark.parametrize("raw", [
    b'{"template": ',
    b"{template: 'broker_client'}",
    b'{"template": "broker_client",}',
    b'{"a": 1}}',
    b'[1, 2',
    b'NaN',
    b'{"template": "broker_client", "data": {"\xe5\xb9\xb4\xe9\xbe\x84": Infinity}}',
    b'\xef\xbb\xbf{"template": "broker_client"',
    b'   ',
], ids=["truncated", "single-quotes", "trailing-comma", "extra-brace", "open-array", "nan", "infinity",
        "bom-truncated", "blank"])
def test_malformed_json_is_400(client, admin, state, raw):
    before = state()
    assert_error(post_raw(client, admin, raw), 400)
    assert state() == before


def test_malformed_json_patch_is_400(client, admin, state, stored):
    archive_no, etag = stored
    before = state()
    response = client.patch(f"{DOSSIERS}/{archive_no}", data=b'{"data": {', content_type="application/json",
                            headers={**admin, "If-Match": etag})
    assert_error(response, 400)
    assert state() == before


# -- wrong types ---------------------------------------------------------------

WRONG_TYPES = [
    # (id, body, a field path that must be reported)
    ("string-for-integer", broker(年龄="五十二"), "data.age"),
    ("boolean-for-integer", broker(年龄=True), "data.age"),
    ("list-for-integer", broker(年龄=[52]), "data.age"),
    ("object-for-integer", broker(年龄={"value": 52}), "data.age"),
    ("float-for-integer", broker(年龄=52.5), "data.age"),
    ("object-for-text", broker(学历={"a": 1}), "data.education"),
    ("list-for-text", broker(学历=["本科"]), "data.education"),
    ("boolean-for-percent", broker(投资组合={"股票(%)": False}), "data.portfolio.stocks"),
    ("string-for-percent", broker(投资组合={"股票(%)": "很多"}), "data.portfolio.stocks"),
    ("list-for-group", broker(投资组合=[40, 60]), "data.portfolio"),
    ("string-for-group", broker(操盘人资料="孙浩"), "data.trader"),
    ("object-for-table", {"template": "standard", "data": {"客户姓名": "x", "客户交流记录": {"交流内容": "x"}}},
     "data.communications"),
    ("strings-for-rows", {"template": "standard", "data": {"客户姓名": "x", "客户交流记录": ["x", "y"]}},
     "data.communications"),
    ("object-for-date", {"template": "standard", "data": {"客户姓名": "x", "合同信息": [{"签订日期": {"y": 2026}}]}},
     "data.contracts[0].signed_on"),
    ("number-for-date", {"template": "standard", "data": {"客户姓名": "x", "合同信息": [{"签订日期": 20260101}]}},
     "data.contracts[0].signed_on"),
    ("list-for-classification", {**broker(), "classification": ["上海"]}, "classification"),
    ("string-for-classification", {**broker(), "classification": "上海"}, "classification"),
    ("object-for-region", {**broker(), "classification": {"region": {"name": "上海"}}}, "classification.region"),
    ("string-for-retention-years", {**broker(), "retention": {"years": "十年"}}, "retention.years"),
    ("list-for-retention", {**broker(), "retention": [10]}, "retention"),
    ("string-for-consent", {**broker(), "consent": "同意"}, "consent"),
    ("string-for-consent-given", {**broker(), "consent": {"given": "也许"}}, "consent.given"),
    ("string-for-consent-scope", {**broker(), "consent": {"given": True, "scope": "内部服务"}}, "consent.scope"),
    ("number-for-confidentiality", {**broker(), "confidentiality": 5}, "confidentiality"),
    ("unknown-confidentiality", {**broker(), "confidentiality": "top-secret"}, "confidentiality"),
    ("number-for-template", {"template": 5, "data": {"姓名": "x"}}, "template"),
    ("list-for-template", {"template": ["broker_client"], "data": {"姓名": "x"}}, "template"),
    ("list-for-data", {"template": "broker_client", "data": [{"姓名": "x"}]}, "data"),
    ("string-for-data", {"template": "broker_client", "data": "姓名=x"}, "data"),
    ("null-data", {"template": "broker_client", "data": None}, "data"),
    ("scalar-for-section", broker(基本资料="赵丽华"), "data.基本资料"),
    ("list-for-section", broker(投资概况=["1998年"]), "data.投资概况"),
    ("integer-beyond-64-bit", broker(年龄=10**30), "data.age"),
    ("integer-2**63", broker(年龄=2**63), "data.age"),
    ("huge-numeric-string", broker(年龄="9" * 30), "data.age"),
    ("huge-number-in-number-field", {"template": "broker_weekly_review", "data": {
        "年": 2026, "月": 1, "第几周": 1, "姓名": "x", "检讨项目": [{"项目": "新开户数(户)", "上周目标": 2**63}]}},
     "data.review[0].last_week_target"),
    ("huge-integer-in-extra", broker(微信号={"n": 2**63}), "data.微信号"),
    ("negative-age", broker(年龄=-5), "data.age"),
    ("month-zero", {"template": "broker_weekly_review", "data": {"年": 2026, "月": 0, "第几周": 1, "姓名": "x"}},
     "data.month"),
    ("year-99999999", {"template": "broker_weekly_review", "data": {"年": 99999999, "月": 1, "第几周": 1, "姓名": "x"}},
     "data.year"),
    ("very-long-extra-value", broker(备注二="长" * 600_000), "extra"),
    ("too-many-extra-fields", broker(**{f"附加{i}": "x" for i in range(101)}), "extra"),
    ("very-long-extra-names", broker(**{f"附加{i}" + "名" * 3000: "x" for i in range(20)}), "extra"),
    ("huge-money", {"template": "standard", "data": {"客户姓名": "x", "合同信息": [{"合同金额": "9" * 5000}]}},
     "data.contracts[0].amount"),
]


@pytest.mark.parametrize("body,path", [c[1:] for c in WRONG_TYPES], ids=[c[0] for c in WRONG_TYPES])
def test_wrong_types_are_400_naming_the_field(client, admin, state, body, path):
    before = state()
    error = assert_error(post_json(client, admin, body), 400)
    assert any(key == path or key.startswith(path + ".") for key in error["fields"]), error["fields"]
    assert all(CJK.search(m) for m in error["fields"][next(k for k in error["fields"] if k.startswith(path))])
    assert state() == before


@pytest.mark.parametrize("body", [[], "x", 0, None, True, [{"template": "broker_client"}]],
                         ids=["list", "string", "number", "null", "boolean", "list-of-envelope"])
def test_non_object_body_is_400(client, admin, state, body):
    before = state()
    response = post_raw(client, admin, json.dumps(body).encode())
    error = assert_error(response, 400)
    assert "_body" in error["fields"]
    assert state() == before


# -- unknown template ----------------------------------------------------------

@pytest.mark.parametrize("name", ["nope", "证券经纪人大客户档案", "Broker_Client", "broker_client ", "../mackay66", ""])
def test_unknown_template_is_400(client, admin, state, name):
    before = state()
    error = assert_error(post_json(client, admin, {"template": name, "data": {"姓名": "x"}}), 400)
    assert "template" in error["fields"]
    assert state() == before


def test_missing_template_is_400(client, admin, state):
    before = state()
    error = assert_error(post_json(client, admin, {"data": {"姓名": "x"}}), 400)
    assert "template" in error["fields"]
    assert state() == before


def test_unknown_template_definition_is_404(client, admin):
    assert_error(client.get("/api/v1/templates/nope", headers=admin), 404)


# -- $-prefixed and dotted keys ---------------------------------------------------

DOLLAR_BODIES = [
    ("top-level", {**broker(), "$where": "sleep(1000)"}),
    ("top-level-operator", {**broker(), "$set": {"status": "destroyed"}}),
    ("in-data", broker(**{"$where": "1"})),
    ("in-data-operator-value", broker(**{"$set": {"data.name": "x"}})),
    ("in-group", broker(投资组合={"$gt": 1})),
    ("in-group-by-label", broker(操盘人资料={"姓名": "孙浩", "$inc": {"age": 1}})),
    ("in-section-container", broker(基本资料={"学历": "本科", "$ne": "x"})),
    ("in-table-row", {"template": "standard", "data": {"客户姓名": "x", "客户交流记录": [{"交流内容": "a", "$x": 1}]}}),
    ("in-nested-table-row", {"template": "broker_visit_report", "data": {
        "证券经纪人": "周敏", "起始日期": "2026-11-16", "截止日期": "2026-11-20",
        "拜访记录": [{"日期": "2026-11-16", "客户名称": [{"公司": "x", "$where": "1"}]}]}}),
    ("inside-extra-value", broker(微信={"$ne": None})),
    ("deep-inside-extra-value", broker(微信={"a": {"b": {"$gt": ""}}})),
    ("inside-extra-list", broker(备注列表=[{"ok": 1}, {"$where": "1"}])),
    ("in-classification", {**broker(), "classification": {"$ne": ""}}),
    ("in-consent", {**broker(), "consent": {"given": True, "$set": 1}}),
]


@pytest.mark.parametrize("body", [b for _, b in DOLLAR_BODIES], ids=[i for i, _ in DOLLAR_BODIES])
def test_dollar_keys_are_400(client, admin, state, body):
    before = state()
    error = assert_error(post_json(client, admin, body), 400)
    assert "$" in json.dumps(error["fields"], ensure_ascii=False)  # the offending key is named
    assert state() == before


def test_dollar_key_in_form_is_400(client, admin, state):
    before = state()
    body = urlencode([("template", "broker_client"), ("姓名", "x"), ("$where", "1")])
    assert_error(post_raw(client, admin, body.encode(), "application/x-www-form-urlencoded"), 400)
    body = urlencode([("template", "broker_client"), ("姓名", "x"), ("data.$where", "1")])
    assert_error(post_raw(client, admin, body.encode(), "application/x-www-form-urlencoded"), 400)
    assert state() == before


def test_dollar_key_in_patch_is_400(client, admin, state, stored):
    archive_no, etag = stored
    before = state()
    for body in ({"data": {"$set": {"name": "x"}}}, {"data": {"投资组合": {"$inc": {"stocks": 1}}}},
                 {"$set": {"version": 99}}, {"data": {"微信": {"$ne": 1}}}):
        response = client.patch(f"{DOSSIERS}/{archive_no}", json=body, headers={**admin, "If-Match": etag})
        assert_error(response, 400)
    assert state() == before


@pytest.mark.parametrize("raw", [
    '{"template": "broker_client", "template": "mackay66", "data": {"姓名": "A"}}',
    '{"template": "standard", "data": {"客户姓名": "A", "客户姓名": "B"}}',
    '{"template": "standard", "data": {"客户姓名": "A", "客户交流记录": [{"交流内容": "a", "交流内容": "b"}]}}',
], ids=["envelope", "data", "table-row"])
def test_a_name_given_twice_in_one_object_is_400(client, admin, state, raw):
    before = state()
    error = assert_error(post_raw(client, admin, raw.encode(), "application/json"), 400)
    assert error["code"] == "duplicate_name" and "重复" in error["message"]
    assert state() == before


@pytest.mark.parametrize("data", [{"投资组合": None, "股票(%)": None}, {"投资组合": None, "投资组合.股票(%)": 30}],
                         ids=["removed-twice", "removed-then-set"])
def test_a_group_removed_whole_and_named_inside_in_one_patch_is_400(client, admin, state, stored, data):
    archive_no, etag = stored
    before = state()
    error = assert_error(client.patch(f"{DOSSIERS}/{archive_no}", json={"data": data},
                                      headers={**admin, "If-Match": etag}), 400)
    assert "data.portfolio.stocks" in error["fields"]
    assert state() == before


def test_unknown_fields_patched_in_one_by_one_stay_bounded(client, admin, state, stored):
    archive_no, etag = stored
    first = client.patch(f"{DOSSIERS}/{archive_no}", json={"data": {f"附加{i}": "x" for i in range(60)}},
                         headers={**admin, "If-Match": etag})
    assert first.status_code == 200, first.get_json()
    before = state()
    second = client.patch(f"{DOSSIERS}/{archive_no}", json={"data": {f"另附{i}": "x" for i in range(60)}},
                          headers={**admin, "If-Match": first.headers["ETag"]})
    assert "extra" in assert_error(second, 400)["fields"]
    assert state() == before


DOTTED = [
    ("unknown-dotted", broker(**{"foo.bar": "x"})),
    ("unknown-field-of-known-section", broker(**{"基本资料.不存在": "x"})),
    ("field-of-another-section", broker(**{"投资概况.姓名": "x"})),
    ("wrong-item-number", {"template": "mackay66", "data": {"1.姓名": "王", "99.姓名": "x"}}),
    ("wrong-item-number-for-label", {"template": "mackay66", "data": {"1.姓名": "王", "5.公司名称": "x"}}),
    ("ascii-path-unknown", broker(**{"trader.nickname": "x"})),
    ("dotted-inside-extra", broker(微信={"a.b": 1})),
    ("dots-only", broker(**{"..": "x"})),
]


@pytest.mark.parametrize("body", [b for _, b in DOTTED], ids=[i for i, _ in DOTTED])
def test_dotted_keys_that_are_not_a_qualification_are_400(client, admin, state, body):
    before = state()
    error = assert_error(post_json(client, admin, body), 400)
    assert "." in " ".join(error["fields"])
    assert state() == before


def test_dotted_qualifications_are_accepted(client, admin):
    """Control for the above: a known qualification resolves onto the key."""
    response = post_json(client, admin, broker(**{"基本资料.学历": "硕士", "投资组合.股票(%)": 30}))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["education"] == "硕士" and data["portfolio"] == {"stocks": 30}


# -- query-operator injection in list filters -------------------------------------

@pytest.mark.parametrize("query", [
    "region[$ne]=x", "region%5B%24ne%5D=x", "status[$gt]=", "q[$regex]=.*", "$where=1",
    "template[$in]=broker_client", "classification.region=上海", "foo=bar",
])
@pytest.mark.parametrize("route", [DOSSIERS, "/api/v1/export?format=jsonl&", "/api/v1/audit", "/api/v1/loans"])
def test_operator_shaped_filter_names_are_400(client, admin, auth, stored, query, route):
    """Unknown names (a typo, an operator) never widen a listing or an export to everything."""
    headers = auth("archivist") if route == "/api/v1/loans" else admin
    joiner = "" if route.endswith("&") else "?"
    error = assert_error(client.get(f"{route}{joiner}{query}", headers=headers), 400)
    assert error["fields"]


@pytest.mark.parametrize("query", [
    "region=" + quote('{"$ne":""}'), "region=" + quote('{"$ne": null}'), "template=" + quote('{"$exists":true}'),
    "level=" + quote("[VIP]"),
])
def test_operator_shaped_filter_values_are_literal(client, admin, stored, query):
    response = client.get(f"{DOSSIERS}?{query}", headers=admin)
    assert response.status_code == 200
    assert response.get_json()["items"] == []  # an operator would have matched the stored dossier


@pytest.mark.parametrize("q", [".*", ".", "^", "赵.*", "(", "[", "\\", "a{1,100000}", "*"])
def test_q_is_literal_not_a_regex(client, admin, stored, q):
    response = client.get(f"{DOSSIERS}?q={quote(q)}", headers=admin)
    assert response.status_code == 200
    assert response.get_json()["items"] == []  # the dossier's name (赵丽华) contains none of these


def test_q_control_finds_the_name(client, admin, stored):
    items = client.get(f"{DOSSIERS}?q={quote('丽华')}", headers=admin).get_json()["items"]
    assert [i["archive_no"] for i in items] == [stored[0]]
    items = client.get(f"{DOSSIERS}?region={quote('上海')}", headers=admin).get_json()["items"]
    assert [i["archive_no"] for i in items] == [stored[0]]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=-1", "limit=abc", "limit=1e3",
                                   "cursor=zzz", "cursor=", "cursor=KH-2026-00000x",
                                   "updated_since=yesterday", "completeness_lt=abc", "completeness_lt=nan",
                                   "status=bogus", "status=" + quote('{"$in":["active"]}'),
                                   "template=mackay66&template=standard"])
def test_bad_list_parameters_are_400(client, admin, query):
    assert_error(client.get(f"{DOSSIERS}?{query}", headers=admin), 400)


@pytest.mark.parametrize("url", ["/api/v1/loans?overdue=abc", "/api/v1/retention/due?anything=1",
                                 "/api/v1/export?format=jsonl&format=csv"])
def test_bad_records_and_export_parameters_are_400(client, auth, url):
    assert_error(client.get(url, headers=auth("archivist")), 400)


# -- oversized bodies --------------------------------------------------------------

def test_oversized_json_is_413(app, client, admin, state):
    limit = app.config["MAX_CONTENT_LENGTH"]
    body = b'{"template": "broker_client", "data": {"\xe5\xa7\x93\xe5\x90\x8d": "' + b"x" * limit + b'"}}'
    before = state()
    assert_error(post_raw(client, admin, body), 413)
    assert state() == before


def chunked(client, url, headers, body: bytes):
    """A request without Content-Length (Transfer-Encoding: chunked), as gunicorn hands it on:
    the test client always sets a length, so the WSGI environ is made by hand."""
    import io

    from werkzeug.test import EnvironBuilder, run_wsgi_app
    from werkzeug.wrappers import Response
    environ = EnvironBuilder(path=url, method="POST", content_type="application/json",
                             headers={**headers, "Transfer-Encoding": "chunked"}).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"wsgi.input": io.BytesIO(body), "wsgi.input_terminated": True})
    app_iter, status, response_headers = run_wsgi_app(client.application, environ, buffered=True)
    return Response(app_iter, status, response_headers)


def test_chunked_bodies_are_sized_like_any_other(app, client, admin, auth, state, stored):
    limit = app.config["MAX_CONTENT_LENGTH"]
    before = state()
    too_big = b'{"template": "broker_client", "data": {"\xe5\xa7\x93\xe5\x90\x8d": "' + b"x" * limit + b'"}}'
    assert_error(chunked(client, DOSSIERS, admin, too_big), 413)  # not cut at the limit into bad JSON
    assert state() == before
    small = json.dumps(load_sample(BROKER), ensure_ascii=False).encode()
    assert chunked(client, DOSSIERS, admin, small).status_code == 201
    loan = client.post(f"{DOSSIERS}/{stored[0]}/loans", json={"purpose": "核对"}, headers=auth("clerk")).get_json()
    refused = chunked(client, f"/api/v1/loans/{loan['loan_no']}/refuse", auth("archivist"), b'{"reason": "\xe4\xb8\x8d\xe5\xbf\x85"}')
    assert refused.status_code == 200 and refused.get_json()["state"] == "refused"  # the body was read


def test_oversized_form_is_413(app, client, admin, state):
    limit = app.config["MAX_CONTENT_LENGTH"]
    before = state()
    body = b"template=broker_client&name=" + b"x" * limit
    assert_error(post_raw(client, admin, body, "application/x-www-form-urlencoded"), 413)
    assert state() == before


def test_oversized_patch_is_413(app, client, admin, state, stored):
    archive_no, etag = stored
    limit = app.config["MAX_CONTENT_LENGTH"]
    before = state()
    response = client.patch(f"{DOSSIERS}/{archive_no}", data=b'{"data": {"x": "' + b"y" * limit + b'"}}',
                            content_type="application/json", headers={**admin, "If-Match": etag})
    assert_error(response, 413)
    assert state() == before


# -- very deep nesting -----------------------------------------------------------------

def _nested_arrays(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def _nested_objects(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


@pytest.mark.parametrize("depth", [100, 5000])
@pytest.mark.parametrize("shape", ["arrays", "objects", "in-data", "in-extra"])
def test_deep_nesting_is_400(client, admin, state, depth, shape):
    inner = _nested_arrays(depth) if shape == "arrays" else _nested_objects(depth)
    if shape == "in-data":
        raw = b'{"template": "broker_client", "data": ' + _nested_objects(depth) + b"}"
    elif shape == "in-extra":
        raw = b'{"template": "broker_client", "data": {"\xe5\xa7\x93\xe5\x90\x8d": "x", "w": ' + inner + b"}}"
    else:
        raw = inner
    before = state()
    assert_error(post_raw(client, admin, raw), 400)
    assert state() == before


@pytest.mark.parametrize("depth", [100, 5000])
def test_deep_nesting_in_patch_is_400(client, admin, state, stored, depth):
    archive_no, etag = stored
    before = state()
    raw = b'{"data": {"w": ' + _nested_objects(depth) + b"}}"
    response = client.patch(f"{DOSSIERS}/{archive_no}", data=raw, content_type="application/json",
                            headers={**admin, "If-Match": etag})
    assert_error(response, 400)
    assert state() == before


def test_moderate_extra_nesting_is_kept(client, admin):
    """Control: a few levels of an unknown field are fine and kept as given."""
    value = {"a": {"b": [{"c": 1}]}}
    response = post_json(client, admin, broker(附加信息=value))
    assert response.status_code == 201
    assert response.get_json()["extra"] == [{"path": "data", "name": "附加信息", "value": value}]


# -- invalid UTF-8 ---------------------------------------------------------------------

@pytest.mark.parametrize("raw,content_type", [
    (b'{"template": "broker_client", "data": {"\xe5\xa7\x93\xe5\x90\x8d": "\xff\xfe"}}', "application/json"),
    (b'{"template": "broker_client", "data": {"\xc3\x28": "x"}}', "application/json"),
    (b'{"template": "broker_client", "data": {"\xe5\xa7": "x"}}', "application/json"),  # truncated sequence
    (b"template=broker_client&name=%FF%FE", "application/x-www-form-urlencoded"),
    (b"template=broker_client&%C3%28=x", "application/x-www-form-urlencoded"),
    (b"template=broker_client&name=\xff", "application/x-www-form-urlencoded"),
    (b'--B\r\nContent-Disposition: form-data; name="template"\r\n\r\nbroker_client\r\n'
     b'--B\r\nContent-Disposition: form-data; name="name"\r\n\r\n\xff\xfe\r\n--B--\r\n',
     "multipart/form-data; boundary=B"),
], ids=["json-value", "json-key", "json-truncated", "form-percent", "form-key", "form-raw-byte", "multipart"])
def test_invalid_utf8_is_400(client, admin, state, raw, content_type):
    before = state()
    error = assert_error(post_raw(client, admin, raw, content_type), 400)
    assert "UTF-8" in error["message"]
    assert state() == before


def test_raw_utf8_form_body_is_accepted(client, admin):
    """Control: curl -d '姓名=张三' sends raw (valid) UTF-8 bytes, not percent escapes."""
    response = post_raw(client, admin, "template=broker_client&姓名=张三".encode(), "application/x-www-form-urlencoded")
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["name"] == "张三"


# -- NUL bytes ----------------------------------------------------------------------------

@pytest.mark.parametrize("raw,content_type", [
    (b'{"template": "broker_client", "data": {"\xe5\xa7\x93\xe5\x90\x8d": "a\\u0000b"}}', "application/json"),
    (b'{"template": "broker_client", "data": {"\xe5\xa7\x93\\u0000\xe5\x90\x8d": "ab"}}', "application/json"),
    (b'{"template": "broker_client", "data": {"\xe5\xa7\x93\xe5\x90\x8d": "x", "w": {"k\\u0000": 1}}}',
     "application/json"),
    (b'{"template": "broker_client\\u0000", "data": {}}', "application/json"),
    (b"template=broker_client&name=a%00b", "application/x-www-form-urlencoded"),
    (b"template=broker_client&na%00me=ab", "application/x-www-form-urlencoded"),
    (b'--B\r\nContent-Disposition: form-data; name="template"\r\n\r\nbroker_client\r\n'
     b'--B\r\nContent-Disposition: form-data; name="name"\r\n\r\na\x00b\r\n--B--\r\n',
     "multipart/form-data; boundary=B"),
], ids=["json-value", "json-key", "json-extra-key", "json-template", "form-value", "form-key", "multipart-value"])
def test_nul_bytes_are_400(client, admin, state, raw, content_type):
    before = state()
    assert_error(post_raw(client, admin, raw, content_type), 400)
    assert state() == before


@pytest.mark.parametrize("char", ["\x07", "\x1b", "\ufffe", "\uffff"], ids=["bell", "escape", "fffe", "ffff"])
def test_characters_xml_forbids_are_400_on_every_write(client, admin, state, stored, char):
    """They would make the XLSX export unreadable: refused on create, update and entries alike."""
    archive_no, etag = stored
    before = state()
    sample = load_sample(STANDARD)
    sample["data"]["客户姓名"] = f"华信{char}超市"
    assert_error(client.post(DOSSIERS, json=sample, headers=admin), 400)
    patched = client.patch(f"{DOSSIERS}/{archive_no}", json={"data": {"学历": f"硕{char}士"}},
                           headers={**admin, "If-Match": etag})
    assert "data.学历" in assert_error(patched, 400)["fields"]
    assert state() == before


def test_forbidden_characters_in_an_appended_entry_are_400(client, admin, state):
    created = client.post(DOSSIERS, json=load_sample(STANDARD), headers=admin)
    archive_no, etag = created.get_json()["archive_no"], created.headers["ETag"]
    before = state()
    row = {"日期和时间": "2026-12-01 10:00", "交流方式": "电话", "交流内容": "确认\x00订单"}
    error = assert_error(client.post(f"{DOSSIERS}/{archive_no}/entries/communications", json=row,
                                     headers={**admin, "If-Match": etag}), 400)
    assert any("空字符" in m for ms in error["fields"].values() for m in ms)
    assert state() == before


# -- If-Match ---------------------------------------------------------------------------------

def test_stale_if_match_is_412_and_changes_nothing(client, admin, state, stored):
    archive_no, etag = stored
    first = client.patch(f"{DOSSIERS}/{archive_no}", json={"data": {"学历": "硕士"}}, headers={**admin, "If-Match": etag})
    assert first.status_code == 200
    before = state()
    stored_before = client.get(f"{DOSSIERS}/{archive_no}", headers=admin).get_json()
    second = client.patch(f"{DOSSIERS}/{archive_no}", json={"data": {"学历": "博士"}}, headers={**admin, "If-Match": etag})
    error = assert_error(second, 412)
    assert second.headers["ETag"] == first.headers["ETag"]  # tells the clerk the current version
    assert state() == before
    after = client.get(f"{DOSSIERS}/{archive_no}", headers=admin).get_json()
    assert after == stored_before and after["version"] == 2 and after["data"]["education"] == "硕士"
    assert error["code"]


def test_missing_if_match_is_428(client, admin, state, stored):
    archive_no, _ = stored
    before = state()
    assert_error(client.patch(f"{DOSSIERS}/{archive_no}", json={"data": {"学历": "x"}}, headers=admin), 428)
    assert_error(client.post(f"{DOSSIERS}/{archive_no}/entries/x", json={"a": 1}, headers=admin), 428)
    assert state() == before


@pytest.mark.parametrize("header", ["garbage", "*", '"KH-2026-000001"', "v1", '"KH-2026-00001-v1"', "W/", '""',
                                    "\u738b", '"KH-2026-000001-vX"', 'W/"KH-2026-000001-v1"'])
def test_malformed_if_match_is_412(client, admin, state, stored, header):
    archive_no, _ = stored
    before = state()
    response = client.patch(f"{DOSSIERS}/{archive_no}", json={"data": {"学历": "x"}},
                            headers={**admin, "If-Match": header.encode("utf-8").decode("latin-1")})
    assert_error(response, 412)
    assert state() == before


def test_if_match_of_another_dossier_is_412(client, admin, state, stored):
    archive_no, _ = stored
    other = post_json(client, admin, broker())
    assert other.status_code == 201
    before = state()
    response = client.patch(f"{DOSSIERS}/{archive_no}", json={"data": {"学历": "x"}},
                            headers={**admin, "If-Match": other.headers["ETag"]})
    assert_error(response, 412)
    assert state() == before


def test_stale_if_match_on_entries_is_412(client, admin, state):
    response = post_json(client, admin, load_sample(STANDARD))
    archive_no, etag = response.get_json()["archive_no"], response.headers["ETag"]
    row = {"交流方式": "电话", "交流内容": "第一次"}
    assert client.post(f"{DOSSIERS}/{archive_no}/entries/communications", json=row,
                       headers={**admin, "If-Match": etag}).status_code == 201
    before = state()
    response = client.post(f"{DOSSIERS}/{archive_no}/entries/communications", json={"交流内容": "第二次"},
                           headers={**admin, "If-Match": etag})
    assert_error(response, 412)
    assert state() == before


# -- unknown archive numbers --------------------------------------------------------------------

UNKNOWN = "KH-2026-999999"


@pytest.mark.parametrize("path", ["", "/versions", "/versions/1", "/pdf", "/pdf?version=1", "/entries/communications"])
def test_unknown_archive_number_is_404_on_get(client, admin, stored, path):
    assert_error(client.get(f"{DOSSIERS}/{UNKNOWN}{path}", headers=admin), 404)


@pytest.mark.parametrize("path", ["/versions/0", "/versions/99", "/pdf?version=0", "/pdf?version=99"])
def test_unknown_version_is_404(client, admin, stored, path):
    archive_no, _ = stored
    assert_error(client.get(f"{DOSSIERS}/{archive_no}{path}", headers=admin), 404)


@pytest.mark.parametrize("version", ["-1", "abc", "1.5", ""])
def test_malformed_version_parameter_is_400(client, admin, stored, version):
    archive_no, _ = stored
    assert_error(client.get(f"{DOSSIERS}/{archive_no}/pdf?version={version}", headers=admin), 400)


def test_unknown_archive_number_is_404_on_patch(client, admin, state, stored):
    before = state()
    response = client.patch(f"{DOSSIERS}/{UNKNOWN}", json={"data": {"学历": "x"}},
                            headers={**admin, "If-Match": f'"{UNKNOWN}-v1"'})
    assert_error(response, 404)
    response = client.post(f"{DOSSIERS}/{UNKNOWN}/entries/communications", json={"交流内容": "x"},
                           headers={**admin, "If-Match": f'"{UNKNOWN}-v1"'})
    assert_error(response, 404)
    assert state() == before


@pytest.mark.parametrize("archive_no", ["nope", "KH-2026-1", "%00", "..", "KH-2026-000001%20", "%24ne"])
def test_garbage_archive_numbers_are_404(client, admin, stored, archive_no):
    assert_error(client.get(f"{DOSSIERS}/{archive_no}", headers=admin), 404)


# -- HTML/script in text fields -------------------------------------------------------------------

SCRIPT = "<script>alert('x')</script>"
MARKUP = '<b>粗体</b> & <img src="http://example.invalid/x.png"> &amp; &lt;'


def test_html_is_stored_returned_and_printed_as_text(client, admin, tmp_path):
    body = broker(**{"学历": SCRIPT, "地址": MARKUP})
    body["data"]["姓名"] = "<i>钱</i>"
    response = post_json(client, admin, body)
    assert response.status_code == 201
    archive_no = response.get_json()["archive_no"]
    data = client.get(f"{DOSSIERS}/{archive_no}", headers=admin).get_json()["data"]
    assert (data["education"], data["address"], data["name"]) == (SCRIPT, MARKUP, "<i>钱</i>")
    pdf = client.get(f"{DOSSIERS}/{archive_no}/pdf", headers=admin)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    path = tmp_path / "copy.pdf"
    path.write_bytes(pdf.data)
    # reading order (no -layout): a wrapped cell is not interleaved with its neighbour's label
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split())
    assert "<script>alert('x')</script>" in flat
    assert "".join(MARKUP.split()) in flat  # entities printed as written, not decoded
    assert "<i>钱</i>" in flat


# -- authentication and permissions -----------------------------------------------------------------

@pytest.mark.parametrize("headers", [
    {}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Bearer "},
    {"Authorization": "Basic YWRtaW46YWRtaW4="}, {"Authorization": "Bearer dk_nope_nope"},
    {"Authorization": "Bearer not-a-key"}, {"Authorization": "Bearer dk_" + "a" * 5000},
    {"Authorization": "Bearer dk_$ne_x"},
], ids=["none", "empty", "bearer-only", "bearer-blank", "basic", "unknown-key", "not-a-key", "long", "operator"])
def test_missing_or_invalid_authorization_is_401(client, state, headers):
    before = state()
    for response in (client.get(DOSSIERS, headers=headers), client.post(DOSSIERS, json=broker(), headers=headers),
                     client.get("/api/v1/templates", headers=headers)):
        assert_error(response, 401)
        assert "Bearer" in response.headers["WWW-Authenticate"]
    assert state() == before


def test_revoked_key_is_401(app, client, key_for):
    token = key_for("clerk")
    keys = app.extensions["dossier"].keys
    assert client.get(DOSSIERS, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    keys.revoke(token.split("_")[1])
    assert_error(client.get(DOSSIERS, headers={"Authorization": f"Bearer {token}"}), 401)


def test_viewer_cannot_post_or_patch(client, auth, state, stored):
    archive_no, etag = stored
    viewer = auth("viewer")
    before = state()
    assert_error(post_json(client, viewer, load_sample(BROKER)), 403)
    assert_error(client.patch(f"{DOSSIERS}/{archive_no}", json={"data": {"学历": "x"}},
                              headers={**viewer, "If-Match": etag}), 403)
    assert state() == before
    assert client.get(f"{DOSSIERS}/{archive_no}", headers=viewer).status_code == 200  # but may read


# -- unsupported content type -----------------------------------------------------------------------

@pytest.mark.parametrize("content_type", ["text/plain", "application/xml", "text/csv", "application/octet-stream", None])
def test_unsupported_content_type_is_415(client, admin, state, stored, content_type):
    archive_no, etag = stored
    before = state()
    raw = json.dumps(broker()).encode()
    kwargs = {"content_type": content_type} if content_type else {}
    assert_error(client.post(DOSSIERS, data=raw, headers=admin, **kwargs), 415)
    assert_error(client.patch(f"{DOSSIERS}/{archive_no}", data=raw, headers={**admin, "If-Match": etag}, **kwargs), 415)
    assert state() == before


def test_file_upload_is_refused(client, admin, state):
    import io
    before = state()
    response = client.post(DOSSIERS, data={"template": "broker_client", "姓名": "x", "f": (io.BytesIO(b"x"), "a.txt")},
                           content_type="multipart/form-data", headers=admin)
    assert_error(response, 400)
    assert state() == before


# -- names: ambiguity and duplicates ------------------------------------------------------------------

def test_ambiguous_label_lists_both_candidates(client, admin, state):
    sample = load_sample(MACKAY)
    sample["data"]["公司名称"] = sample["data"].pop("4.公司名称")
    before = state()
    error = assert_error(post_json(client, admin, sample), 400)
    messages = error["fields"]["data.公司名称"]
    assert any("4.公司名称" in m and "20.公司名称" in m for m in messages), messages
    assert state() == before


@pytest.mark.parametrize("body", [
    broker(name="另一个"),                                         # key and label
    broker(**{"基本资料.姓名": "另一个"}),                          # label and qualified label
    broker(操盘人资料={"姓名": "孙浩", "name": "孙浩"}),            # inside a group
    broker(操盘人资料={"姓名": "孙浩"}, trader={"name": "孙浩"}),  # the group by label and by key
    {"template": "mackay66", "data": {"1.姓名": "王", "4.公司名称": "x", "company_name": "y"}},
    {"template": "standard", "data": {"客户姓名": "x", "客户交流记录": [{"交流内容": "a", "content": "b"}]}},
], ids=["key-and-label", "label-and-qualified", "in-group", "group-twice", "item-and-key", "in-table-row"])
def test_same_field_named_twice_is_400(client, admin, state, body):
    before = state()
    error = assert_error(post_json(client, admin, body), 400)
    assert "重复" in all_messages(error)
    assert state() == before


# -- values ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("body,path", [
    ({"template": "client_research", "data": {"性别": "未知"}}, "data.gender"),
    ({"template": "it_support", "data": {"客户姓名": "x", "问题记录": [{"解决状态": "搞定了"}]}}, "data.records[0].status"),
    ({"template": "broker_weekly_review", "data": {"年": 2026, "月": 1, "第几周": 1, "姓名": "x",
                                                   "检讨项目": [{"项目": "喝茶数(杯)"}]}}, "data.review[0].item"),
    ({"template": "broker_visit_report", "data": {"证券经纪人": "x", "起始日期": "2026-11-16", "截止日期": "2026-11-20",
                                                  "拜访记录": [{"日期": "2026-11-16", "往来否": "也许"}]}},
     "data.visits[0].existing_client"),
], ids=["gender", "status", "fixed-row", "yesno"])
def test_wrong_choice_value_is_400(client, admin, state, body, path):
    before = state()
    error = assert_error(post_json(client, admin, body), 400)
    assert path in error["fields"], error["fields"]
    assert state() == before


def test_id_card_check_digit():
    """No paper form of the seed has an ID-number field yet; the id_card type is checked directly."""
    field = IdCard(Field("id_no", "身份证号码", "id_card"))
    assert id_card_check_digit("11010519491231002") == "X"
    assert field.deserialize("11010519491231002x") == "11010519491231002X"      # lowercase x stored as X
    assert field.deserialize("１１０１０５１９４９１２３１００２Ｘ") == "11010519491231002X"  # full width
    for bad in ("110105194912310021", "11010519491231002", "1101051949123100XX", "110105194913310028", 11010519491231002):
        with pytest.raises(ValidationError) as caught:
            field.deserialize(bad)
        assert CJK.search(str(caught.value.messages))


def test_full_width_phone_is_normalised(client, admin):
    response = post_json(client, admin, broker(**{"电话(O)": "０２１－６２８８　００１１", "操盘人资料": {"电话": "１３９ １６８８ ２０４６"}}))
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["phone_office"] == "021-6288 0011"
    assert data["trader"]["phone"] == "139 1688 2046"


def test_bad_phone_is_400(client, admin, state):
    before = state()
    error = assert_error(post_json(client, admin, broker(**{"电话(O)": "打我电话"})), 400)
    assert "data.phone_office" in error["fields"]
    assert state() == before


def test_leading_zeros_in_identifiers_are_kept(client, admin):
    body = broker(**{"帐号(深圳)": "0012345678", "帐号(上海)": "A000123"})
    response = post_json(client, admin, body)
    assert response.status_code == 201
    archive_no = response.get_json()["archive_no"]
    data = client.get(f"{DOSSIERS}/{archive_no}", headers=admin).get_json()["data"]
    assert data["account_sz"] == "0012345678" and data["account_sh"] == "A000123"
    response = post_json(client, admin, {"template": "standard", "data": {
        "客户姓名": "x", "合同信息": [{"合同编号": "007", "合同金额": "0.50"}]}})
    assert response.get_json()["data"]["contracts"] == [{"contract_no": "007", "amount": "0.50"}]


@pytest.mark.parametrize("shares,total", [
    ({"股票(%)": 50, "债券(%)": 10, "保险(%)": 0, "银行(%)": 0, "房地产(%)": 0, "期货(%)": 0, "实业(%)": 0, "其他(%)": 0}, "60"),
    ({"股票(%)": 90, "债券(%)": 10, "保险(%)": 5, "银行(%)": 0, "房地产(%)": 0, "期货(%)": 0, "实业(%)": 0, "其他(%)": 0}, "105"),
    ({"股票(%)": "40%", "债券(%)": "25", "保险(%)": 5, "银行(%)": 15, "房地产(%)": 10, "期货(%)": 0, "实业(%)": 5, "其他(%)": 1}, "101"),
])
def test_portfolio_not_summing_to_100_is_400(client, admin, state, shares, total):
    before = state()
    error = assert_error(post_json(client, admin, broker(投资组合=shares)), 400)
    assert any(total in m for m in error["fields"]["data.portfolio"])
    assert state() == before


def test_portfolio_partly_filled_is_not_summed(client, admin):
    response = post_json(client, admin, broker(投资组合={"股票(%)": 30, "债券(%)": 20}))
    assert response.status_code == 201


def test_portfolio_patch_breaking_the_sum_is_400(client, admin, state, stored):
    archive_no, etag = stored
    before = state()
    response = client.patch(f"{DOSSIERS}/{archive_no}", json={"data": {"投资组合": {"股票(%)": 41}}},
                            headers={**admin, "If-Match": etag})
    assert "data.portfolio" in assert_error(response, 400)["fields"]
    assert state() == before


# -- unknown fields: kept under extra, reported, never mixed into data ------------------------------------

def test_unknown_fields_are_kept_apart_and_reported(client, admin):
    body = {"template": "standard", "data": {
        "客户姓名": "x", "微信": "wx-top",
        "联系方式": {"电话号码": "0755-8363 5500", "传真": "0755-8363 5501"},
        "客户交流记录": [{"交流内容": "a", "心情": "好"}, {"交流内容": "b"}],
    }}
    response = post_json(client, admin, body)
    assert response.status_code == 201, response.get_json()
    view = response.get_json()
    assert {(e["path"], e["name"], json.dumps(e["value"], ensure_ascii=False)) for e in view["extra"]} == {
        ("data", "微信", '"wx-top"'),
        ("data.contact", "传真", '"0755-8363 5501"'),
        ("data.communications[0]", "心情", '"好"'),
    }
    assert len(view["warnings"]) == 3 and all(CJK.search(w) for w in view["warnings"])
    assert any("微信" in w for w in view["warnings"]) and any("心情" in w for w in view["warnings"])
    data = view["data"]
    assert data["contact"] == {"phone": "0755-8363 5500"}
    assert data["communications"] == [{"content": "a"}, {"content": "b"}]
    assert "微信" not in json.dumps(data, ensure_ascii=False) and "心情" not in json.dumps(data, ensure_ascii=False)
    stored = client.get(view["links"]["self"], headers=admin).get_json()
    assert stored["extra"] == view["extra"] and stored["data"] == data


# -- web-form key paths that clash --------------------------------------------------------------------------

@pytest.mark.parametrize("pairs", [
    [("contacts", "x"), ("contacts[0].name", "y")],
    [("contacts[0].name", "y"), ("contacts", "x")],
    [("scale", "x"), ("scale.sales", "y")],
    [("scale.sales", "y"), ("scale", "x")],
    [("contacts.name", "x"), ("contacts[0].name", "y")],
    [("classification", "x"), ("classification.region", "y")],
    [("template.x", "1")],
    [("contacts[9999].name", "x")],
], ids=["scalar-then-row", "row-then-scalar", "scalar-then-child", "child-then-scalar", "object-then-list",
        "envelope-scalar-then-child", "child-of-template", "too-many-rows"])
def test_clashing_form_names_are_400(client, admin, state, pairs):
    before = state()
    body = urlencode([("template", "consulting_client"), ("企业名称", "某公司"), *pairs])
    assert_error(post_raw(client, admin, body.encode(), "application/x-www-form-urlencoded"), 400)
    assert state() == before


# -- the 5xx hunt ----------------------------------------------------------------------------------------------

def _shapes():
    row = {"交流内容": "x"}
    return [
        None, [], "", 0, 1.5, True, "x", [None], [{}], {},
        {"data": None}, {"data": []}, {"data": ""}, {"data": 0}, {"data": "x"}, {"data": [{}]},
        {"template": 5}, {"template": ["x"]}, {"template": None}, {"template": {}}, {"template": "standard"},
        {"template": "standard", "data": {}},
        {"template": "broker_client", "data": {"基本资料": "x"}},
        {"template": "broker_client", "data": {"基本资料": None}},
        {"template": "broker_client", "data": {"基本资料": []}},
        {"template": "broker_client", "data": {"基本资料": {"姓名": None}}},
        {"template": "broker_client", "data": {"投资组合": {"股票(%)": None}}},
        {"template": "broker_client", "data": {"投资组合": {"股票(%)": [None]}}},
        {"template": "broker_client", "data": {"姓名": [None, ""]}},
        {"template": "broker_client", "data": {"姓名": [[]]}},
        {"template": "broker_client", "data": {"": "x"}},
        {"template": "broker_client", "data": {" ": "x"}},
        {"template": "broker_client", "data": {"姓名": "x", "微信": {"": 1}}},
        {"template": "broker_client", "data": {"姓名": "x", "微信": [[[[]]]]}},
        {"template": "standard", "data": {"客户姓名": "x", "客户交流记录": ["x", "y"]}},
        {"template": "standard", "data": {"客户姓名": "x", "客户交流记录": [None, 1, [], "x"]}},
        {"template": "standard", "data": {"客户姓名": "x", "客户交流记录": [[row]]}},
        {"template": "standard", "data": {"客户姓名": "x", "客户交流记录": [row] * 10_000}},
        {"template": "standard", "data": {"客户姓名": "x", "客户编号": "KH-2026-000001"}},
        {"template": "broker_visit_report", "data": {"拜访记录": [{"客户名称": "x"}]}},
        {"template": "broker_visit_report", "data": {"拜访记录": [{"客户名称": [{"公司": {"a": 1}}]}]}},
        {"template": "broker_visit_report", "data": {"拜访记录": [{"客户名称": [None]}]}},
        {"template": "consulting_client", "data": {"沟通记录": [{"我方参与人员": [{"姓名": ["x"]}]}]}},
        {"template": "broker_weekly_review", "data": {"检讨项目": [{"项目": None}, {"项目": {"a": 1}}, {"项目": 5}]}},
        {"template": "broker_weekly_review", "data": {"检讨项目": [{"项目": "新开户数(户)"}, {"项目": "新开户数(户)"}]}},
        {"template": "broker_client", "data": {"姓名": "x" * 1_000_000}},
        {"template": "broker_client", "data": {"姓名": "x", "备注": "y" * 1_000_000}},
        {"template": "broker_client", "data": {"x" * 100_000: "y"}},
        {"template": "broker_client", "data": {"姓名": "x", "年龄": -1e308}},
        {"template": "broker_client", "data": {"姓名": "x", "年龄": 2**64}},
        {"template": "broker_client", "data": {"姓名": "x", "投资组合": {"股票(%)": 1e-320}}},
        {"template": "broker_client", "classification": {"region": "x" * 200}, "data": {"姓名": "x"}},
        {"template": "broker_client", "consent": {"given": True, "date": "2026-02-30"}, "data": {"姓名": "x"}},
        {"template": "broker_client", "consent": {"given": True, "scope": [None]}, "data": {"姓名": "x"}},
        {"template": "broker_client", "retention": {"years": 2**70}, "data": {"姓名": "x"}},
        {"template": "broker_client", "retention": {}, "data": {"姓名": "x"}},
        {"template": "broker_client", "consent": {}, "data": {"姓名": "x"}},
        {"template": "mackay66", "data": {"公司名称": "x", "20.公司名称": "y", "4.公司名称": "z"}},
        {"template": "standard", "data": {"客户姓名": "x", "合同信息": [{"签订日期": "99999-99-99", "合同金额": "1e400"}]}},
        {"template": "it_support", "data": {"客户姓名": "x", "问题记录": [{"处理开始时间": "2026-13-45 25:61"}]}},
    ]


SHAPES = _shapes()


@pytest.mark.parametrize("index", range(len(SHAPES)))
def test_no_5xx_on_post(client, admin, index):
    response = client.post(DOSSIERS, data=json.dumps(SHAPES[index]), content_type="application/json", headers=admin)
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert_error(response, response.status_code)


@pytest.mark.parametrize("index", range(len(SHAPES)))
def test_no_5xx_on_patch(client, admin, state, stored, index):
    archive_no, etag = stored
    before = state()
    response = client.patch(f"{DOSSIERS}/{archive_no}", data=json.dumps(SHAPES[index]), content_type="application/json",
                            headers={**admin, "If-Match": etag})
    assert response.status_code < 500, response.get_data(as_text=True)[:300]
    if response.status_code >= 400:
        assert_error(response, response.status_code)
        assert state() == before


@pytest.mark.parametrize("index", range(0, len(SHAPES), 3))
def test_no_5xx_on_entries(client, admin, index):
    response = post_json(client, admin, load_sample(STANDARD))
    archive_no, etag = response.get_json()["archive_no"], response.headers["ETag"]
    shape = SHAPES[index]
    row = shape.get("data") if isinstance(shape, dict) else shape
    response = client.post(f"{DOSSIERS}/{archive_no}/entries/communications", data=json.dumps(row),
                           content_type="application/json", headers={**admin, "If-Match": etag})
    assert response.status_code < 500, response.get_data(as_text=True)[:300]


def test_dossier_at_the_row_limit_is_stored_and_one_more_row_refused(client, admin):
    """500 rows of long text (the table limit) are stored and read back; 501 rows are refused."""
    sample = copy.deepcopy(load_sample(STANDARD))
    sample["data"]["客户交流记录"] = [{"交流方式": "电话", "交流内容": f"第{i}次 " + "长" * 200} for i in range(500)]
    response = post_json(client, admin, sample)
    assert response.status_code == 201, response.get_json()
    archive_no = response.get_json()["archive_no"]
    assert len(client.get(f"{DOSSIERS}/{archive_no}", headers=admin).get_json()["data"]["communications"]) == 500
    one_more = load_sample(STANDARD)
    one_more["data"]["客户交流记录"] = [{"交流内容": "x"}] * 501
    assert "data.communications" in assert_error(post_json(client, admin, one_more), 400)["fields"]


# -- no silent coercion; every message in Chinese -------------------------------------------

@pytest.mark.parametrize("envelope, path", [
    ({"retention": {"years": 1.5}}, "retention.years"),      # not cut to 1
    ({"retention": {"years": "十"}}, "retention.years"),
    ({"consent": {"given": "yes"}}, "consent.given"),        # a legal record: true/false, 是/否
    ({"consent": {"given": 1}}, "consent.given"),
])
def test_envelope_values_are_not_coerced(client, admin, state, envelope, path):
    before = state()
    error = assert_error(post_json(client, admin, {**load_sample(BROKER), **envelope}), 400)
    assert path in error["fields"]
    assert state() == before


def test_a_loan_request_due_in_the_past_is_400(client, admin, auth, stored):
    archive_no, _ = stored
    response = client.post(f"{DOSSIERS}/{archive_no}/loans", json={"purpose": "核对", "due_date": "2000-01-01"},
                           headers=auth("clerk"))
    assert "due_date" in assert_error(response, 400)["fields"]
    assert client.get(f"{DOSSIERS}/{archive_no}/loans", headers=auth("archivist")).get_json()["loans"] == []


@pytest.mark.parametrize("method, url, body", [
    ("post", DOSSIERS, {"template": "broker_client", "classification": {"region": "长" * 101}, "data": {"姓名": "x"}}),
    ("post", DOSSIERS, {"template": "broker_client", "consent": {"given": True, "evidence": "长" * 501},
                        "data": {"姓名": "x"}}),
    ("post", DOSSIERS, {"template": "broker_client", "classification": {"city": "上海"}, "data": {"姓名": "x"}}),
    ("get", "/api/v1/export?format=docx", None),
    ("get", "/api/v1/export?format=csv&headers=both", None),
    ("get", "/api/v1/export?format=pdf-zip&workers=0", None),
    ("get", "/api/v1/export?format=jsonl&updated_since=yesterday", None),
    ("get", f"{DOSSIERS}?completeness_lt=NaN", None),
    ("get", f"{DOSSIERS}?limit=abc", None),
    ("post", "/api/v1/import?mode=some", None),
    ("post", "/api/v1/import?format=doc", None),
])
def test_field_messages_are_chinese(client, admin, method, url, body):
    response = getattr(client, method)(url, json=body, headers=admin) if body else getattr(client, method)(url, headers=admin)
    error = assert_error(response, 400)
    assert error["fields"]
    english = [m for ms in error["fields"].values() for m in ms if not CJK.search(m)]
    assert english == []
