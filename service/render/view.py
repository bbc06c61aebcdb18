"""The printed layout of a dossier, as plain data for the Jinja templates.

A generic walk over ``template.sections`` turns every section into a list of
blocks the templates know how to draw:

``Grid``       bordered label/value grid: two short fields a row, long labels and
               long text full width, a Group as a titled run of rows;
``TableBlock`` ruled table with a header row (repeated on every page), a Table;
               ``fixed_rows`` become a row × column grid with every printed row
               label present; nested tables print inside their row;
``RowBlocks``  a Table with ``row_label`` (第一次沟通 ...): one titled block per row;
``HeadLine``   a Section with ``inline``: one line of short blanks above the grid, as
               the paper's heading (年 月 第 周 填写日期: 姓名:).

Choices print as the paper's tick-box line (☑ 客户上门 ☐ 我方上门 ☐ 现场沟通); 是/否
cells of ruled tables and checklists print as one tick box (``Tick``).

Empty values stay in the layout as blank ruled space, as on the paper form.
"""
from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

WIDE_LABEL = 8.5          # display width (CJK chars) above which a label gets a row of its own
MARKS_MAX_CHOICES = 6     # choice fields with at most this many options print them all (☐/☑)
MARKS_PAIR_WIDTH = 16     # options wider than this need a full row
CHECKLIST_MIN = 3         # this many consecutive groups with the same fields print as one table
CHECKLIST_HEADER = "项目"
BLANK_TABLE_ROWS = 3      # ruled blank rows printed for an empty table


def display_width(text: str) -> float:
    """Printed width in CJK character units (ASCII counts a little over half)."""
    return sum(0.55 if ord(ch) < 0x2E80 else 1.0 for ch in text)


@dataclass
class FieldCell:
    key: str
    label: str
    text: str
    type: str
    marks: list[tuple[bool, str]] | None = None
    other: str = ""

    @property
    def long(self) -> bool:
        return self.type == "longtext"

    @property
    def width(self) -> float:
        marks = sum(display_width(c) + 1.5 for _, c in self.marks or ())
        return max(display_width(self.text), marks)


@dataclass
class GridRow:
    kind: str                      # pair | single | wide | long | stacked | bare | title
    cells: list[FieldCell] = dc_field(default_factory=list)
    title: str = ""


@dataclass
class Grid:
    rows: list[GridRow] = dc_field(default_factory=list)
    kind: str = "grid"


@dataclass
class Column:
    label: str
    width: float                   # percent of the table width
    sub: bool = False              # printed under a band (second header row)


@dataclass
class Band:
    """A top header cell: a single column (rowspan 2) or a titled band over sub-columns."""
    label: str
    span: int = 1
    grouped: bool = False


@dataclass
class Tick:
    """A tick box in a ruled table cell: ☑ (``tick``) or ☐, with optional text after it."""
    tick: bool
    text: str = ""


@dataclass
class HeadLine:
    """Short fields printed as one line of label + underlined blank (the paper's heading)."""
    cells: list[FieldCell]
    kind: str = "line"


@dataclass
class TableRow:
    cells: list[str | Tick]
    nested: list[TableBlock] = dc_field(default_factory=list)


@dataclass
class TableBlock:
    key: str
    title: str
    columns: list[Column]
    rows: list[TableRow]
    fixed: bool = False
    bands: list[Band] | None = None   # two header rows when a one-row sub-table is banded
    kind: str = "table"


@dataclass
class RowBlock:
    title: str
    blocks: list


@dataclass
class RowBlocks:
    key: str
    title: str
    items: list[RowBlock]
    kind: str = "rows"


@dataclass
class SectionView:
    key: str
    label: str
    blocks: list
    inline: bool = False           # a heading line (HeadLine) rather than a titled block


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_rows(value: Any) -> list[dict]:
    return [row for row in value if isinstance(row, dict)] if isinstance(value, list) else []
