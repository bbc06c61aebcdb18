"""The columns of a tabular (CSV/XLSX) export, derived from a template definition.

One source of truth: the same ``Column`` list names the CSV/XLSX headers on
export and maps them back on import. A row is one dossier:

- envelope columns first (档案编号, 外部编号, 模板, 客户分类.地区 …, 表外字段), the
  same for every template;
- then each top-level field of the form, by its label (``headers=labels``) or key
  (``headers=keys``). A label that is ambiguous in the template is written the way
  ``schemas.resolve`` disambiguates it (``20.公司名称``, ``基本资料.姓名``);
- group fields as ``组.字段`` (``投资组合.股票(%)``; keys: ``portfolio.stocks``);
- each repeating block (table) as ONE column holding its rows as a JSON array,
  rows keyed like the headers (labels or keys; nested tables nest). JSON keeps
  every row and every column of a table in one cell and imports back unchanged;
- fields of type ``archive_no`` are skipped: they print the archive number,
  which is the 档案编号 column.

Every header resolves through ``schemas.resolve`` to the same item again, so a
spreadsheet exported here imports as it is.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from schemas.model import Field, Group, Table, Template
from schemas.resolve import norm, template_scope

HEADER_MODES = ("labels", "keys")


@dataclass(frozen=True)
class Column:
    key: str                  # header in keys mode; dotted path for envelope/group columns
    label: str                # header in labels mode
    path: tuple[str, ...]     # where the value sits: in the document (envelope) or in data
    kind: str                 # "envelope" | "field" | "table"
    type: str = "text"        # value type (Field.type, or an envelope type below)
    item: Field | Table | None = None

    def header(self, mode: str) -> str:
        return self.label if mode == "labels" else self.key


def _env(key: str, label: str, type_: str = "text") -> Column:
    return Column(key, label, tuple(key.split(".")), "envelope", type_)


ENVELOPE_COLUMNS: tuple[Column, ...] = (
    _env("archive_no", "档案编号", "identifier"),
    _env("external_id", "外部编号", "identifier"),
    _env("template", "模板"),
    _env("version", "版本", "integer"),
    _env("status", "状态"),
    _env("classification.region", "客户分类.地区"),
    _env("classification.industry", "客户分类.行业"),
    _env("classification.level", "客户分类.等级"),
    _env("confidentiality", "密级"),
    _env("consent.given", "客户同意.是否同意", "boolean"),
    _env("consent.scope", "客户同意.用途", "list"),
    _env("consent.date", "客户同意.日期", "date"),
    _env("consent.method", "客户同意.方式"),
    _env("consent.evidence", "客户同意.凭证"),
    _env("retention.years", "保管期限(年)", "integer"),
    _env("completeness.overall", "完整度", "number"),
    _env("created_at", "创建时间", "timestamp"),
    _env("updated_at", "更新时间", "timestamp"),
    _env("extra", "表外字段", "json"),
)
#: Fields the service keeps itself: an imported row may carry them (an export does), they are not data.
SYSTEM_KEYS = frozenset({"archive_no", "external_id", "version", "status", "completeness", "content_hash",
                         "created_at", "created_by", "updated_at", "updated_by", "entry_log", "search_text", "fingerprint_salt",
                         "title", "links", "warnings", "team", "hold", "activity_at", "destruction", "_id"})
READ_ONLY = frozenset({"version", "status", "completeness.overall", "updated_at"})


@cache
def template_columns(template: Template) -> tuple[Column, ...]:
    """Envelope columns, then the form's fields, groups (flattened) and tables."""
    columns = list(ENVELOPE_COLUMNS)
    for section in template.sections:
        for item in section.items:
            columns += _item_columns(template, section, item)
    return tuple(columns)


def _item_columns(template: Template, section, item) -> list[Column]:
    if isinstance(item, Group):
        return [Column(f"{item.key}.{f.key}", _group_label(template, item, f), (item.key, f.key),
                       "field", f.type, f) for f in item.fields if f.type != "archive_no"]
    label = _unique_label(template, section, item)
    if isinstance(item, Table):
        return [Column(item.key, label, (item.key,), "table", "json", item)]
    if item.type == "archive_no":
        return []
    return [Column(item.key, label, (item.key,), "field", item.type, item)]


def _resolves_alone(template: Template, name: str) -> bool:
    return len(template_scope(template).lookup(name)) == 1


def _unique_label(template: Template, section, item) -> str:
    candidates = [item.label]
    if item.item is not None:
        candidates.append(f"{item.item}.{item.label}")
    candidates.append(f"{section.label}.{item.label}")
    return next((c for c in candidates if _resolves_alone(template, c)), item.key)


def _group_label(template: Template, group: Group, field: Field) -> str:
    label = f"{group.label}.{field.label}"
    return label if _resolves_alone(template, label) else f"{group.key}.{field.key}"


def column_for_header(template: Template, header: str) -> Column | None:
    """The column a spreadsheet header names (labels, keys or any name resolve accepts)."""
    wanted = norm(header)
    for column in template_columns(template):
        if wanted in (norm(column.label), norm(column.key)):
            return column
    targets = template_scope(template).lookup(header)
    if len(targets) == 1:
        path, item = targets[0]
        kind = "table" if isinstance(item, Table) else "field" if isinstance(item, Field) else None
        if kind:
            return Column(".".join(path), header, path, kind, getattr(item, "type", "json"), item)
    return None


def envelope_column(header: str) -> Column | None:
    wanted = norm(header)
    return next((c for c in ENVELOPE_COLUMNS if wanted in (norm(c.label), norm(c.key))), None)


def lookup(value, path: tuple[str, ...]):
    """The value at ``path`` in nested dicts, or None."""
    for key in path:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def rows_by_label(table: Table, rows) -> list:
    """Table rows with their keys replaced by the column labels (nested tables too)."""
    if not isinstance(rows, list):
        return rows
    labels = {c.key: c for c in table.columns}
    out = []
    for row in rows:
        if not isinstance(row, dict):
            out.append(row)
            continue
        out.append({(labels[k].label if k in labels else k):
                    (rows_by_label(labels[k], v) if isinstance(labels.get(k), Table) else v)
                    for k, v in row.items()})
    return out
