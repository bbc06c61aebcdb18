"""marshmallow fields for the value types of a paper form, with Chinese messages.

Values are stored as a clerk would recognise them (dates ``YYYY-MM-DD``, phone
numbers as typed after NFKC), so a dossier reads back as it was filled in.
Identifiers are always strings: leading zeros survive.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata

from marshmallow import ValidationError, fields

from .model import Field

TEXT_LIMIT = 2_000
LONGTEXT_LIMIT = 20_000
MAX_EXACT_INT = 2**53 - 1   # integers beyond this lose precision in JSON clients and may not fit BSON
MONEY_LIMIT = 30            # characters of a money amount ("3,600,000.00")


def nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


class _Base(fields.Field):
    """Rejects containers and booleans where a scalar is expected, in Chinese."""

    def __init__(self, spec: Field, **kwargs):
        super().__init__(required=spec.required, error_messages={
            "required": f"{spec.label}：必填项，不能为空",
            "null": f"{spec.label}：不能为 null",
        }, **kwargs)
        self.spec = spec

    def fail(self, reason: str):
        raise ValidationError(f"{self.spec.label}：{reason}")

    def scalar(self, value) -> str | int | float:
        if isinstance(value, (dict, list, bool)) or not isinstance(value, (str, int, float)):
            self.fail("应为单个值")
        return value

    def _serialize(self, value, attr, obj, **kwargs):
        return value


class Text(_Base):
    def _deserialize(self, value, attr, data, **kwargs):
        value = self.scalar(value)
        text = str(value).strip()
        limit = self.spec.max_length or (LONGTEXT_LIMIT if self.spec.type == "longtext" else TEXT_LIMIT)
        if len(text) > limit:
            self.fail(f"内容过长（{len(text)} 字），最多 {limit} 字")
        return text


class Number(_Base):
    def _deserialize(self, value, attr, data, **kwargs):
        value = self.scalar(value)
        if isinstance(value, str):
            text = nfkc(value).strip().replace(",", "")
            if self.spec.type == "percent":
                text = text.removesuffix("%")
            try:
                value = float(text) if re.fullmatch(r"[+-]?(\d+\.\d*|\.\d+|\d+)", text) else None
            except ValueError:
                value = None
            if value is None:
                self.fail(f"“{data_preview(text)}”不是数字")
            if value.is_integer() and "." not in text:
                value = int(value)
        if value != value or value in (float("inf"), float("-inf")):
            self.fail("不是有效数字")
        if self.spec.type == "integer":
            if isinstance(value, float) and not value.is_integer():
                self.fail("应为整数")
            value = int(value)
        if self.spec.type == "percent" and not 0 <= value <= 100:
            self.fail("百分比应在 0 到 100 之间")
        if self.spec.bounds and not self.spec.bounds[0] <= value <= self.spec.bounds[1]:
            self.fail(f"应在 {self.spec.bounds[0]} 到 {self.spec.bounds[1]} 之间")
        if isinstance(value, int) and abs(value) > MAX_EXACT_INT:  # BSON holds 64-bit ints only
            self.fail("数值过大")
        return value


MONEY = re.compile(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,4})?")


class Money(_Base):
    def _deserialize(self, value, attr, data, **kwargs):
        value = self.scalar(value)
        text = nfkc(str(value)).strip().removeprefix("¥").strip()
        if len(text) > MONEY_LIMIT or not MONEY.fullmatch(text):
            self.fail(f"“{data_preview(text)}”不是有效金额（例如 3,600,000.00）")
        return text


_DATE_SEPARATORS = re.compile(r"[./年月]")


def _parse_date_parts(text: str) -> list[int] | None:
    text = nfkc(text).strip().removesuffix("日")
    text = _DATE_SEPARATORS.sub("-", text)
    if not re.fullmatch(r"\d{4}(-\d{1,2}){0,2}", text):
        return None
    return [int(p) for p in text.split("-")]


class Date(_Base):
    def _deserialize(self, value, attr, data, **kwargs):
        value = self.scalar(value)
        parts = _parse_date_parts(str(value))
        partial = self.spec.type == "partial_date"
        if parts is None or (not partial and len(parts) != 3):
            self.fail(f"“{data_preview(str(value))}”不是有效日期（格式 YYYY-MM-DD{'，或 YYYY-MM、YYYY' if partial else ''}）")
        try:
            dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        except ValueError:
            self.fail(f"“{value}”不是存在的日期")
        return "-".join([f"{parts[0]:04d}"] + [f"{p:02d}" for p in parts[1:]])


_DATETIME = re.compile(r"(\d{4}-\d{1,2}-\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")


class DateTime(_Base):
    def _deserialize(self, value, attr, data, **kwargs):
        value = self.scalar(value)
        match = _DATETIME.fullmatch(nfkc(str(value)).strip().replace("/", "-"))
        if not match:
            self.fail(f"“{data_preview(str(value))}”不是有效时间（格式 YYYY-MM-DD HH:MM）")
        y, m, d = (int(p) for p in match.group(1).split("-"))
        try:
            moment = dt.datetime(y, m, d, int(match.group(2)), int(match.group(3)), int(match.group(4) or 0))
        except ValueError:
            self.fail(f"“{value}”不是存在的时间")
        # stored to the minute, as on paper; the year padded by hand (strftime's %Y is not below 1000)
        return f"{moment.year:04d}-{moment:%m-%d %H:%M}"


_PHONE_CHARS = re.compile(r"[0-9 +\-()]+")


class Phone(_Base):
    def _deserialize(self, value, attr, data, **kwargs):
        value = self.scalar(value)
        text = " ".join(nfkc(str(value)).split())
        digits = re.sub(r"\D", "", text)
        if self.spec.type == "mobile":
            national = digits[2:] if digits.startswith("86") and len(digits) == 13 else digits
            if not re.fullmatch(r"1[3-9]\d{9}", national):
                self.fail(f"“{data_preview(text)}”不是有效的手机号码（11 位，以 1 开头）")
        elif not _PHONE_CHARS.fullmatch(text) or not 7 <= len(digits) <= 15:
            self.fail(f"“{data_preview(text)}”不是有效的电话号码（例如 021-6288 0011 或 139 1688 2046）")
        return text


class Email(_Base):
    def _deserialize(self, value, attr, data, **kwargs):
        value = self.scalar(value)
        text = nfkc(str(value)).strip()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", text):
            self.fail(f"“{data_preview(text)}”不是有效的电子邮件地址")
        return text


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_card_check_digit(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


class IdCard(_Base):
    """18-digit resident ID (GB 11643): birth date and ISO 7064 MOD 11-2 check digit."""

    def _deserialize(self, value, attr, data, **kwargs):
        value = self.scalar(value)
        text = nfkc(str(value)).strip().upper()
        if not re.fullmatch(r"\d{17}[\dX]", text):
            self.fail("身份证号码应为 18 位（最后一位可为 X）")
        try:
            dt.date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
        except ValueError:
            self.fail("身份证号码中的出生日期无效")
        if id_card_check_digit(text[:17]) != text[17]:
            self.fail("身份证号码校验位不正确，请核对")
        return text


class Choice(_Base):
    def _deserialize(self, value, attr, data, **kwargs):
        value = self.scalar(value)
        return self.pick(str(value))

    def pick(self, text: str) -> str:
        wanted = "".join(nfkc(text).split())
        for choice in self.spec.choices:
            if "".join(nfkc(choice).split()) == wanted:
                return choice
        for alias, choice in self.spec.choice_aliases:  # the seed's wording, stored as the choice
            if "".join(nfkc(alias).split()) == wanted:
                return choice
        if self.spec.allow_other and wanted:
            return text.strip()
        self.fail(f"“{data_preview(text)}”不是可选项，可选：{'、'.join(self.spec.choices)}")


class MultiChoice(Choice):
    def _deserialize(self, value, attr, data, **kwargs):
        values = value if isinstance(value, list) else [value]
        return [self.pick(str(self.scalar(v))) for v in values if str(v).strip()]


_YES = {"是", "有", "yes", "y", "true", "1", "√"}
_NO = {"否", "无", "no", "n", "false", "0", "×"}


class YesNo(_Base):
    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool):
            return "是" if value else "否"
        text = nfkc(str(self.scalar(value))).strip().lower()
        if text in _YES:
            return "是"
        if text in _NO:
            return "否"
        self.fail(f"“{data_preview(str(value))}”应为“是”或“否”")


class ArchiveNo(_Base):
    def _deserialize(self, value, attr, data, **kwargs):
        self.fail("由系统自动分配（即档案编号），不能填写")


FIELD_CLASSES = {
    "text": Text, "longtext": Text,
    "integer": Number, "number": Number, "percent": Number,
    "money": Money,
    "date": Date, "partial_date": Date, "datetime": DateTime,
    "phone": Phone, "mobile": Phone, "email": Email, "id_card": IdCard,
    "choice": Choice, "multi_choice": MultiChoice, "yesno": YesNo,
    "archive_no": ArchiveNo,
}


def make_field(spec: Field) -> fields.Field:
    return FIELD_CLASSES[spec.type](spec)


def data_preview(text: str, limit: int = 40) -> str:
    return text if len(text) <= limit else text[:limit] + "…"
