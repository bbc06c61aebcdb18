"""After a version conflict: keep what the clerk changed, take the rest from the newer version.

The edit form posts every input, so resubmitting it as it was would silently
undo what the other person saved. Instead the conflict page is drawn from a
three-way merge at the level of one field, one group field or one whole table:
the clerk's value where the clerk changed it (compared with the version the
form was opened at), the current value everywhere else. Items both people
changed to different values are reported as clashes; the clerk's value is
shown for them, with the other person's value in the conflict box.
"""
from __future__ import annotations

from schemas.model import Field, Group, Template

from .forms import display_value, envelope_values, is_blank_tree

ENVELOPE_BLOCKS = ("confidentiality", "classification", "consent", "retention")


def _norm(item, value):
    """A comparable form of a value as the inputs show it ("16" and 16 are the same)."""
    if isinstance(item, Field):
        shown = display_value(item, value)
        return tuple(str(v) for v in shown) if isinstance(shown, list) else str(shown).strip()
    if isinstance(item, Group):
        value = value if isinstance(value, dict) else {}
        return tuple(_norm(f, value.get(f.key)) for f in item.fields)
    rows = value if isinstance(value, list) else []
    return tuple(tuple(_norm(c, row.get(c.key)) for c in item.columns)
                 for row in rows if isinstance(row, dict) and not is_blank_tree(row))


def merge_data(template: Template, base: dict, current: dict, mine: dict):
    """(merged form values, labels of the items both people changed)."""
    merged, clashes = {}, []
    for section in template.sections:
        for item in section.items:
            if isinstance(item, Group):
                value, clashed = _merge_group(item, base.get(item.key), current.get(item.key), mine.get(item.key))
                clashes += clashed
            else:
                value, clashed = _pick(item, base.get(item.key), current.get(item.key), mine.get(item.key))
                clashes += [item.label] if clashed else []
            if value not in (None, "", [], {}):
                merged[item.key] = value
    return merged, clashes


def _merge_group(group: Group, base, current, mine):
    base, current, mine = (v if isinstance(v, dict) else {} for v in (base, current, mine))
    merged, clashes = {}, []
    for spec in group.fields:
        value, clashed = _pick(spec, base.get(spec.key), current.get(spec.key), mine.get(spec.key))
        if clashed:
            clashes.append(f"{group.label}.{spec.label}")
        if value not in (None, ""):
            merged[spec.key] = value
    return merged, clashes


def _pick(item, base, current, mine):
    b, c, m = _norm(item, base), _norm(item, current), _norm(item, mine)
    if m == b:
        return current, False
    return mine, c != b and c != m


def merge_envelope(base: dict, current: dict, mine: dict):
    b, c, m = envelope_values(base), envelope_values(current), envelope_values(mine)
    merged, clashes = {}, []
    for key in ENVELOPE_BLOCKS:
        bv, cv, mv = (_envelope_norm(v.get(key)) for v in (b, c, m))
        if mv == bv:
            merged[key] = c.get(key)
        else:
            merged[key] = m.get(key)
            if cv not in (bv, mv):
                clashes.append(key)
    return merged, clashes


def _envelope_norm(value):
    if isinstance(value, dict):
        return tuple(sorted((k, str(v)) for k, v in value.items() if not is_blank_tree(v)))
    return "" if value is None else str(value)
