"""Cross-field rules that a single field cannot check, named from the definitions.

A Group names its rule with ``check="sum_to_100"``; a Table with
``fixed_rows`` only accepts its printed row labels, once each.
"""
from __future__ import annotations

from .model import Group, Table, Template
from .resolve import norm


def sum_to_100(group: Group, value: dict) -> str | None:
    """投资组合: when every share is given, they must add up to 100."""
    shares = [value.get(f.key) for f in group.fields]
    if any(s is None for s in shares):
        return None
    total = sum(shares)
    if abs(total - 100) > 0.01:
        return f"{group.label}：各项全部填写时合计应为 100，现为 {total:g}"
    return None


GROUP_RULES = {"sum_to_100": sum_to_100}


def fixed_row_labels(table: Table, rows: list[dict]) -> str | None:
    label_key = table.columns[0].key
    allowed = {norm(r): r for r in table.fixed_rows}
    seen = set()
    for row in rows:
        label = row.get(label_key)
        if label is None or norm(str(label)) not in allowed:
            return f"{table.label}：“{label}”不是表上的项目，可选：{'、'.join(table.fixed_rows)}"
        canonical = allowed[norm(str(label))]
        if canonical in seen:
            return f"{table.label}：项目“{canonical}”重复"
        seen.add(canonical)
        row[label_key] = canonical
    return None


def check(template: Template, data: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for _section, path, item in template.walk():
        value = _top_level_value(data, path)
        if value is None:
            continue
        message = None
        if isinstance(item, Group) and item.check:
            message = GROUP_RULES[item.check](item, value)
        elif isinstance(item, Table) and item.fixed_rows:
            message = fixed_row_labels(item, value)
        if message:
            errors.setdefault("data." + ".".join(path), []).append(message)
    return errors


def _top_level_value(data: dict, path: tuple[str, ...]):
    """Value at ``path`` when it does not pass through a table (rules inside rows are not used yet)."""
    value = data
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value
