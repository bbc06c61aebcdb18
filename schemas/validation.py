"""marshmallow validation derived from a template, and the dossier envelope.

``load_dossier(raw)`` is the one entry point for every input channel (JSON,
web forms, imports): envelope checks, name resolution (schemas.resolve), value
validation (schemas.fields) and cross-field rules (schemas.rules). It returns
the canonical document parts or raises ``DossierInvalid`` with every problem,
keyed by path, in Chinese.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError, fields, validate

from . import rules
from .fields import make_field
from .model import Field, Group, Table, Template
from .registry import UnknownTemplate, get_template
from .resolve import is_blank, resolve
from .text import forbidden_characters

CONFIDENTIALITY_LABELS = {"normal": "普通", "confidential": "机密", "secret": "绝密"}  # 密级: code → printed word
CONFIDENTIALITY = tuple(CONFIDENTIALITY_LABELS)
STATUS_LABELS = {"active": "在档", "destroyed": "已销毁"}  # set by the service, never posted
ENVELOPE_KEYS = {"template", "classification", "confidentiality", "consent", "retention", "data"}


class DossierInvalid(Exception):
    def __init__(self, fields: dict[str, list[str]], message: str = "档案内容有误，请按提示修改"):
        super().__init__(message)
        self.message = message
        self.fields = fields


@dataclass
class LoadedDossier:
    template: Template
    envelope: dict                      # classification, confidentiality, consent, retention
    data: dict
    extra: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class ClassificationSchema(Schema):
    class Meta:
        unknown = RAISE
    region = fields.String(validate=validate.Length(max=100))
    industry = fields.String(validate=validate.Length(max=100))
    level = fields.String(validate=validate.Length(max=100))


class WholeNumber(fields.Integer):
    """An integer as JSON sends it or a form types it ("10"); 1.5 is refused, never cut to 1."""

    def _validated(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class YesNo(fields.Boolean):
    """true/false (JSON, web forms) or 是/否 (spreadsheets), nothing looser: 1 == True in Python."""

    def __init__(self, **kwargs):
        super().__init__(truthy={True, "true", "是"}, falsy={False, "false", "否"}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, (bool, str)):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class ConsentSchema(Schema):
    class Meta:
        unknown = RAISE
    given = YesNo(required=True, error_messages={"required": "请说明客户是否同意（given）",  # a legal record
                                                 "invalid": "应为 true 或 false（是/否）"})
    scope = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list)
    date = fields.Date(error_messages={"invalid": "同意日期格式应为 YYYY-MM-DD"})
    method = fields.String(validate=validate.Length(max=100))
    evidence = fields.String(validate=validate.Length(max=500))


class RetentionSchema(Schema):
    class Meta:
        unknown = RAISE
    years = WholeNumber(required=True, validate=validate.Range(1, 100, error="保管期限应为 1 到 100 年"),
                        error_messages={"invalid": "保管期限应为整数（年）"})


class EnvelopeSchema(Schema):
    class Meta:
        unknown = EXCLUDE
    classification = fields.Nested(ClassificationSchema, load_default=dict)
    confidentiality = fields.String(load_default="normal", validate=validate.OneOf(
        CONFIDENTIALITY, error="密级应为 normal（普通）、confidential（机密）或 secret（绝密）"))
    consent = fields.Nested(ConsentSchema, allow_none=True, load_default=None)
    retention = fields.Nested(RetentionSchema, allow_none=True, load_default=None)


def _item_field(item) -> fields.Field:
    if isinstance(item, Field):
        return make_field(item)
    if isinstance(item, Group):
        return fields.Nested(block_schema(item))
    return fields.List(fields.Nested(block_schema(item)), validate=validate.Length(
        max=item.max_rows, error=f"{item.label}：最多 {item.max_rows} 行"))


@cache
def block_schema(block: Group | Table) -> type[Schema]:
    children = block.fields if isinstance(block, Group) else block.columns
    return Schema.from_dict({c.key: _item_field(c) for c in children}, name=f"{block.key}_schema")


def data_schema(template: Template) -> Schema:
    return _data_schema(template.name, template)


@cache
def _data_schema(name: str, template: Template) -> Schema:
    items = {i.key: _item_field(i) for s in template.sections for i in s.items}
    return Schema.from_dict(items, name=f"{template.name}_data")(unknown=RAISE)


def load_dossier(raw) -> LoadedDossier:
    """Validate a posted envelope; raise DossierInvalid listing every problem."""
    if not isinstance(raw, dict):
        raise DossierInvalid({"_body": ["请求内容应为一个 JSON 对象"]})
    template = load_template_name(raw.get("template"))
    unexpected = sorted(set(raw) - ENVELOPE_KEYS)
    errors: dict[str, list[str]] = forbidden_characters(raw, "")
    if unexpected:
        errors["_body"] = [f"不认识的顶层字段：{'、'.join(map(str, unexpected))}（表单内容请放在 data 中）"]
    try:
        envelope = EnvelopeSchema().load({k: v for k, v in raw.items() if k != "data"})
    except ValidationError as exc:
        errors.update(flatten_errors(exc.messages, ""))
        envelope = {}
    data = raw.get("data")
    if not isinstance(data, dict):
        errors["data"] = ["data 应为一个对象，内容为表单各项"]
        raise DossierInvalid(errors)
    loaded_data, extra = load_data(template, data, errors)
    if errors:
        raise DossierInvalid(errors)
    if envelope.get("consent") and envelope["consent"].get("date"):
        envelope["consent"]["date"] = envelope["consent"]["date"].isoformat()
    return LoadedDossier(template, envelope, loaded_data, extra, extra_warnings(extra))


def load_template_name(name) -> Template:
    if is_blank(name) or not isinstance(name, str):
        raise DossierInvalid({"template": ["请指定档案模板（template）"]})
    try:
        return get_template(name)
    except UnknownTemplate:
        raise DossierInvalid({"template": [f"没有名为“{name}”的档案模板"]}) from None


def load_data(template: Template, data: dict, errors: dict) -> tuple[dict, list[dict]]:
    """Resolve names and validate values; problems are added to ``errors``."""
    resolution = resolve(template, data)
    errors.update(resolution.errors)
    try:
        loaded = data_schema(template).load(resolution.values)
    except ValidationError as exc:
        errors.update(flatten_errors(exc.messages, "data"))
        return {}, resolution.extra
    errors.update(rules.check(template, loaded))
    return loaded, resolution.extra


def extra_warnings(extra: list[dict]) -> list[str]:
    return [f"“{e['name']}”不是本表的字段，已原样保存在表外字段（extra）中（位置：{e['path']}）" for e in extra]


def flatten_errors(messages, prefix: str) -> dict[str, list[str]]:
    """marshmallow's nested error dicts → {"data.trader.phone": [...], "data.rows[0].date": [...]}."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, list):
        flat[prefix or "_body"] = [str(m) for m in messages]
        return flat
    for key, value in messages.items():
        if isinstance(key, int):
            path = f"{prefix}[{key}]"
        else:
            path = f"{prefix}.{key}" if prefix else str(key)
        if key == "_schema":
            path = prefix or "_body"
        if isinstance(value, dict):
            flat.update(flatten_errors(value, path))
        else:
            flat.setdefault(path, []).extend(_translate(m) for m in value)
    return flat


_MARSHMALLOW_MESSAGES = {
    "Unknown field.": "不认识的字段",
    "Not a valid string.": "应为文本",
    "Not a valid boolean.": "应为 true 或 false",
    "Not a valid integer.": "应为整数",
    "Not a valid number.": "应为数字",
    "Not a valid datetime.": "时间格式不正确（ISO 8601，例如 2026-11-01T00:00:00+08:00）",
    "Not a valid list.": "应为列表",
    "Invalid input type.": "类型不正确",
    "Missing data for required field.": "必填项，不能为空",
    "Field may not be null.": "不能为 null",
}


def _translate(message) -> str:
    return _MARSHMALLOW_MESSAGES.get(str(message), str(message))
