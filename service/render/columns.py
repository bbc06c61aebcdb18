"""Column widths of ruled tables, from field types, labels and what the rows hold.

Widths are in "character units" (one CJK character at body size; ASCII counts
0.55) and become percentages. Columns whose values have a natural width (dates,
times, phone numbers, figures) get it, so ``2026-11-02 09:15`` never breaks
mid-number (a date-time breaks only at its space); free-text columns share the rest
according to their content.
"""
from __future__ import annotations

from schemas.model import Field

from .values import format_value
from .view import Column, display_width

CAPACITY = 57.0          # character units across the printable width of A4 at 9pt
PADDING = 1.1            # cell padding, in character units
NATURAL = {              # width of a typical value of these types
    "datetime": 5.6, "date": 5.6,  # a date-time takes two lines (date, then time): its columns are many "partial_date": 4.0, "phone": 7.2, "mobile": 6.2,
    "integer": 3.0, "number": 3.5, "percent": 3.0, "money": 5.5, "yesno": 1.6,
    "id_card": 10.0, "email": 9.0, "archive_no": 8.0,
}
FLEX_CAP = {"longtext": 30.0, "text": 12.0}


def header_width(label: str) -> float:
    """Headers up to 5 characters stay on one line; longer ones may take two."""
    width = display_width(label)
    return width if width <= 5 else max(width / 2, 5.0)


def _need(field: Field, rows: list[dict]) -> tuple[float, float]:
    """(wanted, narrowest) width of one column; equal for natural-width types."""
    header = header_width(field.label)
    if field.type in NATURAL:
        width = max(NATURAL[field.type], header) + PADDING
        return width, width
    content = max((display_width(format_value(r.get(field.key))) for r in rows), default=0.0)
    if field.type == "choice" and field.choices:
        content = max(content, max(display_width(c) for c in field.choices))
    floor = max(header, 8.0 if field.type == "longtext" else 4.0) + PADDING
    wanted = max(min(content, FLEX_CAP.get(field.type, 12.0)) + PADDING, floor)
    return wanted, floor


def column_widths(fields: list[Field], rows: list[dict], capacity: float = CAPACITY,
                  first_min: float = 0.0) -> list[Column]:
    """Percent widths: every column gets its narrowest width, the room left is shared
    in proportion to how much more each one wants."""
    needs = [_need(f, rows) for f in fields]
    if needs and first_min:
        needs[0] = (max(needs[0][0], first_min), max(needs[0][1], first_min))
    floors = sum(floor for _, floor in needs)
    extra = sum(wanted - floor for wanted, floor in needs)
    share = min(1.0, max(capacity - floors, 0.0) / extra) if extra else 0.0
    widths = [floor + (wanted - floor) * share for wanted, floor in needs]
    total = sum(widths) or 1.0
    return [Column(f.label, round(100 * w / total, 2)) for f, w in zip(fields, widths)]
