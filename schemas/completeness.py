"""完整性: how much of a paper form is filled in, per section and overall.

A unit is a leaf field that counts for completeness (Field.completeness) or a
whole repeating table (filled when it has a row: a dossier without visits is
not "less complete" per missing visit). Templates add thresholds per section
(客户调研信息: personal part ≥ 50 %, partner part ≥ 70 %) and fields that must
be present (``must_have``, key paths like ``"personal.name"``).
"""
from __future__ import annotations

from .model import Field, Group, Template


def _units(template: Template, data: dict):
    """Yield (section, display name, filled) for every unit."""
    for section in template.sections:
        for item in section.items:
            if isinstance(item, Field):
                if item.completeness and item.type != "archive_no":
                    yield section, _label(item), item.key in data
            elif isinstance(item, Group):
                block = data.get(item.key) or {}
                for child in item.fields:
                    if child.completeness:
                        yield section, f"{item.label}.{_label(child)}", child.key in block
            else:
                yield section, item.label, bool(data.get(item.key))


def _label(item) -> str:
    return f"{item.item}.{item.label}" if item.item else item.label


def score(template: Template, data: dict) -> dict:
    per_section: dict[str, list[int]] = {}
    missing: list[str] = []
    for section, name, filled in _units(template, data):
        counts = per_section.setdefault(section.key, [0, 0])
        counts[0] += filled
        counts[1] += 1
        if not filled:
            missing.append(name)
    sections = {key: round(done / total, 4) for key, (done, total) in per_section.items()}
    done = sum(c[0] for c in per_section.values())
    total = sum(c[1] for c in per_section.values())
    reasons = _threshold_reasons(template, sections) + _must_have_reasons(template, data)
    return {
        "overall": round(done / total, 4) if total else 1.0,
        "sections": sections,
        "missing": missing,
        "complete": not reasons,
        "reasons": reasons,
    }


def _threshold_reasons(template: Template, sections: dict[str, float]) -> list[str]:
    return [
        f"{s.label}完整度 {sections.get(s.key, 0):.0%}，未达到要求的 {s.threshold:.0%}"
        for s in template.sections
        if s.threshold is not None and sections.get(s.key, 0) < s.threshold
    ]


def _must_have_reasons(template: Template, data: dict) -> list[str]:
    labels = {".".join(path): item.label for _s, path, item in template.walk()}
    reasons = []
    for path in template.must_have:
        value = data
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if value in (None, "", [], {}):
            reasons.append(f"必须填写：{labels.get(path, path)}")
    return reasons
