"""Chinese wording for marshmallow's built-in error messages.

Every error a clerk or an integrator reads must be Chinese (DESIGN §5a). The form
fields of ``schemas/fields.py`` word their own messages; this module words the rest
(envelope blocks, query parameters, validators) once, for every schema. marshmallow
collects ``default_error_messages`` along each field's class hierarchy when the
field is made, so updating them here, before any schema is built, is enough.
"""
from marshmallow import Schema, fields, validate

fields.Field.default_error_messages.update(
    required="必填项，不能为空", null="不能为 null", validator_failed="值无效")
fields.String.default_error_messages.update(invalid="应为文本", invalid_utf8="不是有效的 UTF-8 文本")
fields.Number.default_error_messages.update(invalid="应为数字", too_large="数值过大")
fields.Integer.default_error_messages.update(invalid="应为整数")
fields.Float.default_error_messages.update(special="不能为 NaN 或无穷大")
fields.Boolean.default_error_messages.update(invalid="应为 true 或 false")
fields.DateTime.default_error_messages.update(
    invalid="日期时间格式不正确（ISO 8601，例如 2026-11-01T08:00:00+08:00）",
    invalid_awareness="日期时间格式不正确", format="“{input}”无法表示为日期时间")
fields.Date.default_error_messages.update(invalid="日期格式应为 YYYY-MM-DD", format="“{input}”无法表示为日期")
fields.List.default_error_messages.update(invalid="应为列表")
fields.Mapping.default_error_messages.update(invalid="应为对象")
fields.Nested.default_error_messages.update(type="应为对象")
fields.Email.default_error_messages.update(invalid="不是有效的电子邮件地址")
Schema._default_error_messages = {**Schema._default_error_messages, "type": "应为对象", "unknown": "不认识的字段"}

validate.Length.message_min = "长度不能少于 {min}"
validate.Length.message_max = "长度不能超过 {max}"
validate.Length.message_all = "长度应在 {min} 到 {max} 之间"
validate.Length.message_equal = "长度应为 {equal}"
validate.OneOf.default_message = "应为以下之一：{choices}"
validate.Range.message_min = "应不小于 {{min}}"
validate.Range.message_max = "应不大于 {{max}}"
validate.Range.message_all = "应在 {{min}} 到 {{max}} 之间"
