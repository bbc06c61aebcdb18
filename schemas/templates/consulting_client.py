"""客户档案(模板): a consultancy's two-stage client record.

一、客户基本信息搜集阶段 is filled once. 二、专业沟通阶段 repeats a block per
meeting (第一次沟通, 第二次沟通 ...), so it is the 沟通记录 table with one row per
round; each round carries its own 协助举证客户, 客户方参与人员 and 我方参与人员
sub-tables. The seed prints the consultancy's own name in the meeting mode
("经邦上门", "和一上门") and its case list ("和一客户案例"); they read 我方上门 and
客户案例 here, and the seed's wordings are accepted on input (choice_aliases,
aliases) and stored as the corrected ones. The 企业规模(近期) block holds the company figures printed under it.
"""
from ..model import Field, Group, Section, Table, Template


def _people(key, label, *extra):
    return Table(key, label, columns=(
        Field("name", "姓名"),
        Field("position", "职位"),
        *extra,
        Field("remarks", "备注", completeness=False),
    ))


def _reachable(key, label):
    return _people(
        key, label,
        Field("mobile", "手机", "phone"),
        Field("phone", "电话", "phone"),
        Field("qq", "QQ"),
        Field("email", "邮箱", "email"),
    )


SCALE = Group("scale", "企业规模(近期)", flat=True, fields=(
    Field("sales", "销售额"),
    Field("registered_capital", "注册资本"),
    Field("profit_margin", "利润率"),
    Field("founded", "成立时间", "partial_date"),
    Field("headcount", "人员数量", hint="如 320 或 约300人"),
    Field("shareholders", "股东人数"),
    Field("equity_plan", "是否有股权计划"),
    Field("equity_incentive", "是否做过股权激励", aliases=("是否做过绩效权激励",)),
))

REFERENCE_CLIENTS = Table("reference_clients", "协助举证客户", columns=(
    Field("name", "姓名"),
    Field("position", "职位"),
    Field("mobile", "手机", "phone"),
    Field("reference_date", "举证时间", "date"),
))

ROUNDS = Table("rounds", "沟通记录", entry=True, row_label="第{n}次沟通", columns=(
    Field("round", "轮次", hint="第一次沟通、第二次沟通 …"),
    Field("mode", "沟通方式", "choice", choices=("客户上门", "我方上门", "现场沟通"),
          choice_aliases=(("经邦上门", "我方上门"), ("和一上门", "我方上门"))),
    Field("consultant", "咨询师"),
    Field("filled_on", "填表日期", "date"),
    Field("competitors", "主要竞争对手"),
    Field("benchmark", "标杆企业"),
    Field("cases", "客户案例", aliases=("和一客户案例",)),
    REFERENCE_CLIENTS,
    _reachable("client_participants", "客户方参与人员"),
    _people("our_participants", "我方参与人员"),
    Field("minutes", "详细纪要", "longtext"),
))

TEMPLATE = Template(
    name="consulting_client",
    title="客户档案",
    screen_title="客户档案（咨询服务）",
    source="客户档案(模板)",
    retention_years=10,
    name_fields=("company_name",),
    must_have=("company_name",),
    sections=(
        Section("collection", "一、客户基本信息搜集阶段", (
            Field("sales_rep", "营销人员"),
            Field("filled_on", "填表日期", "date"),
            Field("source", "客户来源", "choice", choices=("金总讲课", "转介绍", "中介", "其它"),
                  choice_aliases=(("其他", "其它"),), allow_other=True, hint="其它请注明"),
            Field("company_name", "企业名称", required=True),
            Field("industry", "所属行业"),
            Field("legal_representative", "法人代表", aliases=("法人表",)),
            SCALE,
            Field("company_profile", "企业基本情况介绍", "longtext"),
            Field("communicated_so_far", "已沟通情况介绍", "longtext"),
            _reachable("contacts", "客户主要联系人"),
        )),
        Section("consulting", "二、专业沟通阶段", (ROUNDS,)),
    ),
    corrections=(
        ("法人表", "法人代表"),
        ("是否做过绩效权激励", "是否做过股权激励"),
        ("经邦上门", "我方上门"),
        ("和一上门", "我方上门"),
        ("和一客户案例", "客户案例"),
        ("羸利", "盈利"),
    ),
    description="咨询公司客户档案:客户基本信息搜集阶段与专业沟通阶段的逐次沟通记录。",
)
