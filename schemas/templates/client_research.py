"""客户调研信息 (a print shop's account research sheet).

The seed keeps the headings of the sheet, not its ruled lines, so the fields
under each heading are the usual ones for that heading: 第一步:公司部分;
第二步 个人信息 of the main contact with the 第二/第三主管人资料 blocks, whose
printed weights (话语权占70% / 50%) are hints on their 话语权; the client's current
supplier (客户现在合作伙伴, i.e. our competitor); 客户产品需求分析 with the appended
《客户印刷品品类分析列表》; 切入点分析; 运作计划. The 注 printed under the sheet
sets the completeness rules: personal part ≥ 50 %, partner part ≥ 70 %, and
姓名、性别、职务、联系方式、话语权 must be present.
"""
from ..model import Field, Group, Section, Table, Template

GENDERS = ("男", "女")


def _manager(key, label, weight):
    printed = f"{label}(与本公司业务话语权占{weight}%)"  # the heading as the seed prints it
    return Group(key, label, hint=f"与本公司业务话语权占{weight}%", aliases=(printed,), fields=(
        Field("name", "姓名"),
        Field("gender", "性别", "choice", choices=GENDERS),
        Field("position", "职务"),
        Field("contact", "联系方式"),
        Field("say", "话语权", "percent", hint=f"参考 {weight}%"),
        Field("reports_to", "从属关系", hint="向谁汇报"),
        Field("interests", "兴趣爱好", completeness=False),
    ))


CATEGORIES = Table("print_categories", "客户印刷品品类分析列表", hint="附表", columns=(
    Field("category", "品类"),
    Field("annual_volume", "年用量"),
    Field("cycle", "采购周期"),
    Field("current_supplier", "现供应商"),
    Field("unit_price", "单价", "money"),
    Field("remarks", "备注", completeness=False),
))

TEMPLATE = Template(
    name="client_research",
    title="客户调研信息",
    source="客户调研信息",
    retention_years=10,
    signatures=("填表人签名", "业务经理评定", "年 月 日"),
    footnote=(
        "注:初期调研结果个人信息部分调研结果达到50%即为完成,后续随着与调研目标接触的深入逐步加深了解、完善信息。"
        "但如调研目标的姓名、性别、职务、联系方式、权重从属关系必须准确,如核对后发现有出入,视本次调研结果作废并提出相应惩罚。"
        "客户现合作伙伴的的调研结果达到70%即为完成,但企业的基础资料必须准确,如核对后发现有出入,视本次调研结果作废并提出相应惩罚。"
    ),
    name_fields=("company_name", "person_name"),
    must_have=("person_name", "gender", "position", "contact", "say"),
    sections=(
        Section("company", "第一步:公司部分", (
            Field("company_name", "公司名称", required=True),
            Field("company_address", "公司地址"),
            Field("company_phone", "公司电话", "phone"),
            Field("industry", "所属行业"),
            Field("main_products", "主营产品"),
            Field("company_size", "企业规模"),
            Field("annual_sales", "年销售额"),
            Field("founded", "成立时间", "partial_date"),
        )),
        Section("personal", "第二步、个人信息资料详解", threshold=0.5, items=(
            Field("person_name", "姓名", required=True),
            Field("gender", "性别", "choice", choices=GENDERS),
            Field("position", "职务"),
            Field("contact", "联系方式"),
            Field("say", "话语权", "percent", aliases=("权重",)),
            Field("reports_to", "从属关系", hint="向谁汇报"),
            Field("birth_date", "出生日期", "date"),
            Field("native_place", "籍贯"),
            Field("education", "学历"),
            Field("family", "家庭情况", confidential=True),
            Field("interests", "兴趣爱好"),
            Field("personality", "性格特点"),
            _manager("second_manager", "第二主管人资料", 70),
            _manager("third_manager", "第三主管人资料", 50),
        )),
        Section("partner", "客户现在合作伙伴的公司资料(本企业的竞争对手)", threshold=0.7, items=(
            Field("partner_name", "合作伙伴公司名称"),
            Field("partner_address", "合作伙伴公司地址"),
            Field("partner_contact", "合作伙伴联系人"),
            Field("partner_phone", "合作伙伴联系电话", "phone"),
            Field("partner_products", "合作产品"),
            Field("partner_since", "合作年限"),
            Field("partner_share", "合作份额", "percent"),
            Field("partner_strengths", "合作伙伴优势", "longtext"),
            Field("partner_weaknesses", "合作伙伴劣势", "longtext"),
        )),
        Section("needs_section", "客户产品需求分析", (
            Field("needs_analysis", "客户产品需求分析", "longtext"),
            CATEGORIES,
        )),
        Section("entry_points_section", "切入点分析", (
            Field("entry_points", "切入点分析", "longtext"),
        )),
        Section("plan_section", "运作计划", (
            Field("plan", "运作计划", "longtext"),
        )),
        Section("sign", "签名", (
            Field("filled_by", "填表人签名", completeness=False),
            Field("manager_rating", "业务经理评定", "longtext", completeness=False),
            Field("signed_on", "日期", "date", completeness=False, aliases=("年月日",)),
        )),
    ),
    description="客户档案的三不原则:不能让客户知道;不能让竞争对手看到;不能填不全。",
)
