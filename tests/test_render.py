"""The official archive copy (service.render): content, safety, layout on paper.

PDF text is read back with poppler's ``pdftotext`` (pages split on form feeds),
compared with all whitespace removed, since labels may wrap inside their cells.
"""
from __future__ import annotations

import io
import json
import re
import subprocess
from datetime import datetime, timezone

import orjson
import pytest
from jinja2 import ChoiceLoader, FileSystemLoader
from pypdf import PdfReader

from schemas.model import Field, Section, Table, Template
from schemas.registry import all_templates, get_template
from service.render import document_hash, markup, render_official_copy
from service.render.fetcher import TEMPLATES_DIR, FetchRefused, SafeFetcher

PRINTED_AT = datetime(2026, 10, 12, 6, 30, tzinfo=timezone.utc)   # 14:30 in Shanghai
A4_WIDTH_PT = 595.28
SIDE_MARGIN_PT = 14 * 72 / 25.4


def broker_document(**changes) -> dict:
    """A realistic stored broker_client dossier (confidential values masked by the caller)."""
    document = {
        "_id": "KH-2026-000123", "archive_no": "KH-2026-000123", "template": "broker_client",
        "version": 3, "status": "active", "confidentiality": "normal",
        "classification": {"region": "上海", "industry": "金融", "level": "A"},
        "consent": {"given": True, "scope": ["内部服务"], "date": "2026-10-01", "method": "书面"},
        "data": {
            "name": "赵明远", "age": 52, "education": "硕士研究生", "account_sh": "***",
            "account_sz": "***", "phone_office": "021-6888 1234", "phone_home": "021-5432 8765",
            "address": "上海市浦东新区世纪大道100号环球金融中心58楼", "employer": "上海远航投资管理有限公司",
            "income_estimate": "***", "family": "妻子、一子一女", "hobbies": "高尔夫、围棋",
            "investing_since": "1998年",
            "investment_goals": "稳健增值，年化目标8%。\n法规限制：窗口期内不得交易本公司股票。",
            "portfolio": {"stocks": 40, "bonds": 25, "insurance": 5, "bank": 10,
                          "real_estate": 10, "futures": 0, "industry": 5, "other": 5},
            "trader": {"name": "李晓", "title": "投资顾问", "age": 35, "address": "上海市黄浦区",
                       "phone": "13800138000", "preferences": "技术分析",
                       "relation": "本公司员工", "remarks": "每月回访一次"},
            "prepared_by": "王经纪",
        },
        "extra": [{"path": "基本资料", "name": "微信", "value": "zhao_my"}],
        "completeness": {"overall": 0.93, "sections": {"basic": 1.0}, "missing": []},
        "search_text": "赵明远",
        "created_at": datetime(2026, 10, 1, 2, 3, 4), "created_by": "key-1",
        "updated_at": datetime(2026, 10, 11, 8, 0, 0), "updated_by": "key-1",
    }
    data = changes.pop("data", {})
    document.update(changes)
    document["data"] = {**document["data"], **data}
    return document


def render(document: dict, template: Template | None = None, **kwargs) -> bytes:
    template = template or get_template(document["template"])
    kwargs.setdefault("printed_at", PRINTED_AT)
    kwargs.setdefault("verify_url", f"https://dossier.example.cn/verify/{document['archive_no']}"
                                    f"?h={document_hash(document)}")
    return render_official_copy(document, template, **kwargs)


def pdf_pages(pdf: bytes, layout: bool = False) -> list[str]:
    """Text per page; ``layout`` keeps table rows on one line (cells in column order)."""
    options = ["-layout"] if layout else []
    out = subprocess.run(["pdftotext", *options, "-enc", "UTF-8", "-", "-"], input=pdf,
                         capture_output=True, check=True).stdout.decode("utf-8")
    return [squash(page) for page in out.split("\f")[:-1]]


def big_text(pdf: bytes, min_height: float = 60.0) -> list[str]:
    """Per page, the text printed in very large type (the watermark), from pdftotext -bbox."""
    out = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf,
                         capture_output=True, check=True).stdout.decode("utf-8")
    word = re.compile(r'<word xMin="[\d.]+" yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>')
    return ["".join(text for y0, y1, text in word.findall(page) if float(y1) - float(y0) >= min_height)
            for page in out.split("<page ")[1:]]


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def labels(template: Template) -> set[str]:
    found = {section.label for section in template.sections}
    found |= {item.label for _, _, item in template.walk()}
    return found | set(template.signatures)


def printed(label: str, text: str, template: Template) -> bool:
    """A label is on the page, or (for a field signed at the foot) one of its paper aliases."""
    if squash(label) in text:
        return True
    aliases = [a for _, _, item in template.walk() if item.label == label
               for a in getattr(item, "aliases", ())]
    return any(squash(a) in text for a in aliases)


@pytest.fixture(scope="module")
def broker_pdf() -> bytes:
    return render(broker_document(), serial="FB-0007")


# ---- the copy itself -------------------------------------------------------------------

def test_is_a_pdf_a_3b_with_the_dossier_attached(broker_pdf):
    assert broker_pdf.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(broker_pdf))
    assert list(reader.attachments) == ["KH-2026-000123.json"]
    attached = json.loads(reader.attachments["KH-2026-000123.json"][0])
    assert attached["archive_no"] == "KH-2026-000123"
    assert attached["data"]["name"] == "赵明远"
    assert attached["created_at"].startswith("2026-10-01T02:03:04")   # datetimes as ISO
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", xmp) and re.search(r"pdfaid:conformance(>|=\")B", xmp)


def test_a4_pages_with_header_and_footer_on_every_page(broker_pdf):
    reader = PdfReader(io.BytesIO(broker_pdf))
    pages = pdf_pages(broker_pdf)
    assert len(pages) == len(reader.pages) >= 1
    for number, (page, text) in enumerate(zip(reader.pages, pages), start=1):
        assert abs(float(page.mediabox.width) - A4_WIDTH_PT) < 1
        assert f"第{number}页共{len(pages)}页" in text
        assert "档案编号KH-2026-000123" in text and "版本3" in text
        assert "打印时间2026-10-12" + "14:30" in text      # Asia/Shanghai
        assert "复本编号FB-0007" in text


def test_text_holds_title_every_label_and_the_values(broker_pdf):
    template = get_template("broker_client")
    text = "".join(pdf_pages(broker_pdf))
    assert squash(template.title) in text
    missing = [label for label in labels(template) if not printed(label, text, template)]
    assert not missing
    for value in ("赵明远", "上海远航投资管理有限公司", "021-68881234", "***", "13800138000",
                  "窗口期内不得交易本公司股票", "王经纪", "zhao_my", "完整度93%", "其他信息(表外字段)"):
        assert squash(value) in text, value


def test_verification_code_and_qr_code(broker_pdf):
    document = broker_document()
    text = "".join(pdf_pages(broker_pdf))
    assert "校验码" + document_hash(document)[:16] in text
    first_page = PdfReader(io.BytesIO(broker_pdf)).pages[0]
    assert len(first_page.images) == 1                   # the QR code, inline


def test_signature_line_and_empty_fields_stay_as_blank_space():
    template = get_template("broker_client")
    pdf = render(broker_document(data={"hobbies": "", "family": None}))
    text = "".join(pdf_pages(pdf))
    assert "制表人:" in text and "王经纪" in text and "年月日" in text
    assert "家庭成员" in text and "兴趣爱好" in text
    assert all(printed(label, text, template) for label in labels(template))


# ---- watermark -------------------------------------------------------------------------

@pytest.mark.parametrize("confidentiality, mark, other", [
    ("confidential", "机密", "绝密"), ("secret", "绝密", "机密")])
def test_watermark_on_every_page_from_confidential_up(confidentiality, mark, other):
    long = "客户长期投资规划说明。" * 400
    pdf = render(broker_document(confidentiality=confidentiality, data={"investment_goals": long}))
    pages = pdf_pages(pdf)
    assert len(pages) >= 2
    assert [sorted(text) for text in big_text(pdf)] == [sorted(mark)] * len(pages)  # any order
    assert f"密级{mark}" in pages[0]
    assert other not in "".join(pages)


def test_no_watermark_for_normal(broker_pdf):
    text = "".join(pdf_pages(broker_pdf))
    assert "机密" not in text and "绝密" not in text
    assert "密级普通" in text
    assert set(big_text(broker_pdf)) == {""}


# ---- safety ----------------------------------------------------------------------------

HOSTILE = {
    "name": "<script>alert(1)</script>",
    "address": '<img src="file:///etc/passwd">',
    "employer": '<link rel="stylesheet" href="http://evil.example/x.css">',
    "hobbies": "url(http://evil.example/a.png) &amp; {{ 7*7 }}",
}


def test_user_text_is_escaped_and_nothing_is_fetched(monkeypatch):
    fetched = []
    original = SafeFetcher.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(SafeFetcher, "fetch", spy)
    text = "".join(pdf_pages(render(broker_document(data=HOSTILE))))
    for value in HOSTILE.values():
        assert squash(value) in text, value
    assert all(url.startswith("data:") for url in fetched), fetched


@pytest.mark.parametrize("url", [
    "http://example.com/logo.png",
    "https://example.com/font.woff2",
    "ftp://example.com/x",
    "file:///etc/passwd",
    (TEMPLATES_DIR / ".." / "pyproject.toml").as_uri(),
    "file://" + str(TEMPLATES_DIR) + "/../pyproject.toml",
    "file://evil.example" + str(TEMPLATES_DIR / "official.css"),
    "javascript:alert(1)",
])
def test_fetcher_refuses_everything_but_data_and_template_files(url):
    with pytest.raises(FetchRefused):
        SafeFetcher().fetch(url)


def test_fetcher_allows_data_uris_and_files_inside_pdf_templates():
    assert SafeFetcher().fetch("data:text/plain,ok").read() == b"ok"
    css = SafeFetcher().fetch((TEMPLATES_DIR / "official.css").as_uri())
    assert b"@page" in css.read()


# ---- paper layout: wrapping, page breaks, forms ------------------------------------------

def assert_nothing_overflows(pdf: bytes) -> None:
    """Every word lies within the printable width (pdftotext -bbox)."""
    html = subprocess.run(["pdftotext", "-bbox", "-", "-"], input=pdf,
                          capture_output=True, check=True).stdout.decode("utf-8")
    right = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', html))
    left = min(float(x) for x in re.findall(r'xMin="([\d.]+)"', html))
    assert left >= SIDE_MARGIN_PT - 1 and right <= A4_WIDTH_PT - SIDE_MARGIN_PT + 1, (left, right)


def test_long_text_wraps_inside_its_cell_and_flows_over_pages():
    long = ("档案管理" * 1200) + "X" * 200 + "-" + "https://example.com/" + "a" * 300
    assert len(long) >= 5000
    pdf = render(broker_document(data={"investment_goals": long, "employer": "W" * 300}))
    pages = pdf_pages(pdf)
    assert len(pages) >= 3
    assert_nothing_overflows(pdf)
    text = "".join(pages)
    assert text.count("档案管理") >= 1150           # all of it printed, none cut off


def visits_template() -> Template:
    return Template(
        name="render_test_visits", title="测试拜访记录表",
        sections=(Section("visits", "拜访记录", (
            Table("visits", "拜访记录", columns=(
                Field("visited_on", "拜访日期", "date"),
                Field("client", "客户名称"),
                Field("phone", "联系电话", "phone"),
                Field("notes", "探访记录", "longtext"),
            )),
        )),),
    )


def test_a_200_row_table_splits_over_pages_with_its_header_repeated():
    rows = [{"visited_on": f"2026-10-{1 + i % 28:02d}", "client": f"客户{i:03d}",
             "phone": "021-6888 1234", "notes": "介绍新产品，客户有意向。"} for i in range(200)]
    document = {"archive_no": "KH-2026-000200", "template": "render_test_visits", "version": 1,
                "confidentiality": "normal", "data": {"visits": rows}}
    pdf = render(document, visits_template())
    pages = pdf_pages(pdf, layout=True)
    assert len(pages) >= 4
    assert sum(page.count("拜访日期客户名称联系电话探访记录") for page in pages) >= len(pages)
    assert all("拜访日期" in page for page in pages)
    assert "客户000" in pages[0] and "客户199" in pages[-1]
    assert_nothing_overflows(pdf)


def test_numbered_form_prints_item_numbers():
    template = get_template("mackay66")
    document = {"archive_no": "KH-2026-000066", "template": "mackay66", "version": 1,
                "confidentiality": "normal", "data": {"name": "王建国"}}
    text = "".join(pdf_pages(render(document)))
    assert "1.姓名" in text and "王建国" in text
    assert "66." in text and "3.电话(公)" in text
    assert all(printed(label, text, template) for label in labels(template))


def test_fixed_rows_print_every_row_label_even_without_data():
    template = get_template("broker_weekly_review")
    document = {"archive_no": "KH-2026-000009", "template": template.name, "version": 1,
                "confidentiality": "normal",
                "data": {"name": "周敏", "review": [{"item": "新开户数(户)", "last_week_target": 10,
                                                     "last_week_result": 7}]}}
    text = "".join(pdf_pages(render(document), layout=True))
    table = next(t for _, _, t in template.tables() if t.fixed_rows)
    for row in table.fixed_rows:
        assert squash(row) in text
    assert "新开户数(户)107" in text


def test_row_label_tables_print_one_titled_block_per_row():
    template = get_template("consulting_client")
    rounds = [{"consultant": "郑云", "client_participants": [{"name": "黄志远", "position": "董事长"}]},
              {"consultant": "郑云", "minutes": "现场调研。"}]
    document = {"archive_no": "KH-2026-000010", "template": template.name, "version": 1,
                "confidentiality": "normal", "data": {"company_name": "江西绿源", "rounds": rounds}}
    text = "".join(pdf_pages(render(document)))
    assert "第一次沟通" in text and "第二次沟通" in text and "第三次沟通" not in text
    assert "黄志远" in text and "现场调研" in text


def test_layout_override_is_used_when_the_file_exists(tmp_path, monkeypatch):
    layouts = tmp_path / "layouts"
    layouts.mkdir()
    (layouts / "render_test_visits.html").write_text(
        '{% extends "base.html" %}{% block body %}<p>专用版式 {{ template.title }}</p>{% endblock %}',
        encoding="utf-8")
    monkeypatch.setattr(markup, "TEMPLATES_DIR", tmp_path)
    monkeypatch.setattr(markup.ENV, "loader", ChoiceLoader([FileSystemLoader(str(tmp_path)),
                                                            markup.ENV.loader]))
    markup.ENV.cache.clear()
    document = {"archive_no": "KH-2026-000011", "template": "render_test_visits", "version": 1,
                "confidentiality": "normal", "data": {}}
    try:
        text = "".join(pdf_pages(render(document, visits_template())))
    finally:
        markup.ENV.cache.clear()
    assert "专用版式测试拜访记录表" in text and "档案编号KH-2026-000011" in text


def test_generic_layout_when_no_override_exists():
    assert markup.layout_name(get_template("broker_client")) == "generic.html"
    assert markup.layout_name(visits_template()) == "generic.html"


@pytest.mark.parametrize("name", sorted(all_templates()))
def test_every_template_renders_empty_with_every_label(name):
    template = get_template(name)
    document = {"archive_no": "KH-2026-000001", "template": name, "version": 1,
                "confidentiality": "normal", "data": {}}
    pdf = render(document)
    assert pdf.startswith(b"%PDF")
    text = "".join(pdf_pages(pdf))
    assert squash(template.title) in text
    missing = [label for label in labels(template) if not printed(label, text, template)]
    assert not missing, missing


# ---- fingerprint -----------------------------------------------------------------------

def test_document_hash_covers_the_stored_content_only():
    document = broker_document()
    digest = document_hash(document)
    assert re.fullmatch(r"[0-9a-f]{64}", digest)
    reordered = dict(reversed(list(document.items())))
    assert document_hash(reordered) == digest
    assert document_hash({**document, "updated_at": datetime.now(), "search_text": "x"}) == digest
    assert document_hash(broker_document(data={"age": 53})) != digest
    assert document_hash(broker_document(version=4)) != digest
    assert document_hash(broker_document(confidentiality="secret")) != digest
    content = {k: document[k] for k in ("archive_no", "template", "version", "classification",
                                        "confidentiality", "data", "extra")}
    import hashlib
    assert digest == hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()


# ---- the paper's tick boxes, heading lines and the visit report ---------------------------

def ticks(text: str) -> str:
    """A ticked box is □ with √ drawn over it; text extraction gives □√, √□ or just √ (poppler
    drops overlapping glyphs): read every one of them as √."""
    return text.replace("□√", "√").replace("√□", "√")


def pdf_fonts(pdf: bytes) -> list[str]:
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return [line.split()[0] for line in out.splitlines()[2:] if line.strip()]


def test_choices_print_as_a_tick_box_line_from_the_one_cjk_face():
    """☑ 转介绍 ☐ 金总讲课: □ with √ over it, both glyphs of the CJK face (no ☑/☐ fallback font)."""
    template = get_template("consulting_client")
    document = {"archive_no": "KH-2026-000012", "template": template.name, "version": 1,
                "confidentiality": "normal",
                "data": {"company_name": "江西绿源", "source": "转介绍",
                         "rounds": [{"mode": "我方上门"}, {"mode": "现场沟通"}]}}
    pdf = render(document)
    text = ticks("".join(pdf_pages(pdf, layout=True)))
    assert "□金总讲课√转介绍□中介□其它" in text
    assert "□客户上门√我方上门□现场沟通" in text and "□客户上门□我方上门√现场沟通" in text
    assert "☑" not in text and "☐" not in text
    families = {re.sub(r"^[A-Z]{6}\+", "", name) for name in pdf_fonts(pdf)}
    assert not any("DejaVu" in f or "Symbol" in f for f in families), families
    assert len(families) <= 2, families       # the CJK face (and the stamp face), nothing for the boxes


def test_checklists_tick_what_was_received():
    template = get_template("property_owner")
    document = {"archive_no": "KH-2026-000013", "template": template.name, "version": 1,
                "confidentiality": "normal",
                "data": {"room_no": "1802", "owner_name": "林海燕",
                         "owner_index": {"received": "是", "date": "2026-03-18", "copies": 1},
                         "owner_id_copy": {"received": "否"},
                         "daily_repairs": {"received": "是", "copies": 3}}}
    text = ticks("".join(pdf_pages(render(document), layout=True)))
    assert "业主档案索引√已收到2026-03-181" in text
    assert "业主身份证件复印件□" in text and "业主身份证件复印件√" not in text
    # a lone document block of the checklists' shape is a checklist row too, not a grid
    assert "日常维修资料√已收到3" in text


def test_inline_header_and_hinted_blocks():
    review = {"archive_no": "KH-2026-000014", "template": "broker_weekly_review", "version": 1,
              "confidentiality": "normal",
              "data": {"year": 2026, "month": 11, "week": 3, "filled_on": "2026-11-20", "name": "周敏"}}
    text = "".join(pdf_pages(render(review), layout=True))
    assert "年:2026月:11第几周:3填写日期:2026-11-20姓名:周敏" in text
    research = {"archive_no": "KH-2026-000015", "template": "client_research", "version": 1,
                "confidentiality": "normal", "data": {"company_name": "博瑞", "say": 40}}
    text = "".join(pdf_pages(render(research)))
    assert "第二主管人资料(与本公司业务话语权占70%)" in text and "第三主管人资料(与本公司业务话语权占50%)" in text
    assert "话语权40%" in text


def test_visit_report_prints_the_week_as_on_paper():
    template = get_template("broker_visit_report")
    assert markup.layout_name(template) == "layouts/broker_visit_report.html"
    document = {"archive_no": "KH-2026-000016", "template": template.name, "version": 1,
                "confidentiality": "normal",
                "data": {"broker_name": "周敏", "date_from": "2026-11-16", "date_to": "2026-11-20",
                         "visits": [{"visited_on": "2026-11-16", "existing_client": "是",
                                     "client": [{"company": "申达", "title": "总监", "name": "赵丽华"}]}]}}
    pdf = render(document)
    pages = pdf_pages(pdf, layout=True)
    assert len(pages) == 1
    text = ticks(pages[0])
    assert "证券经纪人:周敏" in text and "日期:2026年11月16日至2026年11月20日" in text
    assert "2026-11-16申达总监赵丽华√" in text
    assert text.index("探访记录") < text.index("说明:请填写本周完成拜访之客户,并于每周五送交主管核阅。")
    html = markup.render_html(document, template, printed_at=PRINTED_AT, verify_url="https://x.example/v")
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    assert body.count("<tr>") == 8                 # the visit and seven ruled lines left blank
