"""The web pages in a real headless browser (Playwright + Debian chromium).

The app runs on mongomock in a background thread (werkzeug ``make_server`` on a
free loopback port). Each shared sample is typed in input by
input, found by its label as a person would; tables get rows through
"添加一行". Screenshots go to test-output/screenshots/ (gitignored).
"""
from __future__ import annotations

import re
import threading
from pathlib import Path

import pytest

from schemas.validation import load_dossier
from service.actors import Actor
from service.app import create_app
from service.clock import utcnow
from service.storage.connection import open_mongomock
from service.storage.keys import KeyRepository

from .conftest import REPO, SHARED, load_sample

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian chromium at /usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SHOTS = REPO / "test-output" / "screenshots"
DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    from werkzeug.serving import make_server

    store = open_mongomock()
    app = create_app({"TESTING": True, "DATABASE": store.db,
                      "DOSSIER_DATA_DIR": tmp_path_factory.mktemp("web")})
    keys = KeyRepository(store.db)
    tokens = {role: keys.create(role, f"浏览器测试 {role}", utcnow())[0] for role in ("admin", "clerk")}
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{http.server_port}", "tokens": tokens, "app": app}
    http.shutdown()
    thread.join(timeout=5)
    store.close()


@pytest.fixture(scope="module")
def browser():
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(browser, server):
    """open_page(role, viewport) → a signed-in page in a fresh browser context."""
    contexts = []

    def make(role="admin", viewport=DESKTOP):
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        page.on("dialog", lambda dialog: dialog.accept())  # "删除这一行…？" → yes
        page.goto(server["url"] + "/")
        page.get_by_label("API 密钥").fill(server["tokens"][role])
        page.get_by_role("button", name="登录").click()
        page.wait_for_url(re.compile(r"/dossiers$"))
        return page
    yield make
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def service(server):
    return server["app"].extensions["dossier"].dossiers


def saved_archive_no(page) -> str:
    page.wait_for_url(re.compile(r"/dossiers/KH-\d{4}-\d{6}$"))
    return page.url.rsplit("/", 1)[1]


# -- filling in the paper forms -------------------------------------------------------
def fill_envelope(page, sample: dict) -> None:
    envelope = page.locator("#s-envelope")
    for key, label in (("region", "地区"), ("industry", "行业"), ("level", "等级（消费等级）")):
        if key in sample.get("classification", {}):
            envelope.get_by_label(label, exact=True).fill(sample["classification"][key])
    if "confidentiality" in sample:
        envelope.get_by_label("密级").select_option(sample["confidentiality"])
    consent = sample.get("consent")
    if consent:
        envelope.get_by_label("同意", exact=True).check() if consent["given"] else \
            envelope.get_by_label("不同意", exact=True).check()
        for scope in consent.get("scope", []):
            envelope.get_by_label(scope, exact=True).check()
        if "date" in consent:
            envelope.get_by_label("同意日期").fill(consent["date"])
        if "method" in consent:
            envelope.get_by_label("同意方式").fill(consent["method"])
    if "retention" in sample:
        envelope.get_by_label("保管期限（年）").fill(str(sample["retention"]["years"]))


def rows_of(table):
    """The rows of a table fieldset, not those of the tables nested in its rows."""
    return table.locator("xpath=./div[@data-rows]/fieldset[@data-row]")


def typed(value: str) -> str:
    """What a person types into the input: date-time inputs take "YYYY-MM-DDTHH:MM"."""
    return value.replace(" ", "T") if re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", value) else value


def fill_block(scope, values: dict) -> None:
    """Type every value of a (nested) sample block into the inputs found by label."""
    for label, value in values.items():
        if isinstance(value, dict):
            fill_block(scope.get_by_role("group", name=label, exact=True), value)
        elif isinstance(value, list):
            table = scope.get_by_role("group", name=label, exact=True)
            for row_values in value:
                table.get_by_role("button", name=f"添加一行（{label}）").click()
                fill_block(rows_of(table).last, row_values)
        else:
            scope.get_by_label(label, exact=True).fill(typed(str(value)))


def test_mackay66_sample_through_the_form(open_page, server):
    sample = load_sample(SHARED / "samples" / "mackay66-wang.json")
    page = open_page()
    page.get_by_role("link", name="新建档案").first.click()
    page.get_by_role("link", name=re.compile("66项完全客户档案")).click()
    assert page.get_by_role("heading", name="基本资料").is_visible()
    fill_block(page, sample["data"])
    fill_envelope(page, sample)
    shot(page, "mackay66-form-filled")
    page.get_by_role("button", name="保存档案").click()
    archive_no = saved_archive_no(page)
    assert page.get_by_text("已建立档案").is_visible()
    shot(page, "mackay66-dossier-page")

    stored = service(server).get(archive_no)
    assert stored["data"] == load_dossier(sample).data
    assert stored["confidentiality"] == "confidential"
    assert stored["consent"] == {"given": True, "scope": ["内部服务"], "date": "2026-10-12", "method": "书面"}
    assert stored["classification"] == sample["classification"]


def test_standard_sample_with_a_validation_error_fixed(open_page, server):
    sample = load_sample(SHARED / "samples" / "standard-huaxin.json")
    page = open_page()
    page.goto(server["url"] + "/dossiers/new/standard")
    fill_block(page, sample["data"])
    fill_envelope(page, sample)
    phone = page.get_by_role("group", name="联系方式").get_by_label("电话号码")
    phone.fill("0755-8363 55OO")  # letters O for zeros
    page.get_by_role("button", name="保存档案").click()

    error = page.locator("[id='e-contact.phone']")
    assert "不是有效的电话号码" in error.inner_text()
    assert page.get_by_role("alert").first.is_visible()
    assert phone.get_attribute("aria-invalid") == "true"
    assert page.get_by_label("客户姓名", exact=True).input_value() == sample["data"]["客户姓名"]
    rows = rows_of(page.get_by_role("group", name="客户交流记录", exact=True))
    assert rows.count() == 2 and rows.nth(1).get_by_label("交流方式").input_value() == "电话"
    shot(page, "standard-validation-error")

    phone.fill(sample["data"]["联系方式"]["电话号码"])
    page.get_by_role("button", name="保存档案").click()
    archive_no = saved_archive_no(page)
    shot(page, "standard-dossier-page")
    stored = service(server).get(archive_no)
    assert stored["data"] == load_dossier(sample).data
    assert stored["retention"] == {"years": 10}


def test_tablet_width_form(open_page, server):
    page = open_page(viewport=TABLET)
    page.goto(server["url"] + "/dossiers/new/consulting_client")
    rounds = page.get_by_role("group", name="沟通记录", exact=True)
    rounds.get_by_role("button", name="添加一行（沟通记录）").click()
    row = rows_of(rounds).last
    participants = row.get_by_role("group", name="客户方参与人员", exact=True)
    participants.get_by_role("button", name="添加一行（客户方参与人员）").click()
    participants.get_by_role("button", name="添加一行（客户方参与人员）").click()
    assert rows_of(participants).last.get_by_label("姓名").get_attribute("name") == \
        "rounds[0].client_participants[1].name"
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= TABLET["width"], "no sideways scrolling on a tablet"
    shot(page, "consulting-form-tablet")


def _create(server, sample_name: str) -> str:
    sample = load_sample(SHARED / "samples" / sample_name)
    actor = Actor(id="setup", role="admin")
    return service(server).create(sample, actor).document["archive_no"]


@pytest.mark.parametrize("viewport", [TABLET, {"width": 800, "height": 1100}], ids=["768", "800"])
def test_it_support_records_fit_a_tablet(open_page, server, viewport):
    """The nine columns of 问题记录 fit: no column (解决方案, the last) hidden behind a sideways scroll."""
    archive_no = _create(server, "it_support-chen.json")
    page = open_page(viewport=viewport)
    page.goto(f"{server['url']}/dossiers/{archive_no}")
    box = page.locator("#block-records .table-scroll")
    assert box.evaluate("box => box.scrollWidth <= box.clientWidth")
    shot(page, f"it-support-dossier-{viewport['width']}")


def test_edit_conflict_between_two_clerks(open_page, server):
    archive_no = _create(server, "standard-huaxin.json")
    first, second = open_page(), open_page()
    for page in (first, second):
        page.goto(f"{server['url']}/dossiers/{archive_no}/edit")
    first.get_by_label("客户姓名", exact=True).fill("深圳华信连锁超市股份有限公司")
    first.get_by_role("button", name="保存修改").click()
    first.wait_for_url(re.compile(rf"/dossiers/{archive_no}$"))

    second.get_by_role("group", name="地址信息").get_by_label("街道门牌号").fill("深南中路 3020 号")
    second.get_by_role("button", name="保存修改").click()
    conflict = second.locator("[data-conflict]")
    assert "这份档案刚被别人修改过" in conflict.inner_text()
    assert "深圳华信连锁超市股份有限公司" in conflict.inner_text()  # what the other clerk changed
    assert second.get_by_role("group", name="地址信息").get_by_label("街道门牌号").input_value() == "深南中路 3020 号"
    shot(second, "edit-conflict")
    assert service(server).get(archive_no)["version"] == 2

    second.get_by_role("button", name="保存修改").click()  # saved on top of version 2, knowingly
    second.wait_for_url(re.compile(rf"/dossiers/{archive_no}$"))
    stored = service(server).get(archive_no)
    assert stored["version"] == 3
    assert stored["data"]["client_name"] == "深圳华信连锁超市股份有限公司"
    assert stored["data"]["address"]["street"] == "深南中路 3020 号"


def test_repeating_rows_entries_and_pdf(open_page, server):
    archive_no = _create(server, "standard-huaxin.json")
    page = open_page()
    page.goto(f"{server['url']}/dossiers/{archive_no}/edit")
    purchases = page.get_by_role("group", name="客户购买记录", exact=True)
    purchases.get_by_role("button", name="添加一行（客户购买记录）").click()
    rows_of(purchases).nth(0).get_by_role("button", name="删除此行").click()  # confirm dialog
    rows = rows_of(purchases)
    assert rows.count() == 2
    assert rows.nth(1).get_by_label("购买日期").get_attribute("name") == "purchases[1].purchased_on"
    rows.nth(1).get_by_label("购买日期").fill("2026-12-01")
    rows.nth(1).get_by_label("购买产品或服务").fill("电子价签 200 片")
    page.get_by_role("button", name="保存修改").click()
    page.wait_for_url(re.compile(rf"/dossiers/{archive_no}$"))
    stored = service(server).get(archive_no)
    assert [r["product"] for r in stored["data"]["purchases"]] == ["自助收银机 SK-20", "电子价签 200 片"]

    table = page.locator("#block-complaints .table-scroll").bounding_box()
    add = page.get_by_role("link", name="添加客户投诉记录")
    assert add.bounding_box()["y"] - (table["y"] + table["height"]) >= 8, "not flush against the table"
    add.click()
    page.get_by_label("投诉日期").fill("2026-12-03")
    page.get_by_label("投诉内容").fill("门店 3 台收银机<script>alert(1)</script>离线。")
    shot(page, "entry-form")
    page.get_by_role("button", name="添加记录").click()
    page.wait_for_url(re.compile(rf"/dossiers/{archive_no}#block-complaints$"))
    assert page.get_by_text("门店 3 台收银机<script>alert(1)</script>离线。").is_visible()
    assert len(service(server).get(archive_no)["data"]["complaints"]) == 2
    page.get_by_role("link", name="第 1 版").click()
    assert page.get_by_text("您正在查看第 1 版").is_visible()
    page.get_by_role("link", name="查看当前版本").click()
    shot(page, "dossier-with-versions")

    href = page.get_by_role("link", name="打印正式档案").get_attribute("href")
    response = page.request.get(server["url"] + href)
    assert response.status == 200, response.text()[:3000]
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def test_list_search_and_filters(open_page, server):
    _create(server, "mackay66-wang.json")
    page = open_page()
    page.get_by_label("搜索").fill("王建国")
    page.get_by_label("表格").select_option("mackay66")
    page.get_by_role("button", name="查找").click()
    assert page.get_by_role("cell", name="王建国 北京华盛精密机械有限公司").first.is_visible()
    assert page.get_by_role("cell", name="深圳华信连锁超市有限公司").count() == 0
    shot(page, "list-filtered")
    page.get_by_role("button", name="退出登录").click()
    assert page.get_by_role("heading", name="登录客户档案服务").is_visible()
