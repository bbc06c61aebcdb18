"""The fast paths of printing (issue 7), checked for correctness only — no timings here.

- the common-character font cut with the full face as fallback (rare characters print);
- the copy cache: a reprint renders only its stamp over the cached version, and reads
  exactly like a print made without the cache, PDF/A-3b markers and attachment intact;
- the case-insensitive search pattern that the embedded server evaluates in SQL;
- the API-key cache (a revocation is seen at once by the revoking process);
- the PDF ZIP's per-render limits (a pathological dossier is reported, not hung on).
"""
from __future__ import annotations

import dataclasses
import io
import json
import re
import subprocess
import zipfile
from datetime import datetime, timezone

import pytest
from pypdf import PdfReader

from schemas.registry import get_template
from service.render import copy_cache, document_hash, render_official_copy
from service.render.resources import common_font
from service.storage.repository import caseless_pattern

PRINTED_AT = datetime(2026, 10, 12, 6, 30, tzinfo=timezone.utc)


def standard_document(**data) -> dict:
    return {
        "archive_no": "KH-2026-000321", "template": "standard", "version": 2, "status": "active",
        "confidentiality": "normal", "classification": {"region": "广东", "industry": "零售", "level": "A"},
        "data": {"client_name": "深圳华信连锁超市有限公司",
                 "communications": [{"at": "2026-10-08 10:30", "channel": "面谈", "content": "续签框架协议"}],
                 **data},
        "extra": [], "updated_at": datetime(2026, 10, 1, 2, 3, 4),
    }


def render(document: dict, **kwargs) -> bytes:
    kwargs.setdefault("printed_at", PRINTED_AT)
    kwargs.setdefault("verify_url", f"https://dossier.example.cn/api/v1/verify/{document_hash(document)}")
    return render_official_copy(document, get_template(document["template"]), **kwargs)


def text(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return re.sub(r"\s+", "", out.stdout.decode("utf-8"))


def fonts(pdf: bytes) -> set[str]:
    out = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return {re.sub(r"^[A-Z]{6}\+", "", line.split()[0]) for line in out.splitlines()[2:] if line.strip()}


def test_common_characters_come_from_the_cut_and_rare_ones_from_the_full_face():
    assert common_font() is not None, "the font cut could not be built (HarfBuzz subset, cache dir)"
    pdf = render(standard_document(client_name="吉𠮷堃喆贸易有限公司"))
    assert "吉𠮷堃喆贸易有限公司" in text(pdf)
    used = fonts(pdf)
    assert "Dossier-CJK-SC" in used and "Noto-Sans-CJK-SC" in used, used


def test_a_reprint_reads_like_an_uncached_print_with_its_own_stamp(monkeypatch):
    document = standard_document()
    copy_cache.clear()
    first = render(document, serial="FB-000001")
    hits = copy_cache.hits
    again = render(document, serial="FB-000002", printed_at=datetime(2026, 10, 13, 1, 0, tzinfo=timezone.utc))
    assert copy_cache.hits == hits + 1
    monkeypatch.setenv("DOSSIER_COPY_CACHE_MB", "0")
    plain = render(document, serial="FB-000002", printed_at=datetime(2026, 10, 13, 1, 0, tzinfo=timezone.utc))
    assert text(again) == text(plain)
    assert "复本编号FB-000002" in text(again) and "打印时间2026-10-1309:00" in text(again)
    assert "FB-000001" in text(first) and "FB-000001" not in text(again)
    reader = PdfReader(io.BytesIO(again))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert re.search(r"pdfaid:part(>|=\")3", xmp) and re.search(r"pdfaid:conformance(>|=\")B", xmp)
    assert "/OutputIntents" in reader.trailer["/Root"]
    attached = json.loads(reader.attachments["KH-2026-000321.json"][0])
    assert attached["archive_no"] == "KH-2026-000321"


def test_another_version_or_other_values_never_share_a_cached_copy():
    document = standard_document()
    copy_cache.clear()
    render(document)
    changed = render({**document, "version": 3, "data": {**document["data"], "client_name": "另一家公司"}})
    assert "另一家公司" in text(changed) and "版本3" in text(changed)


@pytest.mark.parametrize("subject, query", [
    ("王建国 北京华盛精密机械有限公司 (ACME)", "acme"),
    ("王建国 (ACME)", "(ACME)"),
    ("Straße ÉCOLE", "école"),
    ("KH-2026-000123 陈晓明", "kh-2026-000123"),
    ("a.b*c", ".*"),
    ("no match here", "赵.*"),
])
def test_caseless_pattern_matches_like_an_escaped_case_insensitive_search(subject, query):
    expected = re.search(re.escape(query), subject, re.IGNORECASE) is not None
    assert (re.search(caseless_pattern(query), subject) is not None) == expected


def test_a_verified_key_is_cached_and_a_revocation_is_seen_at_once(app):
    keys = app.extensions["dossier"].keys
    token, record = keys.create("clerk", "cache", PRINTED_AT)
    lookups = []
    original = keys.collection.find_one

    def counting(*args, **kwargs):
        lookups.append(args)
        return original(*args, **kwargs)

    keys.collection.find_one = counting
    try:
        assert keys.authenticate(token)["id"] == record["id"]
        assert keys.authenticate(token)["id"] == record["id"]
        assert len(lookups) == 1
        assert keys.authenticate(token[:-1] + "x") is None   # a wrong secret is never served from cache
        keys.revoke(record["id"])
        assert keys.authenticate(token) is None
    finally:
        keys.collection.find_one = original


def test_a_pathological_dossier_is_cut_off_and_reported_in_the_manifest():
    from service.bulk.export_pdfzip import MANIFEST, RenderLimits, pdfzip_chunks
    template = get_template("standard")
    good = standard_document()
    row = good["data"]["communications"][0]
    huge = {**good, "archive_no": "KH-2026-999999",
            "data": {**good["data"], "communications": [{**row, "content": f"第{i}次交流"} for i in range(3000)]}}
    other = {**good, "archive_no": "KH-2026-000322"}
    body = b"".join(pdfzip_chunks([(good, template), (huge, template), (other, template)], "http://x/",
                                  workers=2, limits=RenderLimits(timeout=3, memory_mb=1024)))
    manifest = json.loads(zipfile.ZipFile(io.BytesIO(body)).read(MANIFEST))
    assert [f["archive_no"] for f in manifest["files"]] == ["KH-2026-000321", "KH-2026-000322"]
    assert [f["archive_no"] for f in manifest["failures"]] == ["KH-2026-999999"]
    assert "渲染超时" in manifest["failures"][0]["error"]
    assert dataclasses.asdict(RenderLimits(3, 1024)) == {"timeout": 3, "memory_mb": 1024}
