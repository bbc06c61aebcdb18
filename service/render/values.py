"""How stored values read on paper: plain strings, blank when empty.

Values are printed as stored (masked confidential values arrive as ``"***"``
and print as they are); nothing here produces markup, escaping is Jinja's job.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

_DIGITS = "零一二三四五六七八九"

CHECKED, UNCHECKED = "■", "□"


def is_blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def format_value(value: Any) -> str:
    """One stored value as printed text ('' for blank)."""
    if is_blank(value):
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, Decimal, str)):
        return str(value)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return "、".join(text for text in map(format_value, value) if text)
    if isinstance(value, dict):
        return "；".join(f"{k}: {format_value(v)}" for k, v in value.items() if not is_blank(v))
    return str(value)


def choice_marks(choices: tuple[str, ...], value: Any) -> list[tuple[bool, str]]:
    """Options as the paper prints them (□ 客户上门 ■ 我方上门), the chosen ones marked."""
    chosen = set(value) if isinstance(value, (list, tuple)) else {value}
    return [(choice in chosen, choice) for choice in choices]


def other_choice(choices: tuple[str, ...], value: Any) -> str:
    """The free-text part of a choice value that is not one of ``choices``."""
    values = value if isinstance(value, (list, tuple)) else [value]
    return format_value([v for v in values if not is_blank(v) and v not in choices])


def chinese_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 105 → 105 (as in 第一次沟通)."""
    if n < 0 or n >= 100:
        return str(n)
    if n < 10:
        return _DIGITS[n]
    tens, units = divmod(n, 10)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[units] if units else "")


def row_title(pattern: str, n: int) -> str:
    """``第{n}次沟通`` → 第一次沟通; ``{num}`` gives the Arabic number (记录{num} → 记录1)."""
    return pattern.replace("{n}", chinese_numeral(n)).replace("{num}", str(n))
