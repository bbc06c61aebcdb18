"""经纪人每月目标设定表 (月报表).

Header 年 月 填写日期 经纪人姓名, then a grid: one printed row per 项目, columns
上月目标 上月结果 本月目标 and 第一周目标 … 第五周目标; 制表人 signs at the foot.
"""
from ..model import MONTH, YEAR, Field, Section, Table, Template

ROWS = (
    "收入目标(元)",
    "新开户数(户)",
    "新增资金(万元)",
    "新增准客户数(个)",
    "拜访客户数(个)",
    "客户服务数(个)",
)

WEEKS = (("week1", "第一周目标"), ("week2", "第二周目标"), ("week3", "第三周目标"),
         ("week4", "第四周目标"), ("week5", "第五周目标"))

GRID = Table("targets", "目标项目", fixed_rows=ROWS, max_rows=len(ROWS), columns=(
    Field("item", "项目", "choice", choices=ROWS, required=True),
    Field("last_month_target", "上月目标", "number"),
    Field("last_month_result", "上月结果", "number"),
    Field("this_month_target", "本月目标", "number"),
    *(Field(f"{key}_target", label, "number", completeness=key != "week5") for key, label in WEEKS),
))

TEMPLATE = Template(
    name="broker_monthly_targets",
    title="经纪人每月目标设定表",
    source="证券经纪人的大客户档案模板 / 月报表:经纪人每月目标设定表",
    retention_years=10,
    signatures=("制表人",),
    name_fields=("broker_name",),
    must_have=("broker_name", "year", "month"),
    sections=(
        Section("header", "填表信息", inline=True, items=(
            Field("year", "年", "integer", required=True, bounds=YEAR),
            Field("month", "月", "integer", required=True, bounds=MONTH),
            Field("filled_on", "填写日期", "date"),
            Field("broker_name", "经纪人姓名", required=True, aliases=("姓名",)),
        )),
        Section("targets_section", "目标项目", (GRID,)),
        Section("sign", "制表", (
            Field("prepared_by", "制表人", completeness=False),
        )),
    ),
    description="经纪人每月设定本月及各周目标,对照上月目标与结果。",
)
