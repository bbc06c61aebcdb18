"""证券经纪人业务拜访记录周报表.

Header 日期: 月日 至 月日 as two dates. One ruled line per visit: 日期, 客户名称
(printed as a band over 公司 / 职务 / 姓名), 电话, 往来否, 陪访人员, 探访记录. The
vocabulary has no column band, so 客户名称 is a one-row sub-table with those three
columns. The paper has no line for the broker's name; 证券经纪人 is added so a
report can be found and 送交主管核阅 knows whose it is. Both print on the heading
line (inline sections); pdf_templates/layouts/broker_visit_report.html prints the
dates as the paper's "日期: 月 日 至 月 日" and rules the week's blank lines.
"""
from ..model import Field, Section, Table, Template

CLIENT = Table("client", "客户名称", max_rows=1, columns=(
    Field("company", "公司"),
    Field("title", "职务"),
    Field("name", "姓名"),
))

VISITS = Table("visits", "拜访记录", entry=True, columns=(
    Field("visited_on", "日期", "date", required=True),
    CLIENT,
    Field("phone", "电话", "phone"),
    Field("existing_client", "往来否", "yesno"),
    Field("companions", "陪访人员", completeness=False),
    Field("notes", "探访记录", "longtext"),
))

TEMPLATE = Template(
    name="broker_visit_report",
    title="证券经纪人业务拜访记录周报表",
    source="证券经纪人业务拜访记录周报表",
    retention_years=10,
    footnote="说明:请填写本周完成拜访之客户,并于每周五送交主管核阅。",
    name_fields=("broker_name",),
    must_have=("date_from", "date_to"),
    sections=(
        Section("broker", "经纪人", inline=True, items=(
            Field("broker_name", "证券经纪人", aliases=("经纪人姓名",)),
        )),
        Section("period", "日期", inline=True, items=(
            Field("date_from", "起始日期", "date", required=True, aliases=("自",), hint="月日"),
            Field("date_to", "截止日期", "date", required=True, aliases=("至",), hint="月日"),
        )),
        Section("visits_section", "拜访记录", (VISITS,)),
    ),
    description="经纪人每周填写本周完成拜访之客户,每周五送交主管核阅。",
)
