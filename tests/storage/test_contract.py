"""The storage contract: what the repository needs, proven on every backend.

Each test runs once per backend (mongomock, embedded nx-27017, and MongoDB when
MONGODB_URI is set). The last section has one case per measured fault of the
embedded server (DESIGN §4), proving the repository's operations avoid it.
"""

from __future__ import annotations

import copy
import inspect
import threading
from datetime import datetime, timedelta, timezone

import pytest

from service.storage import DuplicateKey, NotFound, VersionConflict

from .conftest import BACKENDS

UTC = timezone.utc
T0 = datetime(2026, 3, 1, 8, 30, 15, 123000, tzinfo=UTC)  # milliseconds: BSON precision


def make_dossier(archive_no: str, **overrides) -> dict:
    """A realistic `standard` dossier as the service layer stores it."""
    doc = {
        "archive_no": archive_no,
        "template": "standard",
        "version": 1,
        "status": "active",
        "classification": {"region": "北京", "industry": "制造业", "level": "A"},
        "confidentiality": "confidential",
        "consent": {
            "given": True,
            "scope": ["内部服务", "产品推荐"],
            "date": "2026-02-28",
            "method": "书面",
            "evidence": "",
        },
        "retention": {"years": 10},
        "data": {
            "customer_no": archive_no,
            "basic": {"name": "王建国", "gender": "男", "phone": "010-62345678"},
            "company": {"name": "北京华盛精密机械有限公司", "address": {"city": "北京", "street": "中关村大街1号"}},
            "communications": [
                {"date": "2026-02-01", "mode": "我方上门", "summary": "介绍产品", "participants": ["李明", "张伟"]},
                {"date": "2026-02-15", "mode": "客户上门", "summary": "签约意向", "amount": 12.5, "done": False, "note": None},
            ],
            "weekly_grid": [["新开户数(户)", 10, 8, "市场低迷"], ["新增资金(万元)", 200.5, 180, ""]],
        },
        "extra": [{"path": "基本资料", "name": "微信", "value": "wx123"}],
        "completeness": {"overall": 0.93, "sections": {"basic": 1.0}, "missing": ["basic.birth_date"], "complete": True, "reasons": []},
        "search_text": "王建国 北京华盛精密机械有限公司",
        "created_at": T0,
        "created_by": "key-1",
        "updated_at": T0,
        "updated_by": "key-1",
    }
    doc.update(overrides)
    return doc


def next_version(doc: dict, by: str = "key-2", minutes: int = 1) -> dict:
    new = copy.deepcopy(doc)
    new["version"] = doc["version"] + 1
    new["updated_at"] = doc["updated_at"] + timedelta(minutes=minutes)
    new["updated_by"] = by
    return new


# -- round trip and keys -------------------------------------------------------


def test_insert_get_round_trip(repo):
    doc = make_dossier("KH-2026-000001")
    repo.insert(doc)
    got = repo.get("KH-2026-000001")
    assert got == doc
    assert "_id" not in got
    assert got["updated_at"].utcoffset() == timedelta(0)
    assert got["created_at"] == T0
    assert isinstance(got["data"]["communications"][0], dict)
    assert got["data"]["weekly_grid"][1] == ["新增资金(万元)", 200.5, 180, ""]


def test_insert_does_not_mutate_the_callers_dict(repo):
    doc = make_dossier("KH-2026-000001")
    repo.insert(doc)
    assert "_id" not in doc


def test_get_unknown_raises_not_found(repo):
    with pytest.raises(NotFound):
        repo.get("KH-2026-999999")


def test_duplicate_archive_no_raises_and_keeps_the_first(repo):
    repo.insert(make_dossier("KH-2026-000001"))
    with pytest.raises(DuplicateKey):
        repo.insert(make_dossier("KH-2026-000001", template="mackay66"))
    assert repo.get("KH-2026-000001")["template"] == "standard"
    assert [v["version"] for v in repo.list_versions("KH-2026-000001")] == [1]


def test_ensure_indexes_is_idempotent(repo):
    repo.ensure_indexes()
    repo.insert(make_dossier("KH-2026-000001"))


# -- archive numbers -------------------------------------------------------------


def test_archive_numbers_are_consecutive_per_year(repo):
    assert [repo.next_archive_no(2026) for _ in range(3)] == [
        "KH-2026-000001",
        "KH-2026-000002",
        "KH-2026-000003",
    ]
    assert repo.next_archive_no(2027) == "KH-2027-000001"
    assert repo.next_archive_no(2026) == "KH-2026-000004"


# Atomicity is a property of a real server; mongomock, a single-threaded test double, does not claim it.
@pytest.mark.parametrize("backend", [b for b in BACKENDS if b != "mongomock"])
def test_archive_numbers_distinct_under_concurrency(repo, backend):
    numbers: list[str] = []
    lock = threading.Lock()

    def worker():
        mine = [repo.next_archive_no(2026) for _ in range(25)]
        with lock:
            numbers.extend(mine)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(numbers) == 200
    assert sorted(numbers) == [f"KH-2026-{i:06d}" for i in range(1, 201)]


def test_next_archive_no_rejects_bad_year(repo):
    for year in ("2026", 26, True, {"$gt": 0}):
        with pytest.raises(ValueError):
            repo.next_archive_no(year)


# -- optimistic concurrency and versions ----------------------------------------


def test_replace_with_current_version_succeeds(repo):
    doc = make_dossier("KH-2026-000001")
    repo.insert(doc)
    new = next_version(doc)
    new["status"] = "lent"
    repo.replace(new, expected_version=1)
    got = repo.get("KH-2026-000001")
    assert got["version"] == 2
    assert got["status"] == "lent"


def test_replace_with_stale_version_conflicts_and_changes_nothing(repo):
    doc = make_dossier("KH-2026-000001")
    repo.insert(doc)
    v2 = next_version(doc)
    repo.replace(v2, expected_version=1)
    stale = next_version(doc, by="key-3")
    stale["status"] = "destroyed"
    with pytest.raises(VersionConflict) as info:
        repo.replace(stale, expected_version=1)
    assert info.value.current == 2
    assert repo.get("KH-2026-000001") == v2
    assert [v["version"] for v in repo.list_versions("KH-2026-000001")] == [1, 2]


def test_replace_unknown_raises_not_found(repo):
    with pytest.raises(NotFound):
        repo.replace(make_dossier("KH-2026-000009", version=2), expected_version=1)


def test_replace_requires_next_version_number(repo):
    doc = make_dossier("KH-2026-000001")
    repo.insert(doc)
    with pytest.raises(ValueError):
        repo.replace(doc, expected_version=1)  # version 1, not 2
    assert repo.get("KH-2026-000001") == doc


def test_versions_stay_readable_after_updates(repo):
    doc = make_dossier("KH-2026-000001")
    repo.insert(doc)
    history = [doc]
    for n in range(3):
        new = next_version(history[-1], by=f"key-{n + 2}", minutes=n + 1)
        new["data"]["basic"]["phone"] = f"1380000000{n}"
        repo.replace(new, expected_version=new["version"] - 1)
        history.append(new)
    for old in history:
        assert repo.get_version("KH-2026-000001", old["version"]) == old
    assert repo.list_versions("KH-2026-000001") == [
        {"version": d["version"], "updated_at": d["updated_at"], "updated_by": d["updated_by"]}
        for d in history
    ]
    assert repo.list_versions("KH-2026-000001")[0]["updated_at"].tzinfo is not None
    with pytest.raises(NotFound):
        repo.get_version("KH-2026-000001", 5)
    with pytest.raises(NotFound):
        repo.list_versions("KH-2026-000404")


# -- listing -------------------------------------------------------------------

LISTING = [
    # archive_no, template, region, industry, level, status, search_text, days, overall
    ("KH-2026-000001", "standard", "北京", "制造业", "A", "active", "王建国 华盛机械", 1, 0.95),
    ("KH-2026-000002", "mackay66", "上海", "金融业", "B", "active", "李娜 Acme Trading Co.", 2, 0.40),
    ("KH-2026-000003", "standard", "上海", "制造业", "C", "lent", "张伟 东方电气", 3, 0.70),
    ("KH-2026-000004", "it_support", "广州", "信息技术", "A", "destroyed", "赵敏 (ACME) 网络", 4, 0.10),
    ("KH-2026-000005", "standard", "北京", "金融业", "B", "active", "王芳 .* 特殊字符", 5, 0.55),
]


@pytest.fixture
def listed(repo):
    for no, template, region, industry, level, status, text, days, overall in LISTING:
        repo.insert(
            make_dossier(
                no,
                template=template,
                status=status,
                classification={"region": region, "industry": industry, "level": level},
                search_text=text,
                updated_at=T0 + timedelta(days=days),
                completeness={"overall": overall, "sections": {}, "missing": [], "complete": False, "reasons": []},
            )
        )
    return repo


def _numbers(items):
    return [d["archive_no"][-1] for d in items]


@pytest.mark.parametrize(
    "filters, expected",
    [
        ({}, "54321"),
        ({"template": "standard"}, "531"),
        ({"region": "上海"}, "32"),
        ({"industry": "金融业"}, "52"),
        ({"level": "A"}, "41"),
        ({"status": "active"}, "521"),
        ({"q": "acme"}, "42"),
        ({"q": "王"}, "51"),
        ({"q": "(ACME)"}, "4"),
        ({"q": ".*"}, "5"),
        ({"q": "no such name"}, ""),
        ({"updated_since": T0 + timedelta(days=3)}, "543"),
        ({"completeness_lt": 0.55}, "42"),
        ({"completeness_lt": 1}, "54321"),
        ({"template": "standard", "region": "北京", "q": "王"}, "51"),
        ({"template": None, "q": ""}, "54321"),
    ],
)
def test_list_filters(listed, filters, expected):
    items, cursor = listed.list(filters, limit=10)
    assert "".join(_numbers(items)) == expected
    assert cursor is None
    assert listed.count(filters) == len(expected)
    assert "".join(_numbers(listed.iterate(filters))) == expected
    assert all("_id" not in d for d in items)


def test_cursor_pagination_walks_every_page_once(repo):
    expected = [f"KH-2026-{i:06d}" for i in range(23, 0, -1)]
    for no in expected:
        repo.insert(make_dossier(no, template="standard" if int(no[-2:]) % 3 else "mackay66"))
    seen, cursor, pages = [], None, 0
    while True:
        items, cursor = repo.list({}, limit=5, after=cursor)
        seen.extend(d["archive_no"] for d in items)
        pages += 1
        if cursor is None:
            break
        assert cursor == items[-1]["archive_no"]
    assert seen == expected
    assert pages == 5
    filtered, cursor = [], None
    while True:
        items, cursor = repo.list({"template": "mackay66"}, limit=2, after=cursor)
        filtered.extend(d["archive_no"] for d in items)
        if cursor is None:
            break
    assert filtered == [no for no in expected if int(no[-2:]) % 3 == 0]


def test_exact_last_page_has_no_cursor(repo):
    for i in range(1, 5):
        repo.insert(make_dossier(f"KH-2026-{i:06d}"))
    items, cursor = repo.list({}, limit=2)
    assert cursor == "KH-2026-000003"
    items, cursor = repo.list({}, limit=2, after=cursor)
    assert _numbers(items) == ["2", "1"]
    assert cursor is None


def test_iterate_is_a_lazy_generator(listed):
    gen = listed.iterate({"template": "standard"})
    assert inspect.isgenerator(gen)
    assert next(gen)["archive_no"] == "KH-2026-000005"
    gen.close()


# -- query-operator injection ----------------------------------------------------


@pytest.mark.parametrize(
    "filters",
    [
        {"template": {"$ne": ""}},
        {"region": {"$gt": ""}},
        {"status": ["active", "lent"]},
        {"q": {"$regex": ".*"}},
        {"$where": "sleep(1000) || true"},
        {"$or": [{"template": "standard"}]},
        {"classification.region": "北京"},
        {"updated_since": "2026-01-01"},
        {"updated_since": {"$gt": 0}},
        {"completeness_lt": "0.5"},
        {"completeness_lt": True},
        {"level": True},
    ],
)
def test_injection_attempts_are_rejected(listed, filters):
    with pytest.raises(ValueError):
        listed.list(filters, limit=10)
    with pytest.raises(ValueError):
        listed.count(filters)
    with pytest.raises(ValueError):
        list(listed.iterate(filters))


def test_non_string_keys_are_rejected(listed):
    with pytest.raises(ValueError):
        listed.get({"$ne": ""})
    with pytest.raises(ValueError):
        listed.list({}, limit=10, after={"$gt": ""})
    with pytest.raises(ValueError):
        listed.list_versions({"$ne": ""})
    with pytest.raises(ValueError):
        listed.get_version("KH-2026-000001", {"$gt": 0})
    with pytest.raises(ValueError):
        listed.list({}, limit={"$gt": 0})


# -- generic helpers -------------------------------------------------------------


def test_append_and_scan_other_collections(repo):
    for n in range(1, 13):  # past 9: numbers must not sort as text
        seq = repo.next_sequence("audit")
        repo.append("audit_log", {"_id": seq, "seq": seq, "action": "print", "archive_no": f"KH-2026-00000{n % 2}"})
    with pytest.raises(DuplicateKey):
        repo.append("audit_log", {"_id": 1, "seq": 1, "action": "read"})
    assert [e["seq"] for e in repo.scan("audit_log", sort="seq")] == list(range(1, 13))
    assert [e["seq"] for e in repo.scan("audit_log", sort="seq", descending=True, limit=1)] == [12]
    assert [e["seq"] for e in repo.scan("audit_log", {"archive_no": "KH-2026-000001"}, sort="seq")] == [1, 3, 5, 7, 9, 11]
    assert [e["seq"] for e in repo.scan("audit_log", sort="seq", after=9)] == [10, 11, 12]
    assert [e["seq"] for e in repo.scan("audit_log", sort="seq", descending=True, after=3)] == [2, 1]
    with pytest.raises(ValueError):
        list(repo.scan("audit_log", {"action": {"$ne": ""}}))
    with pytest.raises(ValueError):
        list(repo.scan("audit_log", {"$where": "1"}))
    with pytest.raises(ValueError):
        repo.append("$cmd", {"x": 1})


# -- one case per measured fault of the embedded server (DESIGN §4) ---------------


def test_numeric_ids_sort_as_text_on_the_embedded_server(repo, backend):
    """nx-27017 orders numeric ``_id`` values as text (1, 10, 11, 2); a numeric field sorts right.
    Hence every ordered scan over numbered entries (the audit trail) sorts on ``seq``."""
    for n in range(1, 12):
        repo.append("audit_log", {"_id": n, "seq": n})
    by_id = [e["_id"] for e in repo.scan("audit_log", sort="_id")]
    assert by_id == ([1, 10, 11, *range(2, 10)] if backend == "embedded" else list(range(1, 12)))
    assert [e["seq"] for e in repo.scan("audit_log", sort="seq")] == list(range(1, 12))


def test_growing_row_lists_by_replace_keeps_dicts(repo):
    """$push turns sub-documents into JSON strings on nx-27017; replace does not."""
    doc = make_dossier("KH-2026-000001", rows=[{"n": 0, "tags": ["甲"]}])
    repo.insert(doc)
    for n in range(1, 4):
        new = next_version(doc)
        new["rows"].append({"n": n, "tags": ["乙", "丙"], "sub": {"k": n}})  # top level
        new["data"]["communications"].append({"date": f"2026-03-0{n}", "mode": "现场沟通", "people": [{"name": "王"}]})
        new["extra"].append({"path": "", "name": f"备注{n}", "value": n})
        repo.replace(new, expected_version=doc["version"])
        doc = new
    got = repo.get("KH-2026-000001")
    assert got == doc
    for rows in (got["rows"], got["data"]["communications"], got["extra"]):
        assert all(type(row) is dict for row in rows)
    assert [type(r["sub"]) for r in got["rows"][1:]] == [dict, dict, dict]
    assert type(got["data"]["communications"][-1]["people"][0]) is dict
    assert all(type(row) is list for row in got["data"]["weekly_grid"])
    assert type(repo.get_version("KH-2026-000001", 3)["rows"][1]) is dict


def test_chinese_values_on_ascii_paths_are_found(repo):
    """Queries on non-ASCII key paths match nothing on nx-27017: keys stay ASCII."""
    repo.insert(make_dossier("KH-2026-000001"))
    repo.insert(make_dossier("KH-2026-000002", classification={"region": "上海", "industry": "金融业", "level": "贵宾"}))
    assert _numbers(repo.list({"region": "北京"}, limit=10)[0]) == ["1"]
    assert _numbers(repo.list({"industry": "金融业", "level": "贵宾"}, limit=10)[0]) == ["2"]
    assert repo.count({"q": "华盛精密"}) == 2
    got = repo.get("KH-2026-000001")
    assert got["extra"] == [{"path": "基本资料", "name": "微信", "value": "wx123"}]
    assert all(key.isascii() for key in got) and all(key.isascii() for key in got["data"])


def test_version_metadata_needs_no_nested_projection(repo):
    """nx-27017 returns nested projections as flat dotted keys: metadata is top level."""
    doc = make_dossier("KH-2026-000001")
    repo.insert(doc)
    repo.replace(next_version(doc, by="张三"), expected_version=1)
    assert repo.list_versions("KH-2026-000001")[-1] == {
        "version": 2,
        "updated_at": T0 + timedelta(minutes=1),
        "updated_by": "张三",
    }


def test_datetimes_come_back_tz_aware_utc(repo):
    """Stored UTC datetimes come back aware (clients use tz_aware=True)."""
    local = datetime(2026, 3, 1, 16, 30, tzinfo=timezone(timedelta(hours=8)))
    repo.insert(make_dossier("KH-2026-000001", updated_at=local))
    got = repo.get("KH-2026-000001")["updated_at"]
    assert got.utcoffset() == timedelta(0)
    assert got == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    assert repo.count({"updated_since": datetime(2026, 3, 1, 8, 30, tzinfo=UTC)}) == 1
    assert repo.count({"updated_since": datetime(2026, 3, 1, 8, 31, tzinfo=UTC)}) == 0


# -- records management (service/records): hash lookup, destruction, guarded puts --


def test_find_version_by_hash_and_delete_versions(repo):
    doc = make_dossier("KH-2026-000001")
    doc["content_hash"] = "a" * 64
    repo.insert(doc)
    later = next_version(doc)
    later["content_hash"] = "b" * 64
    repo.replace(later, 1)
    assert repo.find_version_by_hash("a" * 64) == {"archive_no": "KH-2026-000001", "version": 1,
                                                   "status": doc.get("status")}
    assert repo.find_version_by_hash("c" * 64) is None
    assert repo.delete_versions("KH-2026-000001") == 2
    assert repo.find_version_by_hash("b" * 64) is None


def test_put_is_an_insert_then_a_version_guarded_replace(repo):
    repo.put("loans", {"_id": "JY-1", "version": 1, "history": [{"state": "requested"}]}, None)
    repo.put("loans", {"_id": "JY-1", "version": 2, "history": [{"state": "requested"}, {"state": "verified"}]}, 1)
    with pytest.raises(VersionConflict):
        repo.put("loans", {"_id": "JY-1", "version": 2, "history": []}, 1)
    stored = next(repo.scan("loans", {"_id": "JY-1"}))
    assert stored["history"] == [{"state": "requested"}, {"state": "verified"}]
    assert repo.last_sequence("never-used") == 0
    repo.next_sequence("used")
    assert repo.last_sequence("used") == 1


def test_advance_sequence_is_a_compare_and_set(repo):
    assert repo.sequence_head("chain") is None
    assert repo.advance_sequence("chain", 0, hash="a") is True
    assert repo.advance_sequence("chain", 0, hash="b") is False       # someone else started it
    assert repo.advance_sequence("chain", 1, hash="c") is True
    assert repo.advance_sequence("chain", 1, hash="d") is False       # stale: the head is at 2
    assert repo.sequence_head("chain") == {"seq": 2, "hash": "c"}
    assert repo.last_sequence("chain") == 2
    with pytest.raises(ValueError):
        repo.advance_sequence("chain", {"$gt": 0})
