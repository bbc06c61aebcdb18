"""The template definitions against the seed's paper forms and the clerks' samples.

The sample check uses a small matcher of its own (the real resolver lives in
schemas/resolve.py): a data key matches, after NFKC and with whitespace removed,
a field label or alias, "<item>.<label>" in numbered templates, a group or table
label holding its fields or rows, or, at the top level, a section label holding
its items.
"""
from __future__ import annotations

import json
import re
import unicodedata

import pytest

from schemas.model import FIELD_TYPES
from schemas.registry import all_templates, get_template
from service.samples import own_samples, shared_dir, shared_samples

try:
    from .seed_labels import SEED_LABELS
except ImportError:  # tests/ is not a package
    from seed_labels import SEED_LABELS

NAMES = {
    "broker_client", "broker_weekly_review", "broker_monthly_targets", "broker_visit_report",
    "consulting_client", "mackay66", "it_support", "standard", "property_owner",
    "client_research",
}
SNAKE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
SAMPLE_FILES = shared_samples() + own_samples()


def norm(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


def children(item):
    return item.fields if item.kind == "group" else item.columns if item.kind == "table" else ()


def printed_strings(template) -> set[str]:
    """Every string the paper form prints: labels, grid rows, choices, signatures, footnote."""
    out = set(template.signatures) | {template.footnote, template.title}
    for section in template.sections:
        out.add(section.label)
    for _, _, item in template.walk():
        out.add(item.label)
        out.update(getattr(item, "fixed_rows", ()))
        out.update(getattr(item, "choices", ()))
    return {norm(s) for s in out if s}


# --- the matcher -----------------------------------------------------------

VALUE_CHECKS = {
    "text": lambda v: isinstance(v, str),
    "longtext": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool)
    or isinstance(v, str) and v.strip().isdigit(),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "percent": lambda v: isinstance(v, (int, float)) and 0 <= v <= 100,
    "money": lambda v: isinstance(v, str) and re.fullmatch(r"-?[\d,]+(\.\d+)?", v),
    "date": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v),
    "partial_date": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", v),
    "datetime": lambda v: isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}", v),
    "phone": lambda v: isinstance(v, str) and re.fullmatch(r"[\d +\-()]+", unicodedata.normalize("NFKC", v)),
    "mobile": lambda v: isinstance(v, str) and re.fullmatch(r"1\d{10}", norm(v)),
    "email": lambda v: isinstance(v, str) and re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", v),
    "yesno": lambda v: v in ("是", "否"),
}


def names_of(item, numbered):
    names = {item.label, *getattr(item, "aliases", ())}
    if numbered and item.item is not None:
        names |= {f"{item.item}.{n}" for n in set(names)}
    return {norm(n) for n in names}


def fits(item, value) -> bool:
    if item.kind == "group":
        return isinstance(value, dict)
    if item.kind == "table":
        return isinstance(value, list) and all(isinstance(r, dict) for r in value)
    return not isinstance(value, (dict, list))


def check_value(field, value, where, errors):
    if value in ("", None):
        return
    if field.type in ("choice", "multi_choice"):
        values = value if field.type == "multi_choice" else [value]
        accepted = set(field.choices) | {alias for alias, _ in field.choice_aliases}
        if not field.allow_other and any(v not in accepted for v in values):
            errors.append(f"{where}: {value!r} not among {field.choices}")
        return
    check = VALUE_CHECKS.get(field.type)
    if check and not check(value):
        errors.append(f"{where}: {value!r} is not a valid {field.type}")


def match(items, data, numbered, where, errors, sections=()):
    """Match every key of ``data`` onto ``items`` (and, top level, ``sections``)."""
    seen = {}
    for key, value in data.items():
        here = f"{where}/{key}"
        hits = [i for i in items if norm(key) in names_of(i, numbered) and fits(i, value)]
        if not hits and isinstance(value, dict):
            for section in sections:
                if norm(key) == norm(section.label):
                    match(section.items, value, numbered, here, errors)
                    break
            else:
                errors.append(f"{here}: no template item")
            continue
        if len(hits) != 1:
            errors.append(f"{here}: {'no template item' if not hits else 'ambiguous'}")
            continue
        item = hits[0]
        if item.key in seen:
            errors.append(f"{here}: same item as {seen[item.key]!r}")
        seen[item.key] = key
        if item.kind == "group":
            match(item.fields, value, False, here, errors)
        elif item.kind == "table":
            for n, row in enumerate(value, 1):
                match(item.columns, row, False, f"{here}[{n}]", errors)
                if item.fixed_rows:
                    first = item.columns[0]
                    label = next((k for k in row if norm(k) in names_of(first, False)), None)
                    if label is None or row[label] not in item.fixed_rows:
                        errors.append(f"{here}[{n}]: row label not one of fixed_rows")
        else:
            check_value(item, value, here, errors)


def sample_errors(sample) -> list[str]:
    template = get_template(sample["template"])
    items = [i for s in template.sections for i in s.items]
    errors: list[str] = []
    match(items, sample["data"], template.numbered, "data", errors, template.sections)
    return errors


# --- tests -----------------------------------------------------------------

def test_registry_lists_all_ten_templates():
    assert set(all_templates()) == NAMES


def test_seed_labels_cover_every_template():
    assert set(SEED_LABELS) == NAMES


# Labels the paper composes from shared words rather than printing whole: the seed's wording.
COMPOSED_LABELS = {
    ("mackay66", "电话(宅)"): "电话(公):(宅)",
    ("mackay66", "若是客户未上过大学,他是否在意学位"): "若是客户未上过大学他可否在意学位",
    ("it_support", "技术支持人员姓名和工号"): "技术支持人员的姓名和工号",
    ("it_support", "处理结束时间"): "处理开始时间和结束时间",
    ("standard", "定单号"): "客户的定单",
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_seed_labels_are_the_seed_wording(name):
    """The hand-copied label lists against the seed itself, with each template's corrections undone."""
    def bare(text: str) -> str:
        return re.sub(r"[:：]", "", norm(text))

    seed = bare((shared_dir() / "seeds" / "000_ea7b793c340a0ee7.txt").read_text(encoding="utf-8"))
    corrections = [(bare(wrong), bare(right)) for wrong, right in get_template(name).corrections]
    not_in_seed = []
    for label in SEED_LABELS[name]:
        wordings = {bare(COMPOSED_LABELS.get((name, label), label))}
        for wrong, right in corrections:
            wordings |= {w.replace(right, wrong) for w in wordings}
        if not any(w in seed for w in wordings):
            not_in_seed.append(label)
    assert not_in_seed == []


@pytest.mark.parametrize("name", sorted(NAMES))
def test_every_seed_label_is_printed(name):
    printed = printed_strings(get_template(name))
    missing = [label for label in SEED_LABELS[name] if norm(label) not in printed]
    assert not missing


def _scopes(template):
    yield "sections", [s.key for s in template.sections]
    yield "top level", [i.key for s in template.sections for i in s.items]
    for _, path, item in template.walk():
        if item.kind in ("group", "table"):
            yield ".".join(path), [c.key for c in children(item)]


@pytest.mark.parametrize("name", sorted(NAMES))
def test_keys_are_snake_case_and_unique_per_scope(name):
    template = get_template(name)
    for scope, keys in _scopes(template):
        assert all(SNAKE.match(k) for k in keys), (scope, keys)
        assert len(keys) == len(set(keys)), (scope, keys)
    top = {i.key for s in template.sections for i in s.items}
    assert not top & {s.key for s in template.sections}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_input_names_are_unambiguous_per_scope(name):
    """Labels and aliases name one item per scope; numbered forms by "<item>.<label>"."""
    template = get_template(name)
    scopes = [([i for s in template.sections for i in s.items], template.numbered)]
    scopes += [(children(i), False) for _, _, i in template.walk() if i.kind in ("group", "table")]
    for items, numbered in scopes:
        names = [n for i in items for n in names_of(i, numbered) if not numbered or "." in n]
        assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)


@pytest.mark.parametrize("name", sorted(NAMES))
def test_definition_is_consistent(name):
    template = get_template(name)
    top_fields = {i.key for s in template.sections for i in s.items if i.kind == "field"}
    assert template.name == name
    assert set(template.must_have) <= top_fields
    assert set(template.name_fields) <= top_fields
    for section in template.sections:
        assert section.threshold is None or 0 < section.threshold <= 1
    for _, _, item in template.walk():
        if item.kind == "field":
            assert item.type in FIELD_TYPES, item
            assert bool(item.choices) == (item.type in ("choice", "multi_choice")), item
        if item.kind == "table" and item.fixed_rows:
            assert item.columns[0].kind == "field"
    for seed, corrected in template.corrections:
        assert seed != corrected


@pytest.mark.parametrize("name", sorted(NAMES))
def test_corrected_labels_accept_the_seed_wording(name):
    template = get_template(name)
    fields = [i for _, _, i in template.walk() if i.kind == "field"]
    for seed, corrected in template.corrections:
        for field in (f for f in fields if norm(corrected) in norm(f.label)):
            assert any(norm(seed) in norm(a) for a in field.aliases), (field.label, seed)


@pytest.mark.parametrize("path", SAMPLE_FILES, ids=lambda p: p.name)
def test_sample_maps_onto_its_template(path):
    sample = json.loads(path.read_text(encoding="utf-8"))
    assert sample["template"] in NAMES
    assert path.name.startswith(sample["template"] + "-")
    assert sample_errors(sample) == []


def test_every_template_has_a_sample():
    assert {p.name.split("-")[0] for p in SAMPLE_FILES} == NAMES


def test_matcher_rejects_unknown_and_misshapen_keys():
    errors = sample_errors({"template": "standard", "data": {
        "客户姓名": {"nested": 1}, "不存在的栏目": "x", "合同信息": {"合同编号": "1"},
    }})
    assert len(errors) == 3


def test_mackay66_numbers_items_1_to_66():
    template = get_template("mackay66")
    assert template.numbered
    assert [s.label for s in template.sections] == [
        "基本资料", "教育背景", "家庭背景", "业务背景资料", "特别兴趣", "生活方式", "客户和你"]
    items = [i for s in template.sections for i in s.items]
    assert all(i.item is not None for i in items)
    numbers = [i.item for i in items]
    assert sorted(set(numbers)) == list(range(1, 67))
    assert numbers == sorted(numbers)


def test_mackay66_confidential_items():
    template = get_template("mackay66")
    secret = {i.item for _, _, i in template.walk() if i.kind == "field" and i.confidential}
    assert {6, 38, 40} <= secret


def test_client_research_completeness_rules():
    template = get_template("client_research")
    thresholds = {s.key: s.threshold for s in template.sections if s.threshold}
    assert sorted(thresholds.values()) == [0.5, 0.7]
    labels = {i.key: i.label for s in template.sections for i in s.items}
    assert {labels[k] for k in template.must_have} == {"姓名", "性别", "职务", "联系方式", "话语权"}


@pytest.mark.parametrize("name,table", [
    ("consulting_client", "rounds"), ("it_support", "records"), ("standard", "communications"),
    ("standard", "purchases"), ("standard", "complaints"), ("standard", "transactions"),
    ("broker_visit_report", "visits"), ("property_owner", "repairs"),
])
def test_growing_blocks_are_entry_tables(name, table):
    tables = {i.key: i for _, path, i in get_template(name).tables() if len(path) == 1}
    assert tables[table].entry


# --- aliases: the seed's other wordings ---------------------------------------------------

def test_choice_aliases_are_stored_as_the_choice_and_documented():
    from schemas.jsonschema import json_schema
    from schemas.validation import DossierInvalid, load_dossier
    loaded = load_dossier({"template": "consulting_client", "data": {
        "企业名称": "绿源", "客户来源": "其他",
        "沟通记录": [{"沟通方式": "经邦上门"}, {"沟通方式": "和一上门"}, {"沟通方式": "客户上门"}]}})
    assert [r["mode"] for r in loaded.data["rounds"]] == ["我方上门", "我方上门", "客户上门"]
    assert loaded.data["source"] == "其它" and loaded.warnings == []
    mode = json_schema(get_template("consulting_client"))["properties"]["rounds"]["items"]["properties"]["mode"]
    assert mode["enum"] == ["客户上门", "我方上门", "现场沟通"]
    assert mode["x-choice-aliases"] == {"经邦上门": "我方上门", "和一上门": "我方上门"}
    with pytest.raises(DossierInvalid):
        load_dossier({"template": "consulting_client", "data": {"企业名称": "绿源", "沟通记录": [{"沟通方式": "电话"}]}})


def test_every_choice_alias_names_a_choice():
    for name in NAMES:
        for _, _, item in get_template(name).walk():
            for alias, choice in getattr(item, "choice_aliases", ()):
                assert choice in item.choices and alias not in item.choices, (name, item.key, alias)


@pytest.mark.parametrize("name, data, key", [
    ("standard", {"客户姓名": "华信", "沟通记录": [{"交流方式": "电话"}]}, "communications"),
    ("standard", {"客户姓名": "华信", "交流记录": [{"交流方式": "面谈"}]}, "communications"),
    ("client_research", {"公司名称": "博瑞", "姓名": "顾文斌", "第二主管人资料(与本公司业务话语权占70%)": {"姓名": "沈洁"}},
     "second_manager"),
    ("client_research", {"公司名称": "博瑞", "姓名": "顾文斌", "第三主管人资料（与本公司业务话语权占50%）.话语权": 50}, "third_manager"),
])
def test_group_and_table_aliases_resolve(name, data, key):
    from schemas.jsonschema import json_schema
    from schemas.validation import load_dossier
    loaded = load_dossier({"template": name, "data": data})
    assert key in loaded.data and loaded.extra == []
    assert json_schema(get_template(name))["properties"][key]["x-aliases"]


def test_a_field_inside_a_group_answers_to_its_bare_label():
    from schemas.validation import load_dossier
    loaded = load_dossier({"template": "standard", "data": {
        "客户姓名": "华信", "电话号码": "0755-8363 5500", "省市区": "广东省深圳市", "所属行业": "零售"}})
    assert loaded.extra == []
    assert loaded.data["contact"]["phone"] == "0755-8363 5500"
    assert loaded.data["address"]["region"] == "广东省深圳市"


def test_bare_labels_never_reach_into_a_group_about_another_person():
    """操盘人资料 describes the trader, not the client: its 电话 and 职称 stay qualified."""
    from schemas.validation import load_dossier
    loaded = load_dossier({"template": "broker_client", "data": {"姓名": "x", "电话": "139 1688 2046", "职称": "董事长"}})
    assert "trader" not in loaded.data
    assert {e["name"] for e in loaded.extra} == {"电话", "职称"}


def test_a_bare_group_label_never_shadows_a_field_of_the_level_above():
    """broker_client has 姓名 at the top and inside 操盘人资料: the bare name stays the client's."""
    from schemas.validation import load_dossier
    loaded = load_dossier({"template": "broker_client", "data": {"姓名": "赵丽华"}})
    assert loaded.data["name"] == "赵丽华" and "trader" not in loaded.data


@pytest.mark.parametrize("typed, stored", [("0999-05-05 10:00", "0999-05-05 10:00"), ("2026-11-02 09:15:59", "2026-11-02 09:15")])
def test_date_times_are_stored_in_one_fixed_width_form(typed, stored):
    from schemas.validation import load_dossier
    loaded = load_dossier({"template": "it_support", "data": {"客户姓名": "c", "问题记录": [{"处理开始时间": typed}]}})
    assert loaded.data["records"][0]["started_at"] == stored


def test_a_second_past_59_is_not_a_time():
    from schemas.validation import DossierInvalid, load_dossier
    with pytest.raises(DossierInvalid) as caught:
        load_dossier({"template": "it_support", "data": {"客户姓名": "c", "问题记录": [{"处理开始时间": "2026-11-02 09:15:60"}]}})
    assert "不是存在的时间" in str(caught.value.fields)


def test_every_form_has_its_own_name_on_screen():
    """Two paper forms print 客户档案; lists, pickers, sheets and file names must still tell them apart."""
    shown = [t.display_title for t in all_templates().values()]
    assert len(shown) == len(set(shown))
