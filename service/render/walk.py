"""The generic walk: template sections + stored data → printable blocks (see ``view``)."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from schemas.model import Field, Group, Table, Template

from .columns import column_widths
from .values import choice_marks, format_value, is_blank, other_choice, row_title
from .view import (
    BLANK_TABLE_ROWS,
    CHECKLIST_HEADER,
    CHECKLIST_MIN,
    MARKS_MAX_CHOICES,
    MARKS_PAIR_WIDTH,
    WIDE_LABEL,
    Band,
    FieldCell,
    Grid,
    GridRow,
    HeadLine,
    RowBlock,
    RowBlocks,
    SectionView,
    TableBlock,
    TableRow,
    Tick,
    as_dict,
    as_rows,
    display_width,
)


class _GridBuilder:
    """Packs field cells into grid rows: two short fields a row, long ones alone."""

    def __init__(self):
        self.grid = Grid()
        self.pending: FieldCell | None = None

    def add(self, cell: FieldCell) -> None:
        kind = _row_kind(cell)
        if kind == "pair" and self.pending is None:
            self.pending = cell
            return
        if kind == "pair":
            self.grid.rows.append(GridRow("pair", [self.pending, cell]))
            self.pending = None
            return
        self._close_pending()
        self.grid.rows.append(GridRow(kind, [cell]))

    def title(self, title: str) -> None:
        self._close_pending()
        self.grid.rows.append(GridRow("title", title=title))

    def flush(self) -> list[Grid]:
        self._close_pending()
        grid, self.grid = self.grid, Grid()
        return [grid] if grid.rows else []

    def _close_pending(self) -> None:
        if self.pending is not None:
            self.grid.rows.append(GridRow("single", [self.pending]))
            self.pending = None


def _row_kind(cell: FieldCell) -> str:
    if not cell.label:
        return "bare"
    long_label = display_width(cell.label) > WIDE_LABEL
    if cell.long:
        return "stacked" if long_label else "long"
    if long_label:
        return "wide"
    if cell.marks and cell.width > MARKS_PAIR_WIDTH:
        return "single"
    return "pair"


class FormWalker:
    """Walks one template over one document's data. Create one per render."""

    def __init__(self, template: Template, document: dict[str, Any], skip_keys=()):
        self.template = template
        self.document = document
        self.skip_keys = set(skip_keys)   # top-level fields printed elsewhere (signature lines)
        self._last_item: int | None = None
        # shapes of the form's checklists: a lone group of that shape prints as one too (日常维修资料)
        self.checklist_shapes = {_shape(run[0]) for s in template.sections
                                 for run in _checklists(s.items) if isinstance(run, list)}

    def sections(self) -> list[SectionView]:
        data = as_dict(self.document.get("data"))
        views = []
        for section in self.template.sections:
            if section.inline:
                blocks = self.headline(section, data)
            else:
                blocks = self.blocks(section.items, data, section.label, top=True)
            if blocks:
                views.append(SectionView(section.key, section.label, blocks, inline=section.inline))
        return views

    def headline(self, section, data: dict) -> list:
        """An ``inline`` section: its fields as one line of blanks; anything else as usual."""
        fields = [i for i in section.items if i.kind == "field" and i.key not in self.skip_keys]
        rest = [i for i in section.items if i.kind != "field"]
        line = [self.cell(f, data.get(f.key)) for f in fields]
        return ([HeadLine(line)] if line else []) + (self.blocks(rest, data, section.label) if rest else [])

    def blocks(self, items, values: dict, parent_label: str, top: bool = False) -> list:
        out, grid = [], _GridBuilder()
        for item in _checklists(items, self.checklist_shapes):
            if isinstance(item, list):
                out.extend(grid.flush())
                out.append(self.checklist(item, values))
            elif item.kind == "field":
                if not (top and item.key in self.skip_keys):
                    grid.add(self.cell(item, values.get(item.key), bare=item.label == parent_label))
            elif item.kind == "group":
                self._group(item, as_dict(values.get(item.key)), parent_label, grid, out)
            else:
                out.extend(grid.flush())
                out.append(self.table(item, values.get(item.key), parent_label))
        out.extend(grid.flush())
        return out

    def _group(self, group: Group, values: dict, parent_label: str, grid, out) -> None:
        if group.label != parent_label or group.item is not None:
            grid.title(self.numbered(group, _with_hint(group)))
        for child in group.fields:
            if child.kind == "field":
                grid.add(self.cell(child, values.get(child.key)))
            else:  # not in the vocabulary today; print rather than drop
                out.extend(grid.flush())
                out.extend(self.blocks((child,), values, group.label))

    def numbered(self, item, label: str) -> str:
        """``1. 姓名`` for numbered forms, once per item number (3. 电话(公) … 电话(宅))."""
        number = getattr(item, "item", None)
        if not self.template.numbered or number is None or number == self._last_item:
            return label
        self._last_item = number
        return f"{number}. {label}"

    def cell(self, field: Field, value: Any, bare: bool = False) -> FieldCell:
        """One label/value cell; ``bare`` drops a label that repeats its section heading."""
        if field.type == "archive_no":
            value = self.document.get("archive_no")
        label = "" if bare and field.item is None else self.numbered(field, field.label)
        cell = FieldCell(field.key, label, _text(field, value), field.type)
        choices = field.choices or (("是", "否") if field.type == "yesno" else ())
        if field.type in ("choice", "multi_choice", "yesno") and 0 < len(choices) <= MARKS_MAX_CHOICES:
            cell.marks = choice_marks(choices, value)
            cell.other = other_choice(choices, value)
        return cell

    def table(self, table: Table, value: Any, parent_label: str):
        rows = as_rows(value)
        title = self.numbered(table, table.label) if table.label != parent_label else ""
        if table.row_label:
            return self._row_blocks(table, rows, title)
        fields, nested, bands = _leaves(table)
        rows = [_flatten(row, table) for row in rows]
        label_width = max((display_width(r) for r in table.fixed_rows), default=0.0) + 1.1
        columns = column_widths(fields, rows, first_min=label_width if table.fixed_rows else 0.0)
        for column, leaf in zip(columns, fields):
            column.sub = "." in leaf.key
        if table.fixed_rows:
            body = _fixed_rows(table, fields, rows)
        else:
            body = [self._row(fields, nested, row) for row in rows]
            body += [TableRow([""] * len(fields)) for _ in range(BLANK_TABLE_ROWS if not rows else 0)]
        has_band = any(b.grouped for b in bands)
        return TableBlock(table.key, title, columns, body, fixed=bool(table.fixed_rows),
                          bands=bands if has_band else None)

    def checklist(self, groups: list[Group], values: dict) -> TableBlock:
        """Three or more groups with the same fields (资料 received/date/copies/note): one table."""
        fields = list(groups[0].fields)
        stored = [as_dict(values.get(g.key)) for g in groups]
        names = [self.numbered(g, _with_hint(g)) for g in groups]
        head = Field("_item", CHECKLIST_HEADER)
        columns = column_widths([head, *fields], [{"_item": n} for n in names] + stored)
        rows = [TableRow([name] + [table_cell(f, row.get(f.key), printed=True) for f in fields])
                for name, row in zip(names, stored)]
        return TableBlock(groups[0].key, "", columns, rows, fixed=True)

    def _row(self, fields, nested, row: dict) -> TableRow:
        cells = [table_cell(f, row.get(f.key)) for f in fields]
        inner = [self.table(t, row.get(t.key), "") for t in nested if as_rows(row.get(t.key))]
        return TableRow(cells, inner)

    def _row_blocks(self, table: Table, rows: list[dict], title: str) -> RowBlocks:
        items = []
        for n, row in enumerate(rows or [{}], start=1):
            saved, self._last_item = self._last_item, None
            items.append(RowBlock(row_title(table.row_label, n), self.blocks(table.columns, row, "")))
            self._last_item = saved
        return RowBlocks(table.key, title, items)


def _text(field: Field, value: Any) -> str:
    """A value as printed; percentages carry their % unless the label already says (%)."""
    text = format_value(value)
    if text and field.type == "percent" and "%" not in field.label and not text.endswith("%"):
        text += "%"
    return text


def table_cell(field: Field, value: Any, printed: bool = False) -> str | Tick:
    """One cell of a ruled table: 是/否 as a tick box with the answer (☑是, ☐否). On printed
    rows (checklists, grids) a ticked 是否收到 reads ☑已收到, as a clerk writes it beside
    the box, and a blank or 否 is the empty box; a blank on a row the clerk added prints nothing."""
    if field.type == "yesno" and (value in ("是", "否", True, False) or (printed and is_blank(value))):
        on = value in ("是", True)
        if not printed:
            return Tick(on, "是" if on else "否")
        return Tick(on, "已" + field.label[2:] if on and field.label.startswith("是否") else "")
    return _text(field, value)


def _with_hint(group: Group) -> str:
    """A block's title as the paper prints it: 第二主管人资料(与本公司业务话语权占70%)."""
    return f"{group.label}({group.hint})" if group.hint else group.label


def _banded(column) -> bool:
    """A one-row sub-table of plain fields prints as a band over its columns (客户名称: 公司 职务 姓名)."""
    return (column.kind == "table" and column.max_rows == 1 and not column.row_label
            and not column.fixed_rows and all(c.kind == "field" for c in column.columns))


def _leaves(table: Table) -> tuple[list[Field], list[Table], list[Band]]:
    """Printed columns (banded sub-columns keyed ``sub.key``), nested tables, header bands."""
    leaves, nested, bands = [], [], []
    for column in table.columns:
        if column.kind == "field":
            leaves.append(column)
            bands.append(Band(column.label))
        elif _banded(column):
            subs = [replace(c, key=f"{column.key}.{c.key}") for c in column.columns]
            leaves.extend(subs)
            bands.append(Band(column.label, len(subs), grouped=True))
        else:
            nested.append(column)
    return leaves, nested, bands


def _flatten(row: dict, table: Table) -> dict:
    """``row`` with the single row of each banded sub-table spread as ``sub.key`` values."""
    flat = dict(row)
    for column in table.columns:
        if _banded(column):
            first = (as_rows(row.get(column.key)) or [{}])[0]
            flat.update({f"{column.key}.{c.key}": first.get(c.key) for c in column.columns})
    return flat


def _checklists(items, shapes=frozenset()):
    """``items`` with every run of ≥ CHECKLIST_MIN groups of identical fields as one list
    (and any run of groups of a shape in ``shapes``)."""
    run: list[Group] = []
    for item in (*items, None):
        if run and (item is None or item.kind != "group" or _shape(item) != _shape(run[0])):
            yield from ([run] if len(run) >= CHECKLIST_MIN or _shape(run[0]) in shapes else run)
            run = []
        if item is not None and item.kind == "group" and all(f.kind == "field" for f in item.fields):
            run.append(item)
        elif item is not None:
            yield item


def _shape(group: Group) -> tuple:
    return tuple((f.key, f.label) for f in group.fields)


def _fixed_rows(table: Table, fields, rows: list[dict]) -> list[TableRow]:
    """Every printed row label in order, filled from the row whose first column matches."""
    first = fields[0].key if fields else None
    by_label = {}
    for row in rows:
        by_label.setdefault(format_value(row.get(first)), row)
    body = []
    for label in table.fixed_rows:
        row = by_label.pop(label, {})
        body.append(TableRow([label] + [table_cell(f, row.get(f.key), printed=True) for f in fields[1:]]))
    for row in by_label.values():  # rows with a label the form does not print: keep, never drop
        body.append(TableRow([table_cell(f, row.get(f.key), printed=True) for f in fields]))
    return body
