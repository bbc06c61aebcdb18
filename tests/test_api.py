"""The happy paths of the HTTP API (on mongomock): templates, create by every channel, read,
list with filters and cursor pagination, change with If-Match and versions, entries, the PDF
copy, archive numbers, the OpenAPI document and the docs page, verification."""
from __future__ import annotations

import datetime as dt
import re
import subprocess
from urllib.parse import quote, unquote, urlencode

import pytest

from schemas.registry import all_templates

from .conftest import SHARED, load_sample

DOSSIERS = "/api/v1/dossiers"
SHANGHAI = dt.timezone(dt.timedelta(hours=8))
BROKER = SHARED / "samples" / "broker_client-zhao.json"
STANDARD = SHARED / "samples" / "standard-huaxin.json"
IT = SHARED / "samples" / "it_support-chen.json"
MACKAY = SHARED / "samples" / "mackay66-wang.json"
NAMES = {"broker_client", "broker_weekly_review", "broker_monthly_targets", "broker_visit_report",
         "consulting_client", "mackay66", "it_support", "standard", "property_owner", "client_research"}
ARCHIVE_NO = re.compile(r"^KH-(\d{4})-(\d{6})$")


def create(client, headers, body):
    response = client.post(DOSSIERS, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response


def pdf_text(tmp_path, data: bytes) -> str:
    path = tmp_path / "copy.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


# -- templates -------------------------------------------------------------------

def test_templates_lists_the_ten_templates(client, admin):
    response = client.get("/api/v1/templates", headers=admin)
    assert response.status_code == 200
    listed = response.get_json()
    assert {t["name"] for t in listed} == NAMES and len(listed) == 10
    for entry in listed:
        assert entry["title"] and entry["links"]["self"] == f"/api/v1/templates/{entry['name']}"


@pytest.mark.parametrize("name", sorted(NAMES))
def test_template_definition_and_json_schema(client, admin, name):
    response = client.get(f"/api/v1/templates/{name}", headers=admin)
    assert response.status_code == 200
    body = response.get_json()
    template = all_templates()[name]
    definition, schema = body["definition"], body["json_schema"]
    assert definition["name"] == name and definition["title"] == template.title
    assert [s["label"] for s in definition["sections"]] == [s.label for s in template.sections]
    assert schema["type"] == "object"
    top_keys = {i.key for s in template.sections for i in s.items}
    assert top_keys <= set(schema["properties"]), top_keys - set(schema["properties"])


def test_templates_need_a_key(client):
    assert client.get("/api/v1/templates").status_code == 401


# -- create by every channel ---------------------------------------------------------

def test_post_json_read_back(client, admin):
    sample = load_sample(BROKER)
    response = create(client, admin, sample)
    body = response.get_json()
    archive_no = body["archive_no"]
    assert ARCHIVE_NO.match(archive_no)
    assert response.headers["Location"].endswith(f"{DOSSIERS}/{archive_no}")
    assert response.headers["ETag"] == f'"{archive_no}-v1"'
    assert body["version"] == 1 and body["status"] == "active" and body["warnings"] == []
    assert body["data"]["name"] == "赵丽华" and body["data"]["portfolio"]["stocks"] == 40
    assert body["classification"] == sample["classification"]
    assert body["consent"]["given"] is True and body["consent"]["scope"] == ["内部服务", "投资建议"]

    read = client.get(response.headers["Location"], headers=admin)
    assert read.status_code == 200 and read.headers["ETag"] == f'"{archive_no}-v1"'
    stored = read.get_json()
    assert stored["data"] == body["data"] and stored["extra"] == [] and stored["title"] == body["title"]
    assert "_id" not in stored and "search_text" not in stored


@pytest.mark.parametrize("channel", ["urlencoded", "multipart"])
def test_post_web_form(client, admin, channel):
    pairs = [
        ("template", "consulting_client"),
        ("classification.region", "江西"), ("classification.level", "潜在客户"),
        ("consent.given", "true"), ("consent.scope", "内部服务"), ("consent.scope", "营销"),
        ("retention.years", "15"),
        ("企业名称", "江西绿源农业发展有限公司"),
        ("所属行业", ""),                                  # blank: not filled in
        ("客户来源", "转介绍"),
        ("scale.sales", "1.2 亿元"), ("企业规模(近期).注册资本", "5000 万元"),
        ("contacts[0].name", "黄志远"), ("contacts[0].mobile", "１３６ ０７９１ ８８８８"),
        ("contacts[0].qq", ""),
        ("contacts[1].name", "钱峰"), ("contacts[1].position", "总经理"),
        ("rounds[0].mode", "客户上门"), ("rounds[0].our_participants[0].name", "郑云"),
    ]
    if channel == "urlencoded":
        response = client.post(DOSSIERS, data=urlencode(pairs), content_type="application/x-www-form-urlencoded",
                               headers=admin)
    else:
        from werkzeug.datastructures import MultiDict
        response = client.post(DOSSIERS, data=MultiDict(pairs), content_type="multipart/form-data", headers=admin)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["warnings"] == [] and body["extra"] == []
    assert body["classification"] == {"region": "江西", "level": "潜在客户"}
    assert body["consent"]["given"] is True and body["consent"]["scope"] == ["内部服务", "营销"]
    assert body["retention"] == {"years": 15}
    assert body["data"] == {
        "company_name": "江西绿源农业发展有限公司",
        "source": "转介绍",
        "scale": {"sales": "1.2 亿元", "registered_capital": "5000 万元"},
        "contacts": [{"name": "黄志远", "mobile": "136 0791 8888"}, {"name": "钱峰", "position": "总经理"}],
        "rounds": [{"mode": "客户上门", "our_participants": [{"name": "郑云"}]}],
    }


def test_post_web_form_label_keys(client, admin):
    """A spreadsheet-style form keyed by Chinese labels and item numbers."""
    pairs = [("template", "mackay66"), ("1.姓名", "王建国"), ("4.公司名称", "北京华盛"), ("20.公司名称", "天津重型机械厂"),
             ("5.出生日期", "1972/3/18"), ("籍贯", "河北")]
    response = client.post(DOSSIERS, data=urlencode(pairs), content_type="application/x-www-form-urlencoded", headers=admin)
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    assert data["company_name"] == "北京华盛" and data["previous_company"] == "天津重型机械厂"
    assert data["birth_date"] == "1972-03-18" and data["native_place"] == "河北"


# -- list, filters, cursor pagination ----------------------------------------------------

@pytest.fixture
def several(client, admin):
    """Seven dossiers of three templates, regions and levels; archive numbers oldest first."""
    made = []
    for region, level, industry in [("上海", "VIP", "金融"), ("北京", "A", "制造业"), ("上海", "A", "金融")]:
        sample = load_sample(BROKER)
        sample["classification"] = {"region": region, "level": level, "industry": industry}
        made.append(create(client, admin, sample).get_json())
    for _ in range(2):
        made.append(create(client, admin, load_sample(STANDARD)).get_json())
    for _ in range(2):
        made.append(create(client, admin, load_sample(IT)).get_json())
    return made


def listed(client, headers, query=""):
    response = client.get(f"{DOSSIERS}?{query}", headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def test_list_newest_first_with_summaries(client, admin, several):
    page = listed(client, admin)
    assert [i["archive_no"] for i in page["items"]] == [d["archive_no"] for d in reversed(several)]
    assert page["next_cursor"] is None
    first = page["items"][-1]
    assert first["template"] == "broker_client" and first["name"] == "赵丽华 上海申达贸易集团" and first["version"] == 1
    assert first["links"]["self"] == f"{DOSSIERS}/{first['archive_no']}"


@pytest.mark.parametrize("query,expected", [
    ("template=standard", {3, 4}),
    ("template=it_support", {5, 6}),
    ("region=" + quote("上海"), {0, 2, 5, 6}),   # the it_support sample is also 上海
    ("region=" + quote("北京"), {1}),
    ("level=A", {1, 2}),
    ("industry=" + quote("金融"), {0, 2}),
    ("region=" + quote("上海") + "&level=A", {2}),
    ("template=broker_client&region=" + quote("上海"), {0, 2}),
    ("status=active", {0, 1, 2, 3, 4, 5, 6}),
    ("status=destroyed", set()),
    ("q=" + quote("华信"), {3, 4}),
    ("q=" + quote("陈晓明"), {5, 6}),
    ("q=" + quote("云启"), {5, 6}),
    ("template=nope", set()),
])
def test_list_filters(client, admin, several, query, expected):
    got = {i["archive_no"] for i in listed(client, admin, query)["items"]}
    assert got == {several[i]["archive_no"] for i in expected}


def test_list_filter_by_archive_number_and_time_and_completeness(client, admin, several):
    target = several[3]["archive_no"]
    assert [i["archive_no"] for i in listed(client, admin, f"q={target}")["items"]] == [target]
    past = quote((dt.datetime.now(SHANGHAI) - dt.timedelta(days=1)).isoformat())
    future = quote((dt.datetime.now(SHANGHAI) + dt.timedelta(days=1)).isoformat())
    assert len(listed(client, admin, f"updated_since={past}")["items"]) == 7
    assert listed(client, admin, f"updated_since={future}")["items"] == []
    scores = {d["archive_no"]: d["completeness"]["overall"] for d in several}
    cut = sorted(set(scores.values()))[-1]
    got = {i["archive_no"] for i in listed(client, admin, f"completeness_lt={cut}")["items"]}
    assert got == {no for no, s in scores.items() if s < cut}
    assert got  # the samples differ in completeness
    assert listed(client, admin, "completeness_lt=0")["items"] == []


def test_list_cursor_pagination(client, admin, several):
    seen, cursor, pages = [], None, 0
    while True:
        page = listed(client, admin, "limit=3" + (f"&cursor={cursor}" if cursor else ""))
        pages += 1
        assert len(page["items"]) <= 3
        seen += [i["archive_no"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert cursor == page["items"][-1]["archive_no"]
    assert pages == 3
    assert seen == [d["archive_no"] for d in reversed(several)]


def test_list_cursor_pagination_with_filter(client, admin, several):
    first = listed(client, admin, "region=" + quote("上海") + "&limit=2")
    second = listed(client, admin, "region=" + quote("上海") + f"&limit=2&cursor={first['next_cursor']}")
    both = [i["archive_no"] for i in first["items"] + second["items"]]
    assert both == [several[i]["archive_no"] for i in (6, 5, 2, 0)]
    assert second["next_cursor"] is None


# -- PATCH, versions -------------------------------------------------------------------------

def test_patch_versions_and_history(client, admin):
    created = create(client, admin, load_sample(BROKER))
    no, etag = created.get_json()["archive_no"], created.headers["ETag"]
    url = f"{DOSSIERS}/{no}"

    first = client.patch(url, json={"data": {"学历": "硕士", "操盘人资料": {"电话": "139 0000 0000"}}},
                         headers={**admin, "If-Match": etag})
    assert first.status_code == 200, first.get_json()
    assert first.headers["ETag"] == f'"{no}-v2"'
    body = first.get_json()
    assert body["version"] == 2 and body["data"]["education"] == "硕士"
    assert body["data"]["trader"]["phone"] == "139 0000 0000" and body["data"]["trader"]["name"] == "孙浩"  # merged

    second = client.patch(url, json={"data": {"学历": None, "投资概况": {"何时从事投资": None}},
                                     "classification": {"level": "VVIP"}},
                          headers={**admin, "If-Match": first.headers["ETag"]})
    assert second.status_code == 200, second.get_json()
    body = second.get_json()
    assert "education" not in body["data"] and "investing_since" not in body["data"]   # null removes
    assert body["classification"] == {"region": "上海", "industry": "金融", "level": "VVIP"}
    assert body["version"] == 3 and second.headers["ETag"] == f'"{no}-v3"'

    current = client.get(url, headers=admin).get_json()
    assert current["version"] == 3 and "education" not in current["data"]

    history = client.get(f"{url}/versions", headers=admin).get_json()
    assert [v["version"] for v in history["versions"]] == [1, 2, 3]
    assert all(v["links"]["self"] == f"{url}/versions/{v['version']}" for v in history["versions"])

    v1 = client.get(f"{url}/versions/1", headers=admin).get_json()
    assert v1["version"] == 1 and v1["data"] == created.get_json()["data"]
    assert v1["data"]["education"] == "本科" and v1["classification"]["level"] == "VIP"
    v2 = client.get(f"{url}/versions/2", headers=admin).get_json()
    assert v2["data"]["education"] == "硕士" and v2["data"]["investing_since"] == "1998年"


def test_patch_retention_null_resets_to_the_templates_period(client, admin):
    created = create(client, admin, load_sample(BROKER))
    no, etag = created.get_json()["archive_no"], created.headers["ETag"]
    response = client.patch(f"{DOSSIERS}/{no}", json={"retention": None}, headers={**admin, "If-Match": etag})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["retention"] == {"years": all_templates()["broker_client"].retention_years}


def test_patch_consent_null_is_refused_not_guessed(client, admin):
    """Neither erased (a refusal erased would allow printing again) nor silently taken as a withdrawal."""
    created = create(client, admin, load_sample(BROKER))
    no, etag = created.get_json()["archive_no"], created.headers["ETag"]
    response = client.patch(f"{DOSSIERS}/{no}", json={"consent": None}, headers={**admin, "If-Match": etag})
    assert response.status_code == 400 and "consent" in response.get_json()["error"]["fields"]
    after = client.get(f"{DOSSIERS}/{no}", headers=admin).get_json()
    assert after["version"] == 1 and after["consent"]["given"] is True


@pytest.mark.parametrize("patch,path", [
    ({"retention": {}}, "retention.years"),
    ({"consent": {"date": "2026-01-01"}}, "consent.given"),
])
def test_patch_envelope_parts_must_be_whole(client, admin, patch, path):
    created = create(client, admin, load_sample(BROKER))
    no, etag = created.get_json()["archive_no"], created.headers["ETag"]
    response = client.patch(f"{DOSSIERS}/{no}", json=patch, headers={**admin, "If-Match": etag})
    assert response.status_code == 400 and path in response.get_json()["error"]["fields"]
    assert client.get(f"{DOSSIERS}/{no}", headers=admin).get_json()["version"] == 1


def test_patch_system_fields_refused(client, admin):
    created = create(client, admin, load_sample(BROKER))
    no, etag = created.get_json()["archive_no"], created.headers["ETag"]
    for patch in ({"version": 9}, {"archive_no": "KH-2000-000001"}, {"status": "destroyed"}, {"template": "mackay66"}):
        response = client.patch(f"{DOSSIERS}/{no}", json=patch, headers={**admin, "If-Match": etag})
        assert response.status_code == 400, patch
    assert client.get(f"{DOSSIERS}/{no}", headers=admin).get_json()["version"] == 1


# -- entries ----------------------------------------------------------------------------------

def test_entries_append_and_list(client, admin):
    created = create(client, admin, load_sample(STANDARD))
    no, etag = created.get_json()["archive_no"], created.headers["ETag"]
    before = len(created.get_json()["data"]["communications"])

    response = client.post(f"{DOSSIERS}/{no}/entries/communications",
                           json={"日期和时间": "2026-12-01 09:30", "交流方式": "会议", "交流内容": "年度回顾"},
                           headers={**admin, "If-Match": etag})
    assert response.status_code == 201, response.get_json()
    assert response.headers["ETag"] == f'"{no}-v2"'
    rows = response.get_json()["data"]["communications"]
    assert len(rows) == before + 1
    assert rows[-1] == {"at": "2026-12-01 09:30", "channel": "会议", "content": "年度回顾"}

    by_label = client.post(f"{DOSSIERS}/{no}/entries/{quote('客户交流记录')}", json={"交流内容": "电话跟进", "交流方式": "电话"},
                           headers={**admin, "If-Match": response.headers["ETag"]})
    assert by_label.status_code == 201, by_label.get_json()
    assert by_label.get_json()["version"] == 3

    listing = client.get(f"{DOSSIERS}/{no}/entries/communications", headers=admin)
    assert listing.status_code == 200
    body = listing.get_json()
    assert body["block"] == "communications" and body["label"] == "客户交流记录"
    entries = body["entries"]
    assert [e["index"] for e in entries] == list(range(before + 2))
    assert entries[-2]["row"]["content"] == "年度回顾" and entries[-1]["row"]["content"] == "电话跟进"
    assert entries[-1]["added_at"] and entries[-1]["added_by"]
    assert entries[0]["added_at"] is None  # filled in at creation, not appended

    v1 = client.get(f"{DOSSIERS}/{no}/versions/1", headers=admin).get_json()
    assert len(v1["data"]["communications"]) == before  # earlier versions unchanged


def test_entries_only_for_repeating_blocks(client, admin):
    created = create(client, admin, load_sample(STANDARD))
    no, etag = created.get_json()["archive_no"], created.headers["ETag"]
    for block in ("contracts", "client_name", "nope"):
        response = client.post(f"{DOSSIERS}/{no}/entries/{block}", json={"x": 1}, headers={**admin, "If-Match": etag})
        assert response.status_code == 400, block
    empty = client.post(f"{DOSSIERS}/{no}/entries/communications", json={"交流内容": ""}, headers={**admin, "If-Match": etag})
    assert empty.status_code == 400
    assert client.get(f"{DOSSIERS}/{no}", headers=admin).get_json()["version"] == 1


# -- PDF ---------------------------------------------------------------------------------------

def test_pdf_download(client, admin, tmp_path):
    created = create(client, admin, load_sample(IT))
    no = created.get_json()["archive_no"]
    response = client.get(f"{DOSSIERS}/{no}/pdf", headers=admin)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF-")
    disposition = response.headers["Content-Disposition"]
    ascii_name = re.search(r'filename="([^"]*)"', disposition)
    assert ascii_name and ascii_name.group(1).isascii() and no in ascii_name.group(1)
    utf8_name = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition)
    assert utf8_name and utf8_name.group(1).isascii()
    decoded = unquote(utf8_name.group(1), errors="strict")
    assert decoded == f"IT技术支持人员-客户信息档案-{no}.pdf"
    assert response.headers["ETag"] == f'"{no}-v1"'
    text = pdf_text(tmp_path, response.data)
    assert no in text and "陈晓明" in text


def test_pdf_of_an_earlier_version(client, admin, tmp_path):
    created = create(client, admin, load_sample(IT))
    no, etag = created.get_json()["archive_no"], created.headers["ETag"]
    client.patch(f"{DOSSIERS}/{no}", json={"data": {"客户姓名": "陈晓光"}}, headers={**admin, "If-Match": etag})
    old = client.get(f"{DOSSIERS}/{no}/pdf?version=1", headers=admin)
    assert old.status_code == 200 and old.headers["ETag"] == f'"{no}-v1"'
    assert "陈晓明" in pdf_text(tmp_path, old.data)
    new = client.get(f"{DOSSIERS}/{no}/pdf", headers=admin)
    assert new.headers["ETag"] == f'"{no}-v2"' and "陈晓光" in pdf_text(tmp_path, new.data)


# -- archive numbers --------------------------------------------------------------------------------

def test_archive_numbers_are_consecutive_and_never_reused(client, admin):
    numbers = []
    for i in range(4):
        numbers.append(create(client, admin, {"template": "broker_client", "data": {"姓名": f"客户{i}"}}).get_json()["archive_no"])
        bad = client.post(DOSSIERS, json={"template": "broker_client", "data": {"年龄": "x"}}, headers=admin)
        assert bad.status_code == 400  # a refused dossier takes no number
    parsed = [ARCHIVE_NO.match(n) for n in numbers]
    assert all(parsed)
    year = dt.datetime.now(SHANGHAI).year
    assert {int(m.group(1)) for m in parsed} == {year}
    sequence = [int(m.group(2)) for m in parsed]
    assert sequence == list(range(sequence[0], sequence[0] + 4))
    assert len(set(numbers)) == 4
    everything = {i["archive_no"] for i in listed(client, admin, "limit=100")["items"]}
    assert set(numbers) <= everything


# -- OpenAPI, docs page, verification ---------------------------------------------------------------

def _refs(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def test_openapi_document(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = response.get_json()
    assert spec["openapi"].startswith("3.") and spec["info"]["title"] and spec["info"]["version"]
    paths = spec["paths"]
    for path in ("/api/v1/templates", "/api/v1/templates/{name}", "/api/v1/dossiers", "/api/v1/dossiers/{archive_no}",
                 "/api/v1/dossiers/{archive_no}/versions", "/api/v1/dossiers/{archive_no}/versions/{version}",
                 "/api/v1/dossiers/{archive_no}/entries/{block}", "/api/v1/dossiers/{archive_no}/pdf"):
        assert path in paths, path
    assert {"get", "post"} <= set(paths["/api/v1/dossiers"])
    assert {"get", "patch"} <= set(paths["/api/v1/dossiers/{archive_no}"])
    for path, item in paths.items():
        for template_param in re.findall(r"{(\w+)}", path):
            names = {p["name"] for p in item.get("parameters", [])}
            names |= {p["name"] for op in item.values() if isinstance(op, dict) for p in op.get("parameters", [])}
            assert template_param in names, (path, template_param)
        for method, operation in item.items():
            if method in ("get", "post", "patch", "put", "delete"):
                assert operation["responses"], (path, method)
    for ref in _refs(spec):  # every reference resolves inside the document
        assert ref.startswith("#/"), ref
        node = spec
        for part in ref[2:].split("/"):
            assert isinstance(node, dict) and part in node, ref
            node = node[part]
    assert "bearer" in spec["components"]["securitySchemes"]
    default_error = spec["components"]["responses"]["DEFAULT_ERROR"]["content"]["application/json"]["schema"]["$ref"]
    error_schema = spec["components"]["schemas"][default_error.rsplit("/", 1)[1]]
    assert set(error_schema["properties"]) == {"error"}  # the one error shape the API really answers


def test_docs_page_loads_nothing_from_outside(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    external = [u for u in re.findall(r"""https?://[^\s"'<>)]+""", html) if not u.endswith("/api/v1/openapi.json")]
    assert external == []
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets)
    for asset in assets:
        assert asset.startswith("/"), asset
        assert client.get(asset).status_code == 200, asset
    assert "/api/v1/openapi.json" in html


def test_verify_a_printed_copy(client, admin, tmp_path):
    created = create(client, admin, load_sample(MACKAY))
    no, etag = created.get_json()["archive_no"], created.headers["ETag"]
    content_hash = created.get_json()["content_hash"]
    assert re.fullmatch(r"[0-9a-f]{64}", content_hash)
    pdf = client.get(f"{DOSSIERS}/{no}/pdf", headers=admin)
    assert pdf.status_code == 200
    assert content_hash[:16] in "".join(pdf_text(tmp_path, pdf.data).split())  # printed on the copy
    response = client.get(f"/api/v1/verify/{content_hash}")  # no key: anyone holding the paper
    assert response.status_code == 200
    body = response.get_json()
    assert body["valid"] is True and body["archive_no"] == no and body["version"] == 1
    assert "data" not in body and "王建国" not in response.get_data(as_text=True)  # reveals no content

    changed = client.patch(f"{DOSSIERS}/{no}", json={"data": {"2.职称": "副总裁"}}, headers={**admin, "If-Match": etag})
    new_hash = changed.get_json()["content_hash"]
    assert new_hash != content_hash
    assert client.get(f"/api/v1/verify/{new_hash}").get_json()["version"] == 2
    assert client.get(f"/api/v1/verify/{content_hash}").get_json()["version"] == 1  # the old paper still checks
    tampered = ("0" if content_hash[0] != "0" else "1") + content_hash[1:]
    assert client.get(f"/api/v1/verify/{tampered}").status_code == 404


def test_json_with_utf8_byte_order_mark_is_accepted(client, admin):
    """Windows editors save JSON files with a BOM; curl -d @file.json sends it as it is."""
    raw = b"\xef\xbb\xbf" + '{"template": "broker_client", "data": {"姓名": "钱七"}}'.encode()
    response = client.post(DOSSIERS, data=raw, content_type="application/json", headers=admin)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"] == {"name": "钱七"}


def test_a_patch_that_changes_nothing_makes_no_version(app, client, admin):
    created = create(client, admin, load_sample(BROKER))
    no, etag = created.get_json()["archive_no"], created.headers["ETag"]
    for patch in ({}, {"data": {}}, {"data": {"学历": "本科"}}, {"classification": {"region": "上海"}}):
        response = client.patch(f"{DOSSIERS}/{no}", json=patch, headers={**admin, "If-Match": etag})
        assert response.status_code == 200 and response.headers["ETag"] == etag, patch
    assert [v["version"] for v in client.get(f"{DOSSIERS}/{no}/versions", headers=admin).get_json()["versions"]] == [1]
    audit = app.extensions["dossier"].records.audit.entries({"action": "dossier.update"})
    assert audit == []


@pytest.mark.parametrize("name", ["股票(%)", "投资组合.股票(%)", "portfolio.stocks", "stocks"])
def test_patch_null_removes_a_field_named_inside_its_group(client, admin, name):
    created = client.post("/api/v1/dossiers", json=load_sample(BROKER), headers=admin)
    archive_no = created.get_json()["archive_no"]
    response = client.patch(f"/api/v1/dossiers/{archive_no}", json={"data": {name: None}},
                            headers={**admin, "If-Match": created.headers["ETag"]})
    assert response.status_code == 200 and response.get_json()["version"] == 2
    portfolio = response.get_json()["data"]["portfolio"]
    assert "stocks" not in portfolio and portfolio["bonds"] == created.get_json()["data"]["portfolio"]["bonds"]
