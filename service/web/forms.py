"""The web form of a template, derived from its definition, and the way back.

``build_form(template, values, errors)`` walks the Template and yields one view
object per input, group and table, in the paper form's sections and order,
with the Chinese labels (item numbers for numbered templates), the value to
show and the errors to show next to it. Templates in ``templates/_form.html``
only draw these objects; nothing about a paper form is written in HTML.

``read_submission(template, pairs)`` turns the posted name/value pairs back
into a dossier envelope: names are ASCII key paths (``contact.phone``,
``contacts[0].name``), read by ``service.api.body.form_to_object``; rows
left blank are dropped and the rest renumbered, so error paths
(``data.contacts[1].mobile``) point at the inputs the clerk sees.
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field

from schemas.fields import LONGTEXT_LIMIT, TEXT_LIMIT
from schemas.model import Field, Group, Table, Template
from schemas.resolve import is_blank
from service.api.body import form_to_object

ROW_PLACEHOLDER = "__N__"   # index of a row in a <template> row; web.js replaces it
CONTROL_FIELDS = frozenset({"csrf_token", "_version", "_action"})
PADDING_ROWS = {0: 3, 1: 2}  # blank rows offered without JavaScript, by table depth
RADIO_MAX = 4               # a choice with at most this many options is drawn as radios

INPUT_TYPES = {
    "date": "date", "datetime": "datetime-local", "phone": "tel", "mobile": "tel",
    "email": "email", "integer": "number", "number": "number", "percent": "number",
}
STEPS = {"integer": "1", "number": "any", "percent": "any"}
PLACEHOLDERS = {
    "partial_date": "YYYY、YYYY-MM 或 YYYY-MM-DD", "money": "如 3,600,000.00",
    "mobile": "11 位手机号码", "id_card": "18 位身份证号码",
}


@dataclass
class InputView:
    field: Field
    name: str
    label: str
    widget: str            # text | textarea | number | date | datetime-local | tel | email | select | radios | checkboxes | combo | fixed | readonly
    value: object = ""
    errors: list[str] = dc_field(default_factory=list)
    kind: str = "field"

    @property
    def id(self) -> str:
        return f"f-{self.name}"

    @property
    def maxlength(self) -> int:
        if self.field.max_length:
            return self.field.max_length
        return LONGTEXT_LIMIT if self.field.type == "longtext" else TEXT_LIMIT

    @property
    def step(self) -> str | None:
        return STEPS.get(self.field.type)

    @property
    def placeholder(self) -> str:
        return PLACEHOLDERS.get(self.field.type, "")

    @property
    def options(self) -> list[str]:
        if self.field.type == "yesno":
            return ["是", "否"]
        return list(self.field.choices)

    @property
    def selected(self) -> set[str]:
        if isinstance(self.value, list):
            return {str(v) for v in self.value}
        return {str(self.value)} if not is_blank(self.value) else set()


@dataclass
class GroupView:
    group: Group
    name: str
    label: str
    children: list
    errors: list[str] = dc_field(default_factory=list)
    kind: str = "group"
    legend_hidden: bool = False  # its section's heading already says its label

    @property
    def id(self) -> str:
        return f"g-{self.name}"


@dataclass
class RowView:
    index: str
    legend: str
    children: list
    padding: bool = False   # a blank row offered for input without JavaScript
    errors: list[str] = dc_field(default_factory=list)


@dataclass
class TableView:
    table: Table
    name: str
    label: str
    rows: list[RowView]
    blank: RowView | None   # the <template> row that JavaScript clones (None for fixed grids)
    depth: int
    errors: list[str] = dc_field(default_factory=list)
    kind: str = "table"
    legend_hidden: bool = False  # its section's heading already says its label

    @property
    def id(self) -> str:
        return f"t-{self.name}"


@dataclass
class SectionView:
    key: str
    label: str
    children: list


# -- building the form ----------------------------------------------------------
def build_form(template: Template, values: dict | None = None, errors: dict | None = None,
               archive_no: str = "") -> list[SectionView]:
    ctx = _Context(template, errors or {}, archive_no)
    values = values or {}
    return [_section(ctx, s, values) for s in template.sections]


def _section(ctx: _Context, section, values: dict) -> SectionView:
    """A section's inputs; a group or table titled like its section (业务信息 in 业务信息) keeps its
    fieldset for screen readers, but its legend is not shown a second time under the heading."""
    children = [_node(ctx, item, values, "", 0) for item in section.items]
    for node in children:
        if node.kind != "field" and node.label == section.label:
            node.legend_hidden = True
    return SectionView(section.key, section.label, children)


def build_row(template: Template, table: Table, values: dict | None = None,
              errors: dict | None = None) -> list:
    """The inputs of one new row of ``table`` (appending an entry), named by column key."""
    ctx = _Context(template, errors or {}, "")
    return [_node(ctx, column, values or {}, "", 1) for column in table.columns]


@dataclass
class _Context:
    template: Template
    errors: dict
    archive_no: str

    def label(self, item) -> str:
        if self.template.numbered and item.item is not None:
            return f"{item.item}.{item.label}"
        return item.label


def _node(ctx: _Context, item, values: dict, prefix: str, depth: int):
    name = prefix + item.key
    value = values.get(item.key) if isinstance(values, dict) else None
    if isinstance(item, Field):
        return _input(ctx, item, name, value)
    if isinstance(item, Group):
        inner = value if isinstance(value, dict) else {}
        return GroupView(item, name, ctx.label(item),
                         [_node(ctx, f, inner, f"{name}.", depth) for f in item.fields],
                         ctx.errors.get(name, []))
    return _table(ctx, item, name, value if isinstance(value, list) else [], depth)


def _input(ctx: _Context, spec: Field, name: str, value) -> InputView:
    if spec.type == "archive_no":
        return InputView(spec, name, ctx.label(spec), "readonly", ctx.archive_no or "保存后由系统自动分配")
    return InputView(spec, name, ctx.label(spec), widget_for(spec), display_value(spec, value),
                     ctx.errors.get(name, []))


def widget_for(spec: Field) -> str:
    if spec.type == "longtext":
        return "textarea"
    if spec.type == "multi_choice":
        return "checkboxes"
    if spec.type == "yesno":
        return "radios"
    if spec.type == "choice":
        if spec.allow_other:
            return "combo"      # free text with the choices as suggestions (<datalist>)
        return "radios" if len(spec.choices) <= RADIO_MAX else "select"
    return INPUT_TYPES.get(spec.type, "text")


def display_value(spec: Field, value):
    if value is None:
        return [] if spec.type == "multi_choice" else ""
    if spec.type == "multi_choice":
        return value if isinstance(value, list) else [value]
    if isinstance(value, (list, dict)):
        return ""
    text = str(value)
    if spec.type == "datetime":
        return text.replace(" ", "T", 1)
    return text


def _table(ctx: _Context, table: Table, name: str, rows: list, depth: int) -> TableView:
    if table.fixed_rows:
        return _fixed_grid(ctx, table, name, rows, depth)
    views = [_row(ctx, table, name, str(i), row if isinstance(row, dict) else {}, depth)
             for i, row in enumerate(rows)]
    padding = PADDING_ROWS.get(depth, 1) if not rows else 0
    for i in range(len(rows), len(rows) + padding):
        views.append(_row(ctx, table, name, str(i), {}, depth, padding=True))
    blank = _row(ctx, table, name, ROW_PLACEHOLDER, {}, depth, blank=True)
    return TableView(table, name, ctx.label(table), views, blank, depth, ctx.errors.get(name, []))


def _row(ctx, table: Table, name: str, index: str, row: dict, depth: int,
         padding: bool = False, blank: bool = False) -> RowView:
    prefix = f"{name}[{index}]."
    children = []
    for column in table.columns:
        if blank and isinstance(column, Table):
            children.append(_table(ctx, column, prefix + column.key, [], depth + 1))
        else:
            children.append(_node(ctx, column, {} if blank else row, prefix, depth + 1))
    return RowView(index, row_legend(table, index), children, padding,
                   ctx.errors.get(f"{name}[{index}]", []))


def row_legend(table: Table, index: str) -> str:
    if index == ROW_PLACEHOLDER:
        return table.row_label.replace("{n}", "#") if table.row_label else "新的一行"
    n = int(index) + 1
    return table.row_label.format(n=n) if table.row_label else f"第 {n} 行"


def _fixed_grid(ctx, table: Table, name: str, rows: list, depth: int) -> TableView:
    """A grid with printed row labels (周检讨表): one row per label, no adding or removing."""
    label_key = table.columns[0].key
    by_label = {str(r.get(label_key)): r for r in rows if isinstance(r, dict)}
    views = []
    for i, label in enumerate(table.fixed_rows):
        row = {**by_label.get(label, {}), label_key: label}
        view = _row(ctx, table, name, str(i), row, depth)
        view.legend = label
        view.children[0].widget = "fixed"
        views.append(view)
    return TableView(table, name, ctx.label(table), views, None, depth, ctx.errors.get(name, []))


# -- reading a submission ---------------------------------------------------------
def read_submission(template: Template, pairs: list[tuple[str, str]], editing: bool = False) -> dict:
    """Posted pairs → envelope for DossierService (blank rows dropped, datetimes as on paper).

    ``editing``: the result is a merge patch, so a table left without rows is
    sent as blank (removes it) instead of being left out (keeps the old rows).
    """
    envelope = form_to_object([(k, v) for k, v in pairs if k not in CONTROL_FIELDS])
    envelope["template"] = template.name
    _clean_envelope(envelope)
    data = envelope.get("data") or {}
    envelope["data"] = clean_items([i for s in template.sections for i in s.items], data, editing)
    return envelope


def read_row(table: Table, pairs: list[tuple[str, str]]) -> dict:
    """Posted pairs of one new row (names are column keys) → the row."""
    row = form_to_object([(k, v) for k, v in pairs if k not in CONTROL_FIELDS]).get("data") or {}
    return clean_items(table.columns, row, editing=False)


def clean_items(items, values: dict, editing: bool) -> dict:
    cleaned = dict(values)
    for item in items:
        if item.key not in cleaned:
            continue
        value = cleaned[item.key]
        if isinstance(item, Field):
            cleaned[item.key] = _clean_value(item, value)
        elif isinstance(item, Group):
            if isinstance(value, dict):
                cleaned[item.key] = clean_items(item.fields, value, editing)
        elif isinstance(value, list):
            rows = _clean_rows(item, value, editing)
            cleaned[item.key] = rows if rows or not editing else ""
    return cleaned


def _clean_value(spec: Field, value):
    if spec.type == "multi_choice":
        values = value if isinstance(value, list) else [value]
        return [v for v in values if not is_blank(v)]
    if spec.type == "datetime" and isinstance(value, str):
        return value.strip().replace("T", " ", 1)  # datetime-local → "YYYY-MM-DD HH:MM"
    return value


def _clean_rows(table: Table, rows: list, editing: bool) -> list[dict]:
    kept = []
    for row in rows:
        if not isinstance(row, dict):
            continue
        row = clean_items(table.columns, row, editing=False)
        if table.fixed_rows:
            filled = {k: v for k, v in row.items() if k != table.columns[0].key}
        else:
            filled = row
        if not is_blank_tree(filled):
            kept.append(row)
    return kept


def is_blank_tree(value) -> bool:
    if isinstance(value, dict):
        return all(is_blank_tree(v) for v in value.values())
    if isinstance(value, list):
        return all(is_blank_tree(v) for v in value)
    return is_blank(value)


def _clean_envelope(envelope: dict) -> None:
    if is_blank(envelope.get("confidentiality")):
        envelope.pop("confidentiality", None)
    for block in ("classification", "consent", "retention"):
        value = envelope.get(block)
        if not isinstance(value, dict):
            continue
        kept = {k: v for k, v in value.items() if not is_blank_tree(v)}
        if block == "consent" and kept:
            kept["scope"] = [s for s in kept.get("scope", []) if not is_blank(s)] \
                if isinstance(kept.get("scope"), list) else kept.get("scope", [])
            if kept.get("given") in ("true", "false"):
                kept["given"] = kept["given"] == "true"
        if kept:
            envelope[block] = kept
        else:
            envelope.pop(block)


# -- errors ---------------------------------------------------------------------
def field_errors(errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """DossierInvalid.fields → {form name: messages} ("data.contacts[0].mobile" → "contacts[0].mobile")."""
    mapped: dict[str, list[str]] = {}
    for path, messages in errors.items():
        name = path.removeprefix("data.") if path.startswith("data.") else path
        mapped.setdefault(name, []).extend(messages)
    return mapped


def envelope_values(document: dict) -> dict:
    """The envelope of a stored dossier as the form's inputs show it."""
    consent = dict(_block(document, "consent"))
    if consent.get("given") is True:
        consent["given"] = "true"
    elif consent.get("given") is False:  # refused on record, or the default "no consent recorded"
        recorded = any(consent.get(k) for k in ("date", "method", "evidence", "withdrawn_at"))
        consent["given"] = "false" if recorded else ""
    return {
        "confidentiality": document.get("confidentiality", "normal"),
        "classification": _block(document, "classification"),
        "consent": consent,
        "retention": _block(document, "retention"),
    }


def _block(document: dict, key: str) -> dict:
    """An envelope block as a dict: a posted bare ``consent=x`` (no such input) is not one."""
    value = document.get(key)
    return value if isinstance(value, dict) else {}


ENVELOPE_INPUTS = ("confidentiality", "classification.region", "classification.industry",
                   "classification.level", "consent.given", "consent.scope", "consent.date",
                   "consent.method", "consent.evidence", "retention.years")


def anchors(sections: list[SectionView]) -> dict[str, str]:
    """{form name: element id} of every input, group, table and row, for the error summary links."""
    found = {name: f"f-{name}" for name in ENVELOPE_INPUTS}

    def visit(node):
        found[node.name] = node.id
        if node.kind == "group":
            for child in node.children:
                visit(child)
        elif node.kind == "table":
            for row in node.rows:
                found[f"{node.name}[{row.index}]"] = node.id
                for child in row.children:
                    visit(child)

    for section in sections:
        for node in section.children:
            visit(node)
    return found
