"""Dossiers for the benchmarks, generated from the samples (the shared ones and the project's own).

``stored(raw)`` is a sample exactly as ``DossierService.create`` stores it; ``variant(base, i)``
is copy *i* of a stored dossier with its own archive number, client name, region, level and
times (derived fields recomputed), so that a store of any size can be filled with
``insert_many`` without going through the service for every document.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from schemas.registry import get_template  # noqa: E402
from service.actors import Actor  # noqa: E402
from service.dossiers import DossierService, derive_fields  # noqa: E402
from service.samples import own_samples, shared_samples  # noqa: E402

SAMPLES = shared_samples() + own_samples()
REGIONS = ("北京", "上海", "广州", "深圳", "杭州", "成都", "武汉", "西安")
LEVELS = ("A", "B", "C", "VIP", "潜在客户")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
EXPORT_CONSENT = {"given": True, "scope": ["内部服务", "数据导出"], "date": "2026-09-01", "method": "书面"}
EPOCH = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
GENERATOR = Actor(id="benchmark", role="admin", name="基准测试数据")


class _Capture:
    """Enough of DossierRepository for DossierService.create: one number out, the document kept."""

    def __init__(self, archive_no: str):
        self.archive_no, self.document = archive_no, None

    def next_archive_no(self, year: int) -> str:
        return self.archive_no

    def insert(self, document: dict) -> None:
        self.document = document


def stored(raw: dict, archive_no: str = "KH-2026-000001") -> dict:
    """A dossier as posted (keyed by labels, as a clerk fills it) as the service stores it."""
    capture = _Capture(archive_no)
    DossierService(capture, clock=lambda: EPOCH).create(raw, GENERATOR)
    return {**capture.document, "_id": archive_no}


def stored_samples() -> list[dict]:
    return [stored(json.loads(path.read_text(encoding="utf-8"))) for path in SAMPLES]


def client_name(i: int) -> str:
    return f"{SURNAMES[i % len(SURNAMES)]}客户{i:06d}"


def variant(base: dict, i: int) -> dict:
    """Copy ``i`` (≥ 1) of a stored dossier, consented to export."""
    doc = copy.deepcopy(base)
    template = get_template(doc["template"])
    doc["_id"] = doc["archive_no"] = f"KH-2026-{i:06d}"
    doc["classification"] = {**doc.get("classification", {}),
                             "region": REGIONS[i % len(REGIONS)], "level": LEVELS[i % len(LEVELS)]}
    doc["consent"] = dict(EXPORT_CONSENT)
    node, *keys = doc["data"], *template.name_fields[0].split(".")
    for key in keys[:-1]:
        node = node.setdefault(key, {})
    node[keys[-1]] = client_name(i)
    doc["created_at"] = doc["updated_at"] = doc["activity_at"] = EPOCH + dt.timedelta(seconds=i)
    derive_fields(template, doc)
    return doc


def variants(bases: list[dict], start: int, stop: int):
    """Copies ``start + 1`` … ``stop`` of the bases, round robin."""
    for i in range(start + 1, stop + 1):
        yield variant(bases[i % len(bases)], i)


def insert_all(collection, documents, batch: int = 1000) -> int:
    """``insert_many`` in batches (the embedded server takes large batches badly); the count."""
    count, pending = 0, []
    for document in documents:
        pending.append(document)
        if len(pending) >= batch:
            collection.insert_many(pending, ordered=False)
            count, pending = count + len(pending), []
    if pending:
        collection.insert_many(pending, ordered=False)
        count += len(pending)
    return count
