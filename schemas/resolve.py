"""Maps the names a person or spreadsheet uses onto a template's keys.

A field may be named by its key, its printed label, an alias (the seed's
uncorrected wording), its item number and label (``20.公司名称``) or its
section/group and label (``基本资料.姓名``, ``投资组合.股票(%)``). Names are
compared after NFKC normalisation with all white space removed, so full-width
brackets and stray spaces do not matter. Titled blocks may be sent as nested
objects (a section's or group's label holding its fields), repeating blocks as
lists of rows.

The result holds canonical (key-addressed) raw values for the validator, the
fields the template does not know (kept apart as ``extra``) and naming errors
(ambiguous or clashing names, forbidden keys). Blank values mean "not filled
in" and are dropped here, once, for every input channel.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import orjson

from .model import Field, Group, Table, Template

MAX_EXTRA_DEPTH = 8
MAX_EXTRA_FIELDS = 100        # unknown fields are printed on every official copy: keep them bounded
MAX_EXTRA_BYTES = 64 * 1024   # their names and values, as UTF-8 JSON (a 600,000-character value took 2 minutes to print)


def norm(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


@dataclass
class Scope:
    """The names valid at one level of the input (top level, a group, a table row).

    ``names`` are the items of this level (and qualified names such as ``组.字段``);
    ``in_groups`` are the bare names of fields inside its flat groups (``Group.flat``),
    consulted only when ``names`` has no match, so that ``电话号码`` finds
    ``联系方式.电话号码`` without ever making a name of this level ambiguous.
    """
    names: dict[str, list[tuple[tuple[str, ...], object]]] = field(default_factory=dict)
    in_groups: dict[str, list[tuple[tuple[str, ...], object]]] = field(default_factory=dict)
    containers: dict[str, Scope] = field(default_factory=dict)
    display: dict[tuple[str, ...], str] = field(default_factory=dict)

    def add(self, name: str, path: tuple[str, ...], item, where: str = "names") -> None:
        targets = getattr(self, where).setdefault(norm(name), [])
        if all(p != path for p, _ in targets):
            targets.append((path, item))

    def lookup(self, name: str) -> list[tuple[tuple[str, ...], object]]:
        key = norm(name)
        return self.names.get(key) or self.in_groups.get(key, [])


@dataclass
class Resolution:
    values: dict = field(default_factory=dict)
    extra: list[dict] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)
    keep_blank: bool = False  # PATCH: a blank value removes the field (None), instead of being ignored

    def error(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)


def _item_names(item) -> list[str]:
    names = [item.key, item.label, *getattr(item, "aliases", ())]
    if item.item is not None:
        names += [f"{item.item}.{n}" for n in (item.label, *getattr(item, "aliases", ()))]
    return names


def _children(item) -> tuple:
    return item.fields if isinstance(item, Group) else item.columns


def scope_for(items, qualifiers: dict[str, list] | None = None) -> Scope:
    scope = Scope()
    for item in items:
        for name in _item_names(item):
            scope.add(name, (item.key,), item)
        scope.display[(item.key,)] = f"{item.item}.{item.label}" if item.item else item.label
        if isinstance(item, Group):
            for child in item.fields:
                for name in _item_names(child):
                    if item.flat:
                        scope.add(name, (item.key, child.key), child, where="in_groups")
                    for prefix in (item.key, item.label, *item.aliases):
                        scope.add(f"{prefix}.{name}", (item.key, child.key), child)
                scope.display[(item.key, child.key)] = f"{item.label}.{child.label}"
    for prefixes, section_items in (qualifiers or {}).items():
        for prefix in prefixes:
            for item in section_items:
                for name in _item_names(item):
                    scope.add(f"{prefix}.{name}", (item.key,), item)
    return scope


_SCOPES: dict[str, Scope] = {}


def template_scope(template: Template) -> Scope:
    """Top-level scope: every section's items, plus sections as optional containers."""
    cached = _SCOPES.get(template.name)
    if cached is None:
        every_item = [i for s in template.sections for i in s.items]
        qualifiers = {(s.key, s.label): list(s.items) for s in template.sections}
        cached = scope_for(every_item, qualifiers)
        for section in template.sections:
            section_scope = scope_for(section.items)
            for name in (section.key, section.label):
                if norm(name) not in cached.names:
                    cached.containers[norm(name)] = section_scope
        _SCOPES[template.name] = cached
    return cached


def resolve(template: Template, data: dict, keep_blank: bool = False) -> Resolution:
    result = Resolution(keep_blank=keep_blank)
    _resolve_object(template_scope(template), data, result.values, "data", result)
    result.errors.update(extra_limit_errors(result.extra))
    return result


def extra_limit_errors(extra: list[dict]) -> dict[str, list[str]]:
    """Refusals when a dossier's unknown fields (``extra``) exceed their bounds."""
    if len(extra) > MAX_EXTRA_FIELDS:
        return {"extra": [f"本表没有的字段（表外字段）最多 {MAX_EXTRA_FIELDS} 个，这里有 {len(extra)} 个"]}
    size = len(orjson.dumps([(e["name"], e["value"]) for e in extra]))  # names print too
    if size > MAX_EXTRA_BYTES:
        return {"extra": [f"表外字段的内容过长（{size // 1024} KB，最多 {MAX_EXTRA_BYTES // 1024} KB）"]}
    return {}


def _resolve_object(scope: Scope, raw: dict, out: dict, where: str, result: Resolution) -> None:
    for name, value in raw.items():
        if not _safe_key(name, where, result):
            continue
        targets = scope.lookup(name)
        if len(targets) > 1:
            candidates = "、".join(sorted(scope.display.get(p, ".".join(p)) for p, _ in targets))
            result.error(f"{where}.{name}", f"“{name}”有歧义，请写明序号或所属部分：{candidates}")
            continue
        if targets:
            path, item = targets[0]
            _place(scope, item, path, name, value, out, where, result)
        elif norm(name) in scope.containers and isinstance(value, dict):
            _resolve_object(scope.containers[norm(name)], value, out, f"{where}.{name}", result)
        elif norm(name) in scope.containers and not is_blank(value):
            result.error(f"{where}.{name}", f"“{name}”是表上的一个部分，应为包含各项内容的对象")
        elif "." in name:
            result.error(f"{where}.{name}", f"“{name}”不是本表的字段（字段名中的“.”只用于写明序号或所属部分）")
        elif not is_blank(value):
            if _safe_value(value, f"{where}.{name}", result, 0):
                result.extra.append({"path": where, "name": name, "value": value})


def _place(scope, item, path, name, value, out, where, result) -> None:
    here = f"{where}.{'.'.join(path)}"
    blank = is_blank(value) or (isinstance(value, list) and all(is_blank(v) for v in value))
    if blank and result.keep_blank and (len(path) == 1 or isinstance(item, Field)):
        parent = _container(out, path, here, name, result)  # PATCH: None removes the field, also
        if parent is not None:                                # one named inside its group (投资组合.股票(%))
            parent[path[-1]] = None
        return
    if isinstance(item, Field):
        if blank:
            return
        parent = _container(out, path, here, name, result)
        if parent is None:
            return
        if path[-1] in parent:
            result.error(here, f"“{name}”与同一字段的另一个名称重复填写")
            return
        parent[path[-1]] = [v for v in value if not is_blank(v)] if isinstance(value, list) else value
    elif isinstance(item, Group):
        if is_blank(value):
            return
        if not isinstance(value, dict):
            result.error(here, f"{item.label}：应为包含各项内容的对象")
            return
        _resolve_object(_block_scope(item), value, out.setdefault(item.key, {}), here, result)
        if not out[item.key]:
            del out[item.key]
    else:
        _place_rows(item, value, out, here, result)


def _container(out: dict, path: tuple[str, ...], here: str, name: str, result: Resolution) -> dict | None:
    """The dict that holds ``path``'s last key; None (and an error) when its group was given whole."""
    parent = out
    for key in path[:-1]:
        parent = parent.setdefault(key, {})
        if not isinstance(parent, dict):
            result.error(here, f"“{name}”所在的部分已整体填写或删除，不能再单独填写其中的项目")
            return None
    return parent


def _place_rows(table: Table, value, out: dict, here: str, result: Resolution) -> None:
    if is_blank(value) or value == []:
        return
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        result.error(here, f"{table.label}：应为若干行的列表，每行是一个对象")
        return
    rows = []
    keep_blank, result.keep_blank = result.keep_blank, False  # rows are replaced whole, never patched
    for index, raw_row in enumerate(value):
        row: dict = {}
        _resolve_object(_block_scope(table), raw_row, row, f"{here}[{index}]", result)
        if row:
            rows.append(row)
    result.keep_blank = keep_blank
    if table.key in out:
        result.error(here, f"{table.label}：重复填写")
    elif rows:
        out[table.key] = rows


_BLOCK_SCOPES: dict[int, Scope] = {}


def _block_scope(block) -> Scope:
    scope = _BLOCK_SCOPES.get(id(block))
    if scope is None:
        scope = _BLOCK_SCOPES[id(block)] = scope_for(_children(block))
    return scope


def _safe_key(name, where: str, result: Resolution) -> bool:
    if not isinstance(name, str) or not name.strip():
        result.error(where, "字段名不能为空")
        return False
    if name.startswith("$") or "\x00" in name:
        result.error(f"{where}.{name}", f"字段名“{name}”不允许以 $ 开头或包含空字符")
        return False
    return True


def _safe_value(value, where: str, result: Resolution, depth: int) -> bool:
    """Unknown fields are stored as given, so their inner keys must be safe MongoDB keys too."""
    if depth > MAX_EXTRA_DEPTH:
        result.error(where, "表外字段嵌套层数过多")
        return False
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.startswith("$") or "." in key or "\x00" in key:
                result.error(f"{where}.{key}", f"字段名“{key}”不允许以 $ 开头或包含“.”")
                return False
            if not _safe_value(inner, f"{where}.{key}", result, depth + 1):
                return False
    elif isinstance(value, list):
        return all(_safe_value(v, where, result, depth + 1) for v in value)
    elif isinstance(value, int) and not -2**63 <= value < 2**63:  # BSON holds 64-bit ints only
        result.error(where, "表外字段的数值过大")
        return False
    return True
