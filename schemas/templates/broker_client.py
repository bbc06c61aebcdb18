"""证券经纪人的大客户档案 + 客户基本资料表(个人客户).

The seed prints the basic-data form (基本资料, 帐号 上海/深圳, 电话(O)/(H) ...),
the 投资概况 line, 投资目标、喜好、法规限制, the 投资组合 percentages and the
操盘人资料 block, closed by 制表人.
"""
from ..model import AGE, Field, Group, Section, Template

PORTFOLIO = tuple(
    Field(key, f"{label}(%)", "percent")
    for key, label in [
        ("stocks", "股票"), ("bonds", "债券"), ("insurance", "保险"), ("bank", "银行"),
        ("real_estate", "房地产"), ("futures", "期货"), ("industry", "实业"), ("other", "其他"),
    ]
)

TEMPLATE = Template(
    name="broker_client",
    title="证券经纪人大客户档案",
    source="证券经纪人的大客户档案模板 / 证券经纪人:客户基本资料表(个人客户)",
    retention_years=10,
    signatures=("制表人",),
    name_fields=("name", "employer"),
    must_have=("name",),
    sections=(
        Section("basic", "基本资料", (
            Field("name", "姓名", required=True),
            Field("age", "年龄", "integer", bounds=AGE),
            Field("education", "学历"),
            Field("account_sh", "帐号(上海)", confidential=True, aliases=("上海帐号", "账号(上海)")),
            Field("account_sz", "帐号(深圳)", confidential=True, aliases=("深圳帐号", "账号(深圳)")),
            Field("phone_office", "电话(O)", "phone", aliases=("办公电话",)),
            Field("phone_home", "电话(H)", "phone", aliases=("住宅电话",)),
            Field("address", "地址"),
            Field("employer", "服务单位"),
            Field("income_estimate", "收入预估", confidential=True),
            Field("family", "家庭成员"),
            Field("hobbies", "兴趣爱好"),
        )),
        Section("overview", "投资概况", (
            Field("investing_since", "何时从事投资"),
        )),
        Section("goals", "投资目标、喜好、法规限制", (
            Field("investment_goals", "投资目标、喜好、法规限制", "longtext"),
        )),
        Section("portfolio_section", "投资组合", (
            Group("portfolio", "投资组合", PORTFOLIO, check="sum_to_100", flat=True,
                  hint="各项百分比全部填写时合计须为 100"),
        )),
        Section("trader_section", "操盘人资料", (
            Group("trader", "操盘人资料", (
                Field("name", "姓名"),
                Field("title", "职称"),
                Field("age", "年龄", "integer", bounds=AGE),
                Field("address", "地址"),
                Field("phone", "电话", "phone"),
                Field("preferences", "个人喜好"),
                Field("relation", "与本公司人员关系"),
                Field("remarks", "备注", "longtext", completeness=False),
            )),
        )),
        Section("sign", "制表", (
            Field("prepared_by", "制表人", completeness=False),
        )),
    ),
)
