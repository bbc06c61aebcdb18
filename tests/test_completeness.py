"""完整性 figures checked by hand against the templates and the samples."""
from __future__ import annotations

import pytest

from schemas import completeness
from schemas.registry import get_template
from schemas.validation import load_dossier
from tests.conftest import REPO, SHARED, load_sample

OWN = REPO / "samples"


def score_of(sample_name: str) -> dict:
    loaded = load_dossier(load_sample(SHARED / "samples" / f"{sample_name}.json"))
    return completeness.score(loaded.template, loaded.data)


def test_mackay66_sample_misses_exactly_the_items_the_clerk_left_out():
    # The sample skips item 11 (two fields), 12.退伍时军阶, both 35 sub-fields after 参加之政治活动,
    # 37.是否热衷 and item 42: 7 of the form's 110 counted fields.
    score = score_of("mackay66-wang")
    assert score["missing"] == [
        "11.若是客户未上过大学,他是否在意学位", "11.其余教育背景", "12.退伍时军阶",
        "35.政党", "35.对客户的重要性,为什么", "37.是否热衷", "42.若是不喝酒,是否反对别人喝酒",
    ]
    assert score["overall"] == round(103 / 110, 4)
    assert score["sections"]["basic"] == 1.0
    assert score["sections"]["interests"] == 0.7      # 7 of 10 fields under 特别兴趣


def test_standard_sample_lacks_only_its_transactions_table():
    score = score_of("standard-huaxin")
    assert score["missing"] == ["交易记录"]
    assert score["sections"]["transactions_section"] == 0.0
    assert score["complete"] is True


def test_it_support_sample_is_complete():
    assert score_of("it_support-chen")["overall"] == 1.0


def test_broker_client_with_only_a_name():
    # units: 基本资料 12, 投资概况 1, 投资目标 1, 投资组合 8, 操盘人资料 7 (备注 and 制表人 do not count)
    score = completeness.score(get_template("broker_client"), {"name": "赵丽华"})
    assert score["overall"] == round(1 / 29, 4)
    assert score["sections"]["basic"] == round(1 / 12, 4)
    assert "sign" not in score["sections"]
    assert len(score["missing"]) == 28


MUST = {"person_name": "李明", "gender": "男", "position": "采购经理", "contact": "139 0000 1111", "say": 60}
PERSONAL_MORE = {"reports_to": "总经理", "birth_date": "1980-01-02", "native_place": "湖南",
                 "education": "本科", "family": "已婚", "interests": "钓鱼", "personality": "稳重"}
PARTNER_7 = {"partner_name": "某印务", "partner_address": "深圳", "partner_contact": "王", "partner_phone": "0755-1234 5678",
             "partner_products": "包装盒", "partner_since": "3年", "partner_share": 60}


@pytest.mark.parametrize("data, complete, reason", [
    # 个人信息: 24 units (12 fields + 2 × 6 in the 第二/第三主管人 blocks); 5/24 is under 50 %
    ({**MUST, **PARTNER_7}, False, "第二步、个人信息资料详解完整度 21%，未达到要求的 50%"),
    # 12/24 = 50 % and partner 7/9 = 78 %: done
    ({**MUST, **PERSONAL_MORE, **PARTNER_7}, True, None),
    # partner 6/9 = 67 % < 70 %
    ({**MUST, **PERSONAL_MORE, **dict(list(PARTNER_7.items())[:6])}, False,
     "客户现在合作伙伴的公司资料(本企业的竞争对手)完整度 67%，未达到要求的 70%"),
    # 话语权 missing: incomplete whatever the shares
    ({**{k: v for k, v in MUST.items() if k != "say"}, **PERSONAL_MORE, "second_manager": {"name": "赵"},
      **PARTNER_7}, False, "必须填写：话语权"),
])
def test_client_research_rules_from_the_seed(data, complete, reason):
    score = completeness.score(get_template("client_research"), {"company_name": "某公司", **data})
    assert score["complete"] is complete
    if reason:
        assert reason in score["reasons"]
    else:
        assert score["reasons"] == []


def test_completeness_is_recomputed_on_each_change_and_filterable(client, admin):
    sample = load_sample(SHARED / "samples" / "it_support-chen.json")
    sample["data"] = {"客户姓名": "陈晓明"}
    created = client.post("/api/v1/dossiers", json=sample, headers=admin)
    assert created.get_json()["completeness"]["overall"] == round(1 / 4, 4)
    number = created.get_json()["archive_no"]
    patched = client.patch(f"/api/v1/dossiers/{number}", json={"data": {"客户公司": "云启"}},
                           headers={**admin, "If-Match": created.headers["ETag"]})
    assert patched.get_json()["completeness"]["overall"] == 0.5
    below = client.get("/api/v1/dossiers?completeness_lt=0.6", headers=admin).get_json()["items"]
    above = client.get("/api/v1/dossiers?completeness_lt=0.4", headers=admin).get_json()["items"]
    assert [d["archive_no"] for d in below] == [number]
    assert above == []


# --- the other five forms, counted by hand from their definitions ------------------------
# A unit is a counted leaf field (Field.completeness, archive numbers excluded) or a whole
# repeating table; a Group contributes its counted fields.

def own_score(sample_name: str) -> dict:
    loaded = load_dossier(load_sample(OWN / f"{sample_name}.json"))
    return completeness.score(loaded.template, loaded.data)


def test_broker_weekly_review_units():
    # 填表信息: 年 月 第几周 填写日期 姓名 = 5; 检讨项目 grid = 1 table; total 6
    # (差距原因 and 改进方法 are columns of the grid, and do not count on their own anyway).
    assert score_of("broker_weekly_review-zhou")["overall"] == 1.0          # 6 / 6
    score = completeness.score(get_template("broker_weekly_review"), {"name": "周敏", "year": 2026})
    assert score["overall"] == round(2 / 6, 4)
    assert score["sections"] == {"header": round(2 / 5, 4), "review_section": 0.0}
    assert score["missing"] == ["月", "第几周", "填写日期", "检讨项目"]
    assert score["reasons"] == ["必须填写：月", "必须填写：第几周"] and score["complete"] is False


def test_broker_monthly_targets_units():
    # 填表信息: 年 月 填写日期 经纪人姓名 = 4; 目标项目 grid = 1; 制表人 does not count: total 5
    assert own_score("broker_monthly_targets-zhou")["overall"] == 1.0       # 5 / 5
    score = completeness.score(get_template("broker_monthly_targets"),
                               {"year": 2026, "month": 12, "broker_name": "周敏", "prepared_by": "周敏"})
    assert score["overall"] == round(3 / 5, 4)                              # 0.6
    assert score["sections"] == {"header": 0.75, "targets_section": 0.0}    # 3/4, 0/1; no "sign"
    assert score["missing"] == ["填写日期", "目标项目"]
    assert score["complete"] is True                                         # no threshold, must-haves present


def test_broker_visit_report_units():
    # 经纪人: 证券经纪人 = 1; 日期: 起始日期 截止日期 = 2; 拜访记录 = 1 table: total 4
    assert own_score("broker_visit_report-zhou")["overall"] == 1.0          # 4 / 4
    score = completeness.score(get_template("broker_visit_report"),
                               {"date_from": "2026-11-16", "date_to": "2026-11-20"})
    assert score["overall"] == 0.5                                           # 2 / 4
    assert score["sections"] == {"broker": 0.0, "period": 1.0, "visits_section": 0.0}
    assert score["missing"] == ["证券经纪人", "拜访记录"]


def test_consulting_client_units():
    # 一、客户基本信息搜集阶段: 营销人员 填表日期 客户来源 企业名称 所属行业 法人代表 = 6,
    #   企业规模(近期) 8 fields, 企业基本情况介绍 已沟通情况介绍 = 2, 客户主要联系人 table = 1 → 17;
    # 二、专业沟通阶段: 沟通记录 table = 1.  Total 18.
    score = score_of("consulting_client-lvyuan")
    assert score["overall"] == 1.0 and score["missing"] == []               # 18 / 18
    template = get_template("consulting_client")
    score = completeness.score(template, {"company_name": "江西绿源", "scale": {"sales": "1.2 亿元"},
                                          "rounds": [{"consultant": "郑云"}]})
    assert score["overall"] == round(3 / 18, 4)
    assert score["sections"] == {"collection": round(2 / 17, 4), "consulting": 1.0}
    assert len(score["missing"]) == 15 and "企业规模(近期).注册资本" in score["missing"]


def test_property_owner_units():
    # 业主基本信息: 房号 业主姓名 联系电话 = 3.  Each listed document counts 是否收到, 日期, 份数
    # (备注 does not count) = 3: 业主资料 13 × 3 = 39, 租户档案 5 × 3 = 15, 装修资料 12 × 3 = 36;
    # 日常管理资料: 日常维修资料 3 + 报事、报修、维修记录 table 1 = 4.  Total 3+39+15+36+4 = 97.
    assert own_score("property_owner-lin")["overall"] == 1.0                # 97 / 97
    score = completeness.score(get_template("property_owner"),
                               {"room_no": "3栋2单元1802", "owner_name": "林海燕",
                                "owner_index": {"received": "是", "note": "x"}})
    assert score["overall"] == round(3 / 97, 4)
    assert score["sections"] == {"owner": round(2 / 3, 4), "owner_docs": round(1 / 39, 4),
                                 "tenant_docs": 0.0, "fitout_docs": 0.0, "daily_docs": 0.0}
    assert len(score["missing"]) == 94
    assert score["missing"][:3] == ["联系电话", "业主档案索引.日期", "业主档案索引.份数"]
