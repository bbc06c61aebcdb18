"""经纪人每周活动情况检讨表 (周工具).

Header 年 月 第__周 填写日期 姓名, then a grid: one printed row per 项目, columns
上周目标 上周结果 差距原因 改进方法. 指导客户盈亏率(%) may be negative, so the
figures are plain numbers, not percents.
"""
from ..model import MONTH, WEEK_OF_MONTH, YEAR, Field, Section, Table, Template

ROWS = (
    "新开户数(户)",
    "新增资金(万元)",
    "新增准客户数(个)",
    "拜访客户数(个)",
    "客户服务数(个)",
    "指导客户盈亏率(%)",
)

GRID = Table("review", "检讨项目", fixed_rows=ROWS, max_rows=len(ROWS), columns=(
    Field("item", "项目", "choice", choices=ROWS, required=True),
    Field("last_week_target", "上周目标", "number"),
    Field("last_week_result", "上周结果", "number"),
    Field("gap_reason", "差距原因", "longtext", completeness=False),
    Field("improvement", "改进方法", "longtext", completeness=False),
))

TEMPLATE = Template(
    name="broker_weekly_review",
    title="经纪人每周活动情况检讨表",
    source="证券经纪人的大客户档案模板 / 周工具:经纪人每周活动情况检讨表",
    retention_years=10,
    name_fields=("name",),
    must_have=("name", "year", "month", "week"),
    sections=(
        Section("header", "填表信息", inline=True, items=(
            Field("year", "年", "integer", required=True, bounds=YEAR),
            Field("month", "月", "integer", required=True, bounds=MONTH),
            Field("week", "第几周", "integer", required=True, bounds=WEEK_OF_MONTH, aliases=("第周",)),
            Field("filled_on", "填写日期", "date"),
            Field("name", "姓名", required=True, aliases=("经纪人姓名",)),
        )),
        Section("review_section", "检讨项目", (GRID,)),
    ),
    description="经纪人每周对照上周目标检讨结果、差距原因与改进方法。",
)
