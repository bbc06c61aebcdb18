"""(完整版)IT技术支持人员-客户信息档案.

3.1 基本信息 is the head of the form; 3.2 问题描述, 3.3 处理过程 and 3.4 解决结果
describe one support case each, so they are the columns of the repeating
问题记录 table (one row per case, appended over time). The seed's 处理时间
("处理开始时间和结束时间") is two columns.
"""
from ..model import Field, Section, Table, Template

RECORDS = Table("records", "问题记录", entry=True, columns=(
    Field("problem_type", "问题类型", "choice",
          choices=("网络问题", "硬件故障", "软件问题", "账号权限", "其他"), allow_other=True),
    Field("description", "问题描述", "longtext", hint="问题的现象、出现时间、影响范围等"),
    Field("technician", "技术支持人员姓名和工号", hint="如 李强 / IT-0231"),
    Field("started_at", "处理开始时间", "datetime"),
    Field("ended_at", "处理结束时间", "datetime"),
    Field("steps", "处理步骤", "longtext"),
    Field("status", "解决状态", "choice", choices=("已解决", "未解决", "处理中")),
    Field("solution", "解决方案", "longtext"),
))

TEMPLATE = Template(
    name="it_support",
    title="IT技术支持人员-客户信息档案",
    source="(完整版)IT技术支持人员-客户信息档案",
    retention_years=10,
    name_fields=("client_name", "client_company"),
    must_have=("client_name",),
    sections=(
        Section("basic", "基本信息", (
            Field("client_name", "客户姓名", required=True),
            Field("client_company", "客户公司"),
            Field("client_contact", "客户联系方式", hint="电话号码、电子邮件等"),
        )),
        Section("support", "问题记录", (RECORDS,)),
    ),
    description="记录客户信息和技术支持问题的处理过程与结果。",
)
