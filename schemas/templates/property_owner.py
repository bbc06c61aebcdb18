"""客户档案资料管理工作规程 (物业服务中心): one owner's file.

4.1.1–4.1.4 list the documents a property file holds; each listed document is a
checklist block (是否收到, 日期, 份数, 备注). Documents the seed names together in
one clause (《装修管理服务协议》和《装修承诺书》) are separate blocks; 《住户手册》
keeps its contents as a hint. 报事、报修、维修记录 grows with every call, so it is a
repeating table. Its 联系电话 is the reporter's own number, often a tenant's or a
visitor's (a third party to the owner's file), so it is confidential.
"""
from ..model import Field, Group, Section, Table, Template


def _doc(key, label, hint=""):
    return Group(key, label, hint=hint, fields=(
        Field("received", "是否收到", "yesno"),
        Field("date", "日期", "date"),
        Field("copies", "份数", "integer"),
        Field("note", "备注", completeness=False),
    ))


OWNER_DOCS = (
    _doc("owner_index", "业主档案索引"),
    _doc("owner_id_copy", "业主身份证件复印件"),
    _doc("sale_contract_copy", "《商品房买卖合同》复印件"),
    _doc("handover_notice", "收楼通知书"),
    _doc("maintenance_fund_receipt", "维修资金缴费证明复印件"),
    _doc("resident_handbook", "《住户手册》",
         hint="内含《临时管理规约》、《消防安全责任书》、《前期物业服务协议》等"),
    _doc("handover_inspection", "业主收楼验收表"),
    _doc("owner_registration", "业主信息登记表"),
    _doc("ic_card_application", "业主IC卡申请表"),
    _doc("documents_keys_receipt", "业主文件/钥匙签收表"),
    _doc("handover_confirmation", "收楼确认书"),
    _doc("meter_reading_confirmation", "收楼抄表底数确认书"),
    _doc("owner_seal_authorization", "业主授权印鉴书"),
)

TENANT_DOCS = (
    _doc("tenant_registration", "租户信息登记表"),
    _doc("tenant_id_copy", "租户身份证复印件"),
    _doc("lease_or_authorization", "租赁合同或业主授权使用物业的授权书"),
    _doc("tenant_business_licence", "法人租户营业执照"),
    _doc("goods_release_seal", "业主/租户物品放行印鉴表"),
)

FITOUT_DOCS = (
    _doc("fitout_application", "《装修申请表》或《改建申请表》"),
    _doc("fitout_service_agreement", "《装修管理服务协议》"),
    _doc("fitout_undertaking", "《装修承诺书》"),
    _doc("utilities_inspection", "《业主装修单位水电设施检查记录表》"),
    _doc("contractor_licence", "装修单位营业执照及资质证明复印件"),
    _doc("fitout_drawings", "装修图纸资料"),
    _doc("fitout_permit_copy", "装修许可证复印件"),
    _doc("permit_issue_register", "《装修许可证发放登记表》"),
    _doc("pass_issue_register", "《装修出入证发放登记表》"),
    _doc("fitout_acceptance_application", "《装修验收申请表》"),
    _doc("violation_notice", "《违章施工通知书》"),
    _doc("violation_rectification", "《违章整改记录》"),
)

REPAIRS = Table("repairs", "报事、报修、维修记录", entry=True, columns=(
    Field("reported_at", "报事时间", "datetime", required=True),
    Field("kind", "类别", "choice", choices=("报事", "报修", "投诉", "咨询"), allow_other=True),
    Field("reporter", "报事人"),
    Field("reporter_phone", "联系电话", "phone", confidential=True),
    Field("content", "事项内容", "longtext"),
    Field("handler", "处理人"),
    Field("completed_at", "完成时间", "datetime"),
    Field("result", "维修/处理结果", "longtext"),
    Field("follow_up", "回访情况", completeness=False),
))

TEMPLATE = Template(
    name="property_owner",
    title="客户档案资料",
    source="客户档案资料管理工作规程",
    retention_years=10,
    name_fields=("owner_name", "room_no"),
    must_have=("room_no", "owner_name"),
    sections=(
        # The rules print no identification lines; a file is kept per unit and owner.
        Section("owner", "业主基本信息", (
            Field("room_no", "房号", required=True),
            Field("owner_name", "业主姓名", required=True),
            Field("owner_phone", "联系电话", "phone"),
        )),
        Section("owner_docs", "业主资料", OWNER_DOCS),
        Section("tenant_docs", "租户档案", TENANT_DOCS),
        Section("fitout_docs", "装修资料", FITOUT_DOCS),
        Section("daily_docs", "日常管理资料", (
            _doc("daily_repairs", "日常维修资料"),
            REPAIRS,
        )),
    ),
    description="物业服务中心客户档案:业主、租户、装修及日常管理资料清单与报事报修记录。",
)
