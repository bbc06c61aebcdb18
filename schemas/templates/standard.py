"""客户档案管理规范 (both versions of the seed's rules, merged).

The first version lists 客户基本信息, 客户分类, 客户交流记录, 客户购买记录 and
客户投诉记录; the second adds 业务信息, 合同信息 and 交易记录 (its 沟通记录 is the
same block as 客户交流记录, accepted under either name). 客户分类 (地区/行业/消费等级) is the dossier envelope's
``classification``, not form data. 客户编号 is printed from the archive number.
"""
from ..model import Field, Group, Section, Table, Template

CONTACT = Group("contact", "联系方式", flat=True, fields=(
    Field("phone", "电话号码", "phone"),
    Field("email", "电子邮件地址", "email"),
))

ADDRESS = Group("address", "地址信息", flat=True, fields=(
    Field("region", "省市区"),
    Field("street", "街道门牌号"),
))

BUSINESS = Group("business", "业务信息", flat=True, fields=(
    Field("industry", "所属行业"),
    Field("scope", "经营范围"),
    Field("key_business", "关键业务"),
))

CONTRACTS = Table("contracts", "合同信息", hint="与客户签订的合同、协议等", columns=(
    Field("contract_no", "合同编号"),
    Field("contract_name", "合同名称", hint="合同或协议"),
    Field("signed_on", "签订日期", "date"),
    Field("amount", "合同金额", "money"),
    Field("valid_until", "有效期至", "date"),
    Field("remarks", "备注", completeness=False),
))

TRANSACTIONS = Table("transactions", "交易记录", entry=True, columns=(
    Field("order_no", "定单号", aliases=("订单号",)),
    Field("trade_date", "交易日期", "date"),
    Field("amount", "交易金额", "money"),
    Field("payment", "付款情况"),
))

COMMUNICATIONS = Table("communications", "客户交流记录", entry=True, aliases=("沟通记录", "交流记录"),
                       hint="客户与企业之间的沟通记录、会议记要等", columns=(
    Field("at", "日期和时间", "datetime"),
    Field("channel", "交流方式", "choice", choices=("电话", "邮件", "面谈", "会议"),
          allow_other=True),
    Field("content", "交流内容", "longtext", hint="客户的需求、问题、建议等"),
))

PURCHASES = Table("purchases", "客户购买记录", entry=True, hint="购买数量和金额", columns=(
    Field("purchased_on", "购买日期", "date"),
    Field("product", "购买产品或服务", hint="产品或服务的名称和规格"),
    Field("quantity", "购买数量"),
    Field("amount", "金额", "money", aliases=("购买金额",)),
))

COMPLAINTS = Table("complaints", "客户投诉记录", entry=True, columns=(
    Field("complained_on", "投诉日期", "date"),
    Field("content", "投诉内容", "longtext"),
    Field("result", "处理结果", "longtext", hint="企业对客户投诉的处理结果和措施"),
))

TEMPLATE = Template(
    name="standard",
    title="客户档案",
    screen_title="客户档案（管理规范）",
    source="客户档案管理规范(两个版本)",
    retention_years=10,
    name_fields=("client_name",),
    must_have=("client_name",),
    sections=(
        Section("basic", "客户基本信息", (
            Field("client_no", "客户编号", "archive_no", completeness=False, aliases=("档案编号",)),
            Field("client_name", "客户姓名", required=True, hint="客户的姓名或名称"),
            CONTACT,
            ADDRESS,
        )),
        Section("business_section", "业务信息", (BUSINESS,)),
        Section("contracts_section", "合同信息", (CONTRACTS,)),
        Section("transactions_section", "交易记录", (TRANSACTIONS,)),
        Section("communications_section", "客户交流记录", (COMMUNICATIONS,)),
        Section("purchases_section", "客户购买记录", (PURCHASES,)),
        Section("complaints_section", "客户投诉记录", (COMPLAINTS,)),
    ),
    description="客户档案管理规范的标准格式:基本信息、业务与合同信息及交流、购买、投诉、交易记录。",
)
