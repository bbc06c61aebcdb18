"""The main job end to end on the REAL embedded store (nx-27017 on SQLite), not mongomock.

Every sample of shared/samples and samples/ is posted unchanged, read back equal (by label,
allowing only the documented normalisations), printed (every label of its template and
every value of the sample appear in the PDF text) and survives a restart. The CLI imports,
renders and makes keys against the same kind of store.
"""
from __future__ import annotations

import json
import re
import subprocess
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from schemas.model import Field, Group
from schemas.registry import get_template
from service.app import create_app
from service.cli import main as cli

from .conftest import OWN_SAMPLES, SHARED_SAMPLES, load_sample
from .seed_labels import SEED_LABELS

SAMPLES = SHARED_SAMPLES + OWN_SAMPLES
DOSSIERS = "/api/v1/dossiers"
ARCHIVE_NO = re.compile(r"^KH-\d{4}-(\d{6})$")


def test_samples_are_present():
    assert len(SHARED_SAMPLES) >= 6 and len(OWN_SAMPLES) >= 4
    names = {load_sample(p)["template"] for p in SAMPLES}
    assert len(names) == 10  # every template has a real sample


# -- the app on the embedded server -------------------------------------------------

def embedded_app(data_dir: Path):
    app = create_app({"TESTING": True, "DOSSIER_DATA_DIR": data_dir, "MONGODB_URI": None})
    store = app.extensions["dossier"].store
    assert store is not None and store.server is not None and store.server.running  # really embedded
    return app


def close(app) -> None:
    app.extensions["dossier"].store.close()


def admin_headers(app) -> dict:
    from service.clock import utcnow
    token, _ = app.extensions["dossier"].keys.create("admin", "e2e", utcnow())
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    app = embedded_app(tmp_path_factory.mktemp("e2e"))
    try:
        yield app, app.test_client(), admin_headers(app)
    finally:
        close(app)


# -- the sample, matched onto the template independently of schemas/resolve.py -------

def norm(text) -> str:
    return "".join(unicodedata.normalize("NFKC", str(text)).split())


def names_of(item) -> set[str]:
    names = {item.key, item.label, *getattr(item, "aliases", ())}
    if item.item is not None:
        names |= {f"{item.item}.{n}" for n in (item.label, *getattr(item, "aliases", ()))}
    return {norm(n) for n in names}


def children(item):
    return item.fields if isinstance(item, Group) else item.columns


def leaves(items, data: dict, path: tuple, sections=()):
    """Yield (key path, field, sample value) for every leaf value of the sample."""
    for name, value in data.items():
        hits = [i for i in items if norm(name) in names_of(i)]
        if not hits:
            section = [s for s in sections if norm(name) in {norm(s.label), norm(s.key)}]
            assert len(section) == 1 and isinstance(value, dict), f"{name!r} matches nothing in the template"
            yield from leaves(section[0].items, value, path)
            continue
        assert len(hits) == 1, f"{name!r} is ambiguous: {[h.key for h in hits]}"
        item = hits[0]
        if isinstance(item, Field):
            yield path + (item.key,), item, value
        elif isinstance(item, Group):
            yield from leaves(item.fields, value, path + (item.key,))
        else:
            for index, row in enumerate(value):
                yield from leaves(item.columns, row, path + (item.key, index))


def sample_leaves(template, data):
    return list(leaves([i for s in template.sections for i in s.items], data, (), template.sections))


def blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def expected(field: Field, value):
    """The sample's value after the documented normalisations only."""
    if field.type == "integer" and isinstance(value, str):
        return int(value)                                # numeric strings for integer fields
    if field.type in ("date", "partial_date") and isinstance(value, str):
        parts = re.split(r"[-./年月日]", unicodedata.normalize("NFKC", value).strip())
        parts = [p for p in parts if p]
        return "-".join([parts[0]] + [f"{int(p):02d}" for p in parts[1:]])   # dates canonical
    if field.type == "datetime":
        return value.strip()
    if field.type in ("phone", "mobile"):
        return " ".join(unicodedata.normalize("NFKC", value).split())
    if isinstance(value, str):
        return value.strip()
    return value


def at(data, path):
    for key in path:
        data = data[key]
    return data


def stored_leaves(template, data: dict, path=(), items=None) -> list[tuple]:
    """Every leaf value actually stored, as key paths."""
    found = []
    items = items if items is not None else [i for s in template.sections for i in s.items]
    by_key = {i.key: i for i in items}
    for key, value in data.items():
        item = by_key[key]
        if isinstance(item, Field):
            found.append(path + (key,))
        elif isinstance(item, Group):
            found += stored_leaves(template, value, path + (key,), list(item.fields))
        else:
            for index, row in enumerate(value):
                found += stored_leaves(template, row, path + (key, index), list(item.columns))
    return found


# -- the PDF text ---------------------------------------------------------------------

def pdf_texts(path: Path) -> tuple[str, str]:
    """(layout text, reading-order text), white space removed and NFKC-normalised."""
    outputs = []
    for args in (["-layout"], []):
        text = subprocess.run(["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True).stdout
        outputs.append(norm(text))
    return outputs[0], outputs[1]


def printed_forms(value) -> set[str]:
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        y, m, d = value.split("-")  # signature lines print dates as the paper has them: 2026 年 11 月 26 日
        return {value, f"{y}年{m}月{d}日", f"{y}年{int(m)}月{int(d)}日"}
    if isinstance(value, bool):
        return {"是" if value else "否"}
    if isinstance(value, float):
        forms = {f"{value:g}", str(value)}
        if value.is_integer():
            forms.add(str(int(value)))
        return forms
    return {norm(value)}


def seed_label_printed(label: str, text: str) -> bool:
    """A label of the paper form is on the copy; the bare date line "年 月 日" counts when
    it is filled in (2026年11月26日)."""
    if re.fullmatch(r"年\s*月\s*日", label):
        return re.search(r"年\d*月\d*日", text) is not None
    return norm(label) in text


def template_labels(template) -> set[str]:
    labels = {s.label for s in template.sections}
    labels |= {item.label for _s, _p, item in template.walk()}
    return {norm(label) for label in labels if label}


# -- the tests --------------------------------------------------------------------------

@pytest.mark.parametrize("sample_path", SAMPLES, ids=[p.name for p in SAMPLES])
def test_sample_posts_reads_back_and_prints(server, tmp_path, sample_path):
    app, client, admin = server
    sample = load_sample(sample_path)
    original = json.dumps(sample, sort_keys=True)
    template = get_template(sample["template"])

    response = client.post(DOSSIERS, json=sample, headers=admin)
    assert response.status_code == 201, response.get_json()
    created = response.get_json()
    assert created["warnings"] == [] and created["extra"] == []
    assert ARCHIVE_NO.match(created["archive_no"])
    assert json.dumps(sample, sort_keys=True) == original  # the input is not mutated

    read = client.get(response.headers["Location"], headers=admin)
    assert read.status_code == 200
    stored = read.get_json()
    assert stored["data"] == created["data"] and stored["version"] == 1
    for part in ("classification", "confidentiality", "retention"):
        if part in sample:
            assert stored[part] == sample[part], part
    if "consent" in sample:
        assert {k: stored["consent"][k] for k in sample["consent"]} == sample["consent"]

    # every value of the sample, by label, equals the value stored under the resolved key
    pairs = sample_leaves(template, sample["data"])
    filled = [(path, field, value) for path, field, value in pairs if not blank(value)]
    for path, field, value in filled:
        assert at(stored["data"], path) == expected(field, value), (path, value)
    for path, _field, value in pairs:
        if blank(value):
            with pytest.raises((KeyError, IndexError)):
                at(stored["data"], path)  # blanks are dropped
    assert sorted(map(str, stored_leaves(template, stored["data"]))) == sorted(str(p) for p, _f, _v in filled)

    # print it: every label of the template and every value of the sample appear in the PDF
    pdf = client.get(f"{DOSSIERS}/{created['archive_no']}/pdf", headers=admin)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    path = tmp_path / f"{created['archive_no']}.pdf"
    path.write_bytes(pdf.data)
    layout, reading = pdf_texts(path)
    assert norm(template.title) in layout and created["archive_no"] in layout
    missing_labels = sorted(label for label in template_labels(template) if label not in layout and label not in reading)
    assert missing_labels == [], missing_labels
    missing_seed = [label for label in SEED_LABELS[template.name]
                    if not (seed_label_printed(label, layout) or seed_label_printed(label, reading))]
    assert missing_seed == [], missing_seed   # the paper form's own wording, choices and 说明 included
    missing_values = []
    for path_, _field, _value in filled:
        stored_value = at(stored["data"], path_)
        if not any(form in layout or form in reading for form in printed_forms(stored_value)):
            missing_values.append((path_, stored_value))
    assert missing_values == [], missing_values


def test_restart_keeps_dossiers_and_continues_numbering(tmp_path):
    data_dir = tmp_path / "data"
    first = embedded_app(data_dir)
    try:
        client, admin = first.test_client(), admin_headers(first)
        created = []
        for sample_path in SAMPLES[:3]:
            response = client.post(DOSSIERS, json=load_sample(sample_path), headers=admin)
            assert response.status_code == 201, response.get_json()
            created.append(response.get_json())
        changed = client.patch(f"{DOSSIERS}/{created[0]['archive_no']}", json={"data": {"学历": "硕士"}},
                               headers={**admin, "If-Match": f'"{created[0]["archive_no"]}-v1"'})
        assert changed.status_code == 200
        before = {d["archive_no"]: client.get(f"{DOSSIERS}/{d['archive_no']}", headers=admin).get_json()
                  for d in created}
    finally:
        close(first)
    assert not first.extensions["dossier"].store.server.running

    second = embedded_app(data_dir)
    try:
        client = second.test_client()
        assert client.get(DOSSIERS, headers=admin).status_code == 200  # the key survived too
        for archive_no, document in before.items():
            after = client.get(f"{DOSSIERS}/{archive_no}", headers=admin).get_json()
            assert after == document
        versions = client.get(f"{DOSSIERS}/{created[0]['archive_no']}/versions", headers=admin).get_json()
        assert [v["version"] for v in versions["versions"]] == [1, 2]
        listed = client.get(DOSSIERS, headers=admin).get_json()["items"]
        assert {i["archive_no"] for i in listed} == set(before)
        response = client.post(DOSSIERS, json=load_sample(SAMPLES[3]), headers=admin)
        assert response.status_code == 201
        last = max(int(ARCHIVE_NO.match(n).group(1)) for n in before)
        assert int(ARCHIVE_NO.match(response.get_json()["archive_no"]).group(1)) == last + 1
    finally:
        close(second)


def test_embedded_store_keeps_values_exactly(server):
    """Round trip of what the embedded server is known to get wrong (DESIGN §4): nested rows
    (no $push), non-ASCII text, unknown fields kept as name/value pairs."""
    app, client, admin = server
    body = {"template": "broker_visit_report", "data": {
        "证券经纪人": "周敏", "起始日期": "2026-11-16", "截止日期": "2026-11-20",
        "拜访记录": [{"日期": "2026-11-16", "客户名称": [{"公司": "甲", "姓名": "乙"}]}],
        "微信群": {"名称": "客户群", "人数": 12}}}
    response = client.post(DOSSIERS, json=body, headers=admin)
    assert response.status_code == 201
    no, etag = response.get_json()["archive_no"], response.headers["ETag"]
    entry = client.post(f"{DOSSIERS}/{no}/entries/visits", json={"日期": "2026-11-18", "客户名称": [{"公司": "丁"}]},
                        headers={**admin, "If-Match": etag})
    assert entry.status_code == 201, entry.get_json()
    stored = client.get(f"{DOSSIERS}/{no}", headers=admin).get_json()
    assert stored["data"]["visits"] == [
        {"visited_on": "2026-11-16", "client": [{"company": "甲", "name": "乙"}]},
        {"visited_on": "2026-11-18", "client": [{"company": "丁"}]},
    ]
    assert stored["extra"] == [{"path": "data", "name": "微信群", "value": {"名称": "客户群", "人数": 12}}]
    assert [i["archive_no"] for i in client.get(f"{DOSSIERS}?q=%E5%91%A8%E6%95%8F", headers=admin).get_json()["items"]
            ].count(no) == 1


def test_audit_trail_past_nine_entries_verifies_and_pages_in_order(server):
    """The embedded server sorts numeric _id as text; the trail must still walk 1, 2 … 10, 11."""
    app, client, admin = server
    for _ in range(12):  # enough entries of our own, whatever ran before
        client.post(DOSSIERS, json=load_sample(SAMPLES[0]), headers=admin)
    assert client.get("/api/v1/audit/verify", headers=admin).get_json()["ok"] is True
    seen, after = [], None
    while True:
        page = client.get("/api/v1/audit", query_string={"limit": 5, **({"after": after} if after else {})},
                          headers=admin).get_json()
        if not page["entries"]:
            break
        seen += [entry["seq"] for entry in page["entries"]]
        after = page["next_after"]
    assert len(seen) >= 12 and seen == list(range(1, len(seen) + 1))


# -- the CLI ------------------------------------------------------------------------------

@pytest.fixture
def cli_env(tmp_path, monkeypatch):
    data_dir = tmp_path / "cli-data"
    monkeypatch.setenv("DOSSIER_DATA_DIR", str(data_dir))
    monkeypatch.delenv("MONGODB_URI", raising=False)
    return data_dir


def test_cli_import_render_and_keys(cli_env, tmp_path):
    runner = CliRunner()
    sample_path = next(p for p in SAMPLES if p.name.startswith("mackay66"))
    sample = load_sample(sample_path)

    imported = runner.invoke(cli, ["import", str(sample_path)])
    assert imported.exit_code == 0, imported.output
    numbers = re.findall(r"KH-\d{4}-\d{6}", imported.stdout)
    assert len(numbers) == 1
    assert f"数据目录 {cli_env} 中还没有档案库" in imported.stderr  # the embedded server made its file here

    out = tmp_path / "out.pdf"
    rendered = runner.invoke(cli, ["render", str(sample_path), "-o", str(out)])
    assert rendered.exit_code == 0, rendered.output
    assert out.read_bytes().startswith(b"%PDF-")
    layout, reading = pdf_texts(out)
    assert norm(sample["data"]["1.姓名"]) in layout and norm(sample["data"]["4.公司名称"]) in layout + reading
    assert "草稿" in layout and "核验" not in layout  # a draft has nothing to verify against

    stored_pdf = tmp_path / "stored.pdf"
    rendered = runner.invoke(cli, ["render", numbers[0], "-o", str(stored_pdf)])
    assert rendered.exit_code == 0, rendered.output
    assert "还没有档案库" not in rendered.stderr
    serial = re.findall(r"FB-\d{4}-\d{6}", rendered.output)
    assert len(serial) == 1 and serial[0] in pdf_texts(stored_pdf)[0]
    assert numbers[0] in pdf_texts(stored_pdf)[0]
    printed = runner.invoke(cli, ["audit", "list", "--dossier", numbers[0], "--action", "dossier.print"])
    assert serial[0] in printed.output
    refused = runner.invoke(cli, ["render", numbers[0], "-o", str(stored_pdf), "--role", "viewer"])
    assert refused.exit_code != 0 and "没有权限" in refused.output

    made = runner.invoke(cli, ["keys", "create", "--role", "clerk", "--name", "测试"])
    assert made.exit_code == 0, made.output
    tokens = re.findall(r"\bdk_[A-Za-z0-9]+_[A-Za-z0-9_-]+", made.stdout)
    assert len(tokens) == 1

    app = embedded_app(cli_env)
    try:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        response = client.get(f"{DOSSIERS}/{numbers[0]}", headers=headers)
        assert response.status_code == 200
        assert response.get_json()["data"]["name"] == sample["data"]["1.姓名"]
        assert client.post(DOSSIERS, json=load_sample(SAMPLES[0]), headers=headers).status_code == 201  # clerk
        assert client.get(DOSSIERS, headers={"Authorization": f"Bearer {tokens[0]}x"}).status_code == 401
    finally:
        close(app)


def test_cli_import_reports_invalid_records(cli_env, tmp_path):
    lines = tmp_path / "batch.jsonl"
    good = load_sample(SAMPLES[0])
    lines.write_text("\n".join([json.dumps(good, ensure_ascii=False),
                                json.dumps({"template": "nope", "data": {}}),
                                json.dumps(good, ensure_ascii=False)]), encoding="utf-8")
    result = CliRunner().invoke(cli, ["import", str(lines)])
    assert result.exit_code == 1
    assert len(re.findall(r"KH-\d{4}-\d{6}", result.stdout)) == 2
    assert "nope" in result.output and re.search(r"失败\s*1", result.stdout)
