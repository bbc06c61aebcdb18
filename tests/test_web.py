"""Web pages through Flask's test client: sign-in, CSRF, forms derived from templates,
errors next to inputs, blank handling, edit with the version, entries, 413."""
from __future__ import annotations

import re

import pytest

from schemas.model import Field, Group, Section, Table, Template
from schemas.registry import all_templates, get_template
from service.actors import Actor
from service.web import forms

from .conftest import SHARED, load_sample

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class WebClient:
    """A signed-in browser stand-in: GET a page, then POST its form with the page's CSRF token."""

    def __init__(self, client):
        self.client = client
        self.token = None

    def get(self, url, **kw):
        response = self.client.get(url, **kw)
        found = response.mimetype == "text/html" and CSRF.search(response.get_data(as_text=True))
        if found:
            self.token = found.group(1)
        return response

    def post(self, url, data, page=None):
        if self.token is None or page:
            self.get(page or url)
        return self.client.post(url, data={"csrf_token": self.token, **data})


@pytest.fixture
def web(client, key_for):
    def sign_in(role="admin"):
        browser = WebClient(client)
        response = browser.post("/sign-in", {"key": key_for(role)})
        assert response.status_code == 302
        return browser
    return sign_in


@pytest.fixture
def stored(app):
    def create(sample="standard-huaxin.json"):
        raw = load_sample(SHARED / "samples" / sample)
        return app.extensions["dossier"].dossiers.create(raw, Actor(id="setup", role="admin")).document
    return create


# -- signing in ----------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/dossiers", "/dossiers/new", "/dossiers/new/standard",
                                 "/dossiers/KH-2026-000001", "/dossiers/KH-2026-000001/pdf"])
def test_pages_need_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in?next=")


def test_root_goes_to_the_list_or_sign_in(client):
    assert client.get("/").headers["Location"] == "/dossiers"
    assert client.get("/dossiers").headers["Location"] == "/sign-in?next=/dossiers"


def test_sign_in_with_a_wrong_key_says_so(client):
    browser = WebClient(client)
    response = browser.post("/sign-in", {"key": "dk_000000000000_nope"})
    assert response.status_code == 401
    assert "密钥无效或已停用" in response.get_data(as_text=True)


def test_session_cookie_is_httponly_and_lax(client, key_for):
    browser = WebClient(client)
    response = browser.post("/sign-in", {"key": key_for("clerk")})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert key_for("clerk").split("_")[2] not in cookie


def test_sign_in_returns_to_a_local_page_only(web, client, key_for):
    browser = WebClient(client)
    evil = browser.post("/sign-in", {"key": key_for("admin"), "next": "//evil.example/x"})
    assert evil.headers["Location"] == "/dossiers"
    good = browser.post("/sign-in", {"key": key_for("admin"), "next": "/dossiers/new"}, page="/sign-in")
    assert good.headers["Location"] == "/dossiers/new"


def test_sign_out_and_revoked_keys_end_the_session(web, app, client):
    browser = web("clerk")
    assert client.get("/dossiers").status_code == 200
    browser.post("/sign-out", {}, page="/dossiers")
    assert client.get("/dossiers").status_code == 302

    browser = web("clerk")
    keys = app.extensions["dossier"].keys
    for record in keys.list():
        keys.revoke(record["id"])
    assert client.get("/dossiers").status_code == 302


def test_web_sessions_keep_the_keys_team(app, client):
    """A team's manager reads only the team's dossiers on the pages too; a clerk's page posts record the team."""
    from service.clock import utcnow
    keys = app.extensions["dossier"].keys

    def signed_in(role, team):
        token, _ = keys.create(role, f"{role} {team}", utcnow(), team=team)
        browser = WebClient(app.test_client())
        assert browser.post("/sign-in", {"key": token}).status_code == 302
        return browser

    clerk_b, manager_b, manager_c = signed_in("clerk", "B"), signed_in("manager", "B"), signed_in("manager", "C")
    created = clerk_b.post("/dossiers/new/standard", {"client_name": "乙队客户"}, page="/dossiers/new/standard")
    archive_no = created.headers["Location"].rsplit("/", 1)[1]
    assert app.extensions["dossier"].dossiers.get(archive_no)["team"] == "B"
    assert manager_b.get(f"/dossiers/{archive_no}").status_code == 200
    assert manager_c.get(f"/dossiers/{archive_no}").status_code == 403
    assert archive_no not in manager_c.get("/dossiers").get_data(as_text=True)


def test_roles_without_permission_get_a_page_not_json(web):
    browser = web("viewer")
    response = browser.get("/dossiers/new/standard")
    assert response.status_code == 403
    assert response.mimetype == "text/html"
    assert "没有权限" in response.get_data(as_text=True)


# -- CSRF ------------------------------------------------------------------------------
def test_csrf_token_is_required_on_web_forms(web, client):
    web("admin")
    response = client.post("/dossiers/new/standard", data={"client_name": "甲公司"})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)


def test_api_with_bearer_keys_needs_no_csrf_token(client, admin):
    sample = load_sample(SHARED / "samples" / "standard-huaxin.json")
    assert client.post("/api/v1/dossiers", json=sample, headers=admin).status_code == 201
    form = {"template": "standard", "client_name": "乙公司"}
    assert client.post("/api/v1/dossiers", data=form, headers=admin).status_code == 201


# -- the forms are derived from the templates --------------------------------------------
@pytest.mark.parametrize("name", sorted(all_templates()))
def test_every_template_has_a_new_page_in_its_section_order(web, name):
    template = get_template(name)
    html = web().get(f"/dossiers/new/{name}").get_data(as_text=True)
    assert '<html lang="zh-CN">' in html
    positions = [html.index(f'id="h-s-{s.key}">{s.label}</h2>') for s in template.sections]
    assert positions == sorted(positions)
    for _section, path, item in template.fields():
        if item.type != "archive_no" and len(path) == 1:
            assert f'name="{item.key}"' in html
    assert not re.search(r'(src|href)="(https?:)?//', html), "no asset from another host"


def test_a_group_or_table_named_like_its_section_is_not_titled_twice(web):
    html = web().get("/dossiers/new/standard").get_data(as_text=True)
    for label in ("业务信息", "合同信息"):  # the section heading says it; the legend stays for screen readers
        assert html.count(f">{label}</h2>") == 1 and html.count(f'<legend class="vh">{label}</legend>') == 1
    assert "<legend>联系方式</legend>" in html  # a group inside a section of another name keeps its title


def _node(sections, name):
    for section in sections:
        for node in section.children:
            if node.name == name:
                return node
            for child in getattr(node, "children", []):
                if child.name == name:
                    return child
    raise KeyError(name)


def test_field_types_map_to_inputs():
    template = Template("t", "测试", numbered=True, sections=(Section("s", "部分", (
        Field("d", "日期", "date", item=1), Field("dt", "时间", "datetime", item=1),
        Field("long", "纪要", "longtext", item=2), Field("yn", "是否", "yesno"),
        Field("few", "方式", "choice", choices=("甲", "乙")),
        Field("many", "类别", "choice", choices=("一", "二", "三", "四", "五")),
        Field("open", "来源", "choice", choices=("甲",), allow_other=True),
        Field("multi", "用途", "multi_choice", choices=("甲", "乙")),
        Field("n", "人数", "integer"), Field("p", "比例", "percent"), Field("tel", "电话", "phone"),
        Field("mail", "邮箱", "email"), Field("no", "客户编号", "archive_no"),
        Group("g", "组", (Field("x", "项", max_length=30),)),
    )),))
    sections = forms.build_form(template, {"dt": "2026-10-08 10:30", "multi": ["乙"]}, {"g.x": ["项：有误"]})
    widgets = {n: _node(sections, n).widget for n in
               ("d", "dt", "long", "yn", "few", "many", "open", "multi", "n", "tel", "mail", "no")}
    assert widgets == {"d": "date", "dt": "datetime-local", "long": "textarea", "yn": "radios",
                       "few": "radios", "many": "select", "open": "combo", "multi": "checkboxes",
                       "n": "number", "tel": "tel", "mail": "email", "no": "readonly"}
    assert _node(sections, "d").label == "1.日期"
    assert _node(sections, "dt").value == "2026-10-08T10:30"
    assert _node(sections, "multi").selected == {"乙"}
    assert _node(sections, "n").step == "1" and _node(sections, "p").step == "any"
    assert _node(sections, "long").maxlength == 20_000 and _node(sections, "g.x").maxlength == 30
    assert _node(sections, "g.x").errors == ["项：有误"]


def test_tables_offer_blank_rows_and_a_row_template():
    table = Table("contacts", "联系人", columns=(Field("name", "姓名"), Field("mobile", "手机", "mobile")))
    template = Template("t", "测试", sections=(Section("s", "部分", (table,)),))
    node = forms.build_form(template)[0].children[0]
    assert [r.index for r in node.rows] == ["0", "1", "2"] and all(r.padding for r in node.rows)
    assert node.blank.children[0].name == f"contacts[{forms.ROW_PLACEHOLDER}].name"
    filled = forms.build_form(template, {"contacts": [{"name": "甲"}]})[0].children[0]
    assert [r.index for r in filled.rows] == ["0"] and filled.rows[0].children[0].value == "甲"


def test_submission_drops_blank_rows_and_converts_datetimes():
    template = get_template("standard")
    pairs = [("csrf_token", "x"), ("_version", "1"), ("client_name", "丙公司"), ("contact.phone", ""),
             ("communications[0].at", ""), ("communications[0].content", ""),
             ("communications[1].at", "2026-10-08T10:30"), ("communications[1].channel", "面谈"),
             ("classification.region", "广东"), ("classification.level", ""),
             ("consent.given", ""), ("consent.scope", ""), ("retention.years", "")]
    raw = forms.read_submission(template, pairs)
    assert raw == {"template": "standard", "classification": {"region": "广东"},
                   "data": {"client_name": "丙公司", "contact": {"phone": ""},
                            "communications": [{"at": "2026-10-08 10:30", "channel": "面谈"}]}}
    edit = forms.read_submission(template, [("communications[0].at", "")], editing=True)
    assert edit["data"]["communications"] == ""  # a table emptied in the edit form is removed


# -- creating through the page --------------------------------------------------------------
def test_errors_show_next_to_the_inputs_and_keep_the_input(web):
    browser = web()
    response = browser.post("/dossiers/new/standard", {
        "client_name": "丁公司", "contact.phone": "电话号码不详", "contracts[0].signed_on": "2025-02-30",
        "contracts[0].contract_no": "HT-1", "consent.date": "2026-13-01"}, page="/dossiers/new/standard")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert re.search(r'id="e-contact\.phone">电话号码：“电话号码不详”不是有效的电话号码', html)
    assert re.search(r'id="e-contracts\[0\]\.signed_on">签订日期：“2025-02-30”不是存在的日期', html)
    assert 'id="e-consent.given"' in html  # consent details without saying whether the client agreed
    assert 'value="丁公司"' in html and 'value="HT-1"' in html
    assert 'href="#f-contact.phone"' in html  # the summary links to the input
    assert 'aria-invalid="true"' in html


def test_blank_inputs_are_not_filled_in(web, app):
    browser = web()
    response = browser.post("/dossiers/new/standard", {
        "client_name": "戊公司", "contact.phone": " ", "contact.email": "",
        "contracts[0].contract_no": "", "contracts[1].contract_no": "HT-9",
        "purchases[0].product": "", "confidentiality": "", "retention.years": ""},
        page="/dossiers/new/standard")
    assert response.status_code == 302
    archive_no = response.headers["Location"].rsplit("/", 1)[1]
    document = app.extensions["dossier"].dossiers.get(archive_no)
    assert document["data"] == {"client_name": "戊公司", "contracts": [{"contract_no": "HT-9"}]}
    assert document["confidentiality"] == "normal" and document["retention"] == {"years": 10}


def test_mackay66_sample_posted_as_the_page_posts_it(web, app):
    sample = load_sample(SHARED / "samples" / "mackay66-wang.json")
    template = get_template("mackay66")
    by_label = {f"{f.item}.{f.label}": f.key for _s, _p, f in template.fields()}
    form = {by_label[label]: value for label, value in sample["data"].items()}
    form.update({"classification.region": "北京", "confidentiality": "confidential",
                 "consent.given": "true", "consent.scope": "内部服务", "consent.date": "2026-10-12"})
    response = web().post("/dossiers/new/mackay66", form, page="/dossiers/new/mackay66")
    assert response.status_code == 302
    document = app.extensions["dossier"].dossiers.get(response.headers["Location"].rsplit("/", 1)[1])
    assert document["data"]["name"] == "王建国" and document["confidentiality"] == "confidential"
    assert document["consent"]["given"] is True and document["consent"]["scope"] == ["内部服务"]


# -- editing, entries, the dossier page ----------------------------------------------------
def test_edit_page_carries_the_version_and_blank_removes(web, stored, app):
    document = stored()
    browser = web()
    html = browser.get(f"/dossiers/{document['archive_no']}/edit").get_data(as_text=True)
    assert 'name="_version" value="1"' in html and "深南中路 3018 号" in html
    response = browser.post(f"/dossiers/{document['archive_no']}/edit", {
        "_version": "1", "client_name": "深圳华信", "address.street": "", "complaints[0].content": ""})
    assert response.status_code == 302
    saved = app.extensions["dossier"].dossiers.get(document["archive_no"])
    assert saved["version"] == 2 and saved["data"]["client_name"] == "深圳华信"
    assert "street" not in saved["data"]["address"] and "complaints" not in saved["data"]
    assert saved["data"]["purchases"] == document["data"]["purchases"]  # not on the form: untouched


def test_stale_version_is_a_conflict_explained_in_words(web, stored, app):
    document = stored()
    service = app.extensions["dossier"].dossiers
    service.update(document["archive_no"], {"data": {"client_name": "新名称"}}, 1, Actor(id="other", role="admin"))
    browser = web()
    browser.get(f"/dossiers/{document['archive_no']}/edit")
    response = browser.post(f"/dossiers/{document['archive_no']}/edit", {
        "_version": "1", "client_name": document["data"]["client_name"], "address.street": "新地址 1 号"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "这份档案刚被别人修改过" in html and "新名称" in html
    assert 'value="新地址 1 号"' in html  # the clerk's change is kept
    assert 'value="新名称"' in html  # the other change is not undone
    assert 'name="_version" value="2"' in html
    assert service.get(document["archive_no"])["version"] == 2


@pytest.mark.parametrize("page", ["edit", "entries/complaints"])
def test_a_mangled_version_is_a_bad_request_not_a_conflict(web, stored, app, page):
    document = stored()
    url = f"/dossiers/{document['archive_no']}/{page}"
    response = web().post(url, {"_version": "abc", "client_name": "改名", "content": "扫码慢"}, page=url)
    assert response.status_code == 400 and "请求有误" in response.get_data(as_text=True)
    assert app.extensions["dossier"].dossiers.get(document["archive_no"])["version"] == 1


def test_appending_an_entry(web, stored, app):
    document = stored()
    browser = web()
    page = f"/dossiers/{document['archive_no']}/entries/complaints"
    assert "投诉内容" in browser.get(page).get_data(as_text=True)
    bad = browser.post(page, {"_version": "1", "complained_on": "明天"})
    assert bad.status_code == 400 and 'id="e-complained_on"' in bad.get_data(as_text=True)
    ok = browser.post(page, {"_version": "1", "complained_on": "2026-12-03", "content": "扫码慢"})
    assert ok.status_code == 302
    rows = app.extensions["dossier"].dossiers.get(document["archive_no"])["data"]["complaints"]
    assert rows[-1] == {"complained_on": "2026-12-03", "content": "扫码慢"}
    assert browser.get(f"/dossiers/{document['archive_no']}/entries/client_name").status_code == 404


def test_clerks_are_offered_changes_to_their_own_dossiers_only(web, stored):
    """Not 修改档案 on someone else's dossier and a refusal after the typing: the pages refuse up front."""
    others = stored()["archive_no"]
    clerk = web("clerk")
    own = clerk.post("/dossiers/new/standard", {"client_name": "自建客户"}, page="/dossiers/new/standard")
    own = own.headers["Location"].rsplit("/", 1)[1]
    page = clerk.get(f"/dossiers/{own}").get_data(as_text=True)
    assert "修改档案" in page and f"/dossiers/{own}/entries/complaints" in page
    page = clerk.get(f"/dossiers/{others}").get_data(as_text=True)
    assert "修改档案" not in page and "/entries/" not in page
    for url in (f"/dossiers/{others}/edit", f"/dossiers/{others}/entries/complaints"):
        refused = clerk.get(url)
        assert refused.status_code == 403 and "不是您建立的" in refused.get_data(as_text=True)


def test_dossier_page_versions_and_list(web, stored, app):
    document = stored()
    app.extensions["dossier"].dossiers.update(document["archive_no"], {"data": {"client_name": "改名"}}, 1,
                                              Actor(id="setup", role="admin"))
    browser = web()
    html = browser.get(f"/dossiers/{document['archive_no']}").get_data(as_text=True)
    assert "打印正式档案" in html and f"/dossiers/{document['archive_no']}/versions/1" in html
    old = browser.get(f"/dossiers/{document['archive_no']}/versions/1").get_data(as_text=True)
    assert "您正在查看第 1 版" in old and "深圳华信连锁超市有限公司" in old
    listing = browser.get("/dossiers?q=改名&template=standard&completeness=incomplete").get_data(as_text=True)
    assert document["archive_no"] in listing
    assert "没有符合条件的档案" in browser.get("/dossiers?region=火星").get_data(as_text=True)
    assert browser.get("/dossiers/KH-2099-999999").status_code == 404
    assert browser.get(f"/dossiers/{document['archive_no']}/versions/0").status_code == 404
    assert browser.get(f"/dossiers/{document['archive_no']}/versions/3").status_code == 404


def test_list_pages_with_a_cursor(web, stored):
    numbers = [stored()["archive_no"] for _ in range(22)]
    browser = web()
    first = browser.get("/dossiers?template=standard").get_data(as_text=True)
    cursor = re.search(r'href="(/dossiers\?cursor=[^"]+)" rel="next"', first).group(1).replace("&amp;", "&")
    second = browser.get(cursor).get_data(as_text=True)
    assert numbers[0] in second and numbers[-1] not in second and numbers[-1] in first


def test_pdf_for_signed_in_staff(web, stored):
    document = stored()
    response = web().get(f"/dossiers/{document['archive_no']}/pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")


def test_a_too_large_form_gets_a_friendly_page(web, app):
    browser = web()
    browser.get("/dossiers/new/standard")
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    response = browser.client.post("/dossiers/new/standard",
                                   data={"csrf_token": browser.token, "client_name": "长" * 20_000})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "内容太长，未能保存" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["华信\x00超市", "华信\ufffe超市", "\ufffd\ufffd"],
                         ids=["nul", "fffe", "bad-utf8"])  # werkzeug decodes invalid UTF-8 as U+FFFD
def test_forms_with_forbidden_characters_or_bad_utf8_are_refused(web, app, value):
    browser = web()
    browser.get("/dossiers/new/standard")
    response = browser.client.post("/dossiers/new/standard", data={"csrf_token": browser.token, "client_name": value})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert app.extensions["dossier"].repository.count({}) == 0


def test_urlencoded_forms_with_bad_utf8_are_refused_as_the_api_refuses_them(web, app):
    browser = web()
    browser.get("/dossiers/new/standard")
    response = browser.client.post("/dossiers/new/standard", data=f"csrf_token={browser.token}&client_name=%ff%fe",
                                   content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400 and "不是有效的 UTF-8 编码" in response.get_data(as_text=True)
    assert app.extensions["dossier"].repository.count({}) == 0


def test_text_inputs_carry_the_validator_limits(web):
    html = web().get("/dossiers/new/standard").get_data(as_text=True)
    assert re.search(r'name="client_name"[^>]*maxlength="2000"', html)
    assert re.search(r'name="communications\[0\]\.content"[^>]*maxlength="20000"', html)
