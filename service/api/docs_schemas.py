"""marshmallow schemas that document the API in OpenAPI (responses are built with orjson)."""
from marshmallow import Schema, fields, validate


class ErrorBody(Schema):
    code = fields.String(metadata={"example": "validation_failed"})
    message = fields.String(metadata={"example": "档案内容有误，请按提示修改"})
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()),
                         metadata={"example": {"data.name": ["姓名：必填项，不能为空"]}})


class ErrorResponse(Schema):
    error = fields.Nested(ErrorBody)


class DossierInput(Schema):
    template = fields.String(required=True, metadata={"example": "broker_client"})
    classification = fields.Dict(metadata={"example": {"region": "上海", "industry": "金融", "level": "VIP"}})
    confidentiality = fields.String(metadata={"enum": ["normal", "confidential", "secret"]})
    consent = fields.Dict(metadata={"example": {"given": True, "scope": ["内部服务"], "date": "2026-09-01", "method": "书面"}})
    retention = fields.Dict(metadata={"example": {"years": 10}})
    data = fields.Dict(required=True, metadata={"description": "表单内容：字段可用 key 或中文标签命名"})


class Dossier(Schema):
    archive_no = fields.String(metadata={"example": "KH-2026-000001"})
    template = fields.String()
    title = fields.String()
    version = fields.Integer()
    status = fields.String()
    classification = fields.Dict()
    confidentiality = fields.String()
    consent = fields.Dict()
    retention = fields.Dict()
    data = fields.Dict()
    extra = fields.List(fields.Dict())
    completeness = fields.Dict()
    content_hash = fields.String()
    created_at = fields.String()
    created_by = fields.String()
    updated_at = fields.String()
    updated_by = fields.String()
    warnings = fields.List(fields.String())
    links = fields.Dict()


class DossierPage(Schema):
    items = fields.List(fields.Dict())
    next_cursor = fields.String(allow_none=True)


class ListFilters(Schema):
    """The filters of the list, shared by the export (same names, same meaning)."""
    template = fields.String()
    region = fields.String()
    industry = fields.String()
    level = fields.String()
    status = fields.String(validate=validate.OneOf(("active", "destroyed"), error="状态应为 active 或 destroyed"))
    q = fields.String(metadata={"description": "按客户名称或档案编号搜索"})
    updated_since = fields.DateTime(metadata={"description": "ISO 8601，例如 2026-11-01T00:00:00+08:00"})
    completeness_lt = fields.Float(metadata={"description": "完整度低于此值（0 到 1）"})


class ListQuery(ListFilters):
    limit = fields.Integer(load_default=20, metadata={"description": "1 到 100"})
    cursor = fields.String(validate=validate.Regexp(r"^[A-Z]{2}-\d{4}-\d{6}$", error="应为上一页返回的 next_cursor"),
                           metadata={"description": "上一页返回的 next_cursor"})


class TemplateSummary(Schema):
    name = fields.String()
    title = fields.String(metadata={"description": "印在纸质表格上的标题"})
    display_title = fields.String(metadata={"description": "界面、工作表和文件名所用的名称（两种表格标题相同时区分）"})
    source = fields.String()
    links = fields.Dict()
