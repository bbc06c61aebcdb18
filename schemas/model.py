"""The declarative vocabulary of a paper form.

A template is plain data: sections (print/layout units) holding fields, groups
(titled blocks stored as nested objects) and tables (repeating blocks stored as
lists of rows). Everything else (marshmallow schema, JSON Schema, web form,
PDF, completeness, export columns) is derived from these objects, so nothing
here imports Flask, marshmallow or WeasyPrint.

Storage shape of ``dossier["data"]``: section fields sit at the top level
(sections do not nest); a Group is a dict under its key; a Table is a list of
row dicts. Keys are ASCII snake_case so they are safe MongoDB paths; labels
never become storage keys.
"""
from __future__ import annotations

from dataclasses import dataclass

# Field types understood by the validator, the web form and the renderer.
# Bounds shared by the forms (Field.bounds)
AGE = (0, 150)
YEAR = (1900, 2100)
MONTH = (1, 12)
WEEK_OF_MONTH = (1, 5)   # 第一周 … 第五周, as on the monthly targets form

FIELD_TYPES = frozenset({
    "text",        # one line of free text
    "longtext",    # several lines (textarea; wraps in PDF cells)
    "integer",
    "number",      # int or decimal
    "percent",     # number 0..100
    "money",       # decimal amount, kept as the canonical string the clerk typed ("3,600,000.00")
    "date",        # YYYY-MM-DD
    "partial_date",  # YYYY, YYYY-MM or YYYY-MM-DD (graduation "1994-07")
    "datetime",    # YYYY-MM-DD HH:MM, local time as written on the paper
    "phone",       # mobile or fixed line, kept as typed after NFKC
    "mobile",      # 11-digit mainland mobile
    "email",
    "id_card",     # 18-digit resident ID with check digit
    "choice",      # one of ``choices``
    "multi_choice",  # list of ``choices``
    "yesno",       # 是/否 (stored as the string, as the paper has it)
    "archive_no",  # output only: printed from the dossier's archive number
})


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    type: str = "text"
    required: bool = False
    confidential: bool = False
    completeness: bool = True      # counts for the completeness score
    aliases: tuple[str, ...] = ()  # other labels accepted on input (e.g. the seed's uncorrected wording)
    choices: tuple[str, ...] = ()
    choice_aliases: tuple[tuple[str, str], ...] = ()  # (alias, choice): other wordings accepted on
                                   # input and stored as the choice (the seed's "经邦上门" → "我方上门")
    allow_other: bool = False      # choice fields: accept free text besides ``choices``
    item: int | None = None        # item number printed on the paper (66项)
    hint: str = ""                 # shown under the input / in the JSON Schema description
    max_length: int | None = None
    bounds: tuple[int, int] | None = None  # numbers: smallest and largest value that makes sense (年龄 0–150)

    kind = "field"


@dataclass(frozen=True)
class Group:
    """A titled block of fields, stored as a nested object (e.g. 投资组合)."""
    key: str
    label: str
    fields: tuple[Field, ...]
    item: int | None = None
    hint: str = ""
    check: str | None = None       # name of a cross-field rule in schemas.rules (e.g. "sum_to_100")
    aliases: tuple[str, ...] = ()  # other titles accepted on input (another version of the paper form)
    flat: bool = False             # its fields describe the client itself (联系方式, 地址信息), so they also
                                   # answer to their bare labels; never for another person (操盘人资料)

    kind = "group"


@dataclass(frozen=True)
class Table:
    """A repeating block, stored as a list of rows (visits, records, contacts).

    ``entry=True`` marks blocks that grow over time and can be appended to a
    stored dossier through the entries endpoint. ``fixed_rows`` turns the
    table into a grid whose first column takes one of the printed row labels
    (weekly review: 新开户数(户), 新增资金(万元) ...).
    """
    key: str
    label: str
    columns: tuple[Field | Table, ...]
    entry: bool = False
    fixed_rows: tuple[str, ...] = ()
    row_label: str = ""            # title of one row block in print, e.g. "第{n}次沟通"
    item: int | None = None
    hint: str = ""
    max_rows: int = 500
    aliases: tuple[str, ...] = ()  # other titles accepted on input (沟通记录 for 客户交流记录)

    kind = "table"


Item = Field | Group | Table


@dataclass(frozen=True)
class Section:
    """A heading of the paper form. Layout and completeness unit, not a storage level."""
    key: str
    label: str
    items: tuple[Item, ...]
    threshold: float | None = None  # completeness share (0..1) this section must reach
    inline: bool = False            # print as one heading line of short blanks (年 月 第 周 填写日期: 姓名:)


@dataclass(frozen=True)
class Template:
    name: str                       # public API name, e.g. "mackay66"
    title: str                      # printed title, e.g. "66项完全客户档案"
    sections: tuple[Section, ...]
    source: str = ""                # which form of the seed it comes from
    retention_years: int = 10       # default 保管期限
    numbered: bool = False          # print item numbers (66项)
    signatures: tuple[str, ...] = ()  # signature lines at the foot (制表人, 填表人签名 ...)
    footnote: str = ""              # printed at the foot (visit report 说明)
    corrections: tuple[tuple[str, str], ...] = ()  # (seed wording, corrected wording)
    must_have: tuple[str, ...] = ()  # field keys whose absence marks the dossier incomplete
    layout: str | None = None       # name of a layout override in pdf_templates/layouts/
    name_fields: tuple[str, ...] = ()  # field keys/paths that name the client (for search q= and titles)
    description: str = ""
    screen_title: str = ""          # where two paper forms print the same title: the name on screens,
                                    # sheet and file names (the PDF still prints ``title``)

    @property
    def display_title(self) -> str:
        return self.screen_title or self.title

    def walk(self):
        """Yield (section, path, item) for every field, group and table, depth first.

        ``path`` is the tuple of keys from ``data`` to the item.
        """
        for section in self.sections:
            for item in section.items:
                yield from _walk(section, (), item)

    def fields(self):
        """All leaf fields with their key paths (table columns included)."""
        return [(s, p, i) for s, p, i in self.walk() if i.kind == "field"]

    def tables(self):
        return [(s, p, i) for s, p, i in self.walk() if i.kind == "table"]

    def section_of(self, key: str) -> Section:
        for section in self.sections:
            if any(i.key == key for i in section.items):
                return section
        raise KeyError(key)


def _walk(section, prefix, item):
    path = prefix + (item.key,)
    yield section, path, item
    children = item.fields if item.kind == "group" else item.columns if item.kind == "table" else ()
    for child in children:
        yield from _walk(section, path, child)
