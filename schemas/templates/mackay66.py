"""66项完全客户档案 (the seed prints it as "66项圆满客户档案").

Sixty-six numbered items in seven sections; an item with several blanks
(3 电话(公)/(宅), 4 公司名称/地点/家庭地点 ...) becomes several fields sharing the
item number, so input may say "3.电话(宅)". A blank that belongs to one question
stays one field even when the seed prints a comma in it (35 对客户的重要性,为什么;
43 若否,是否反对别人吸烟). Item 11 prints "若是客户未上过大学: 他是否在意学位:" as a
condition and its question, kept as one field. Answers are free text: clerks write
"一般", "不反对，但注意分寸" where the paper asks 是否.
"""
from ..model import Field, Section, Template


def _f(item, key, label, type="text", **kw):
    return Field(key, label, type, item=item, **kw)


BASIC = Section("basic", "基本资料", (
    _f(1, "name", "姓名", required=True),
    _f(2, "title", "职称"),
    _f(3, "phone_office", "电话(公)", "phone"),
    _f(3, "phone_home", "电话(宅)", "phone"),
    _f(4, "company_name", "公司名称"),
    _f(4, "company_location", "地点"),
    _f(4, "home_location", "家庭地点"),
    _f(5, "birth_date", "出生日期", "date", aliases=("出寿辰期",)),
    _f(5, "birth_place", "出生地"),
    _f(5, "native_place", "籍贯"),
    _f(6, "height", "身高"),
    _f(6, "weight", "体重"),
    _f(6, "physical_traits", "身体特色", confidential=True,
       hint="如秃顶、关节炎、严重背部问题等"),
))

EDUCATION = Section("education", "教育背景", (
    _f(7, "high_school", "高中名称"),
    _f(7, "high_school_period", "就读期间"),
    _f(7, "college", "大专名称"),
    _f(7, "graduation_date", "毕业日期", "partial_date"),
    _f(7, "degree", "学位"),
    _f(8, "college_awards", "大学时代得奖记录"),
    _f(8, "graduate_school", "研究所"),
    _f(9, "fraternity", "大学时所属兄弟或姐妹会"),
    _f(9, "sports", "擅长运动"),
    _f(10, "extracurricular", "课外活动、社团"),
    _f(11, "degree_sensitive", "若是客户未上过大学,他是否在意学位",
       aliases=("他是否在意学位", "他可否在意学位", "若是客户未上过大学,他可否在意学位")),
    _f(11, "other_education", "其余教育背景"),
    _f(12, "military_branch", "兵役军种"),
    _f(12, "military_rank", "退伍时军阶"),
    _f(12, "military_attitude", "对兵役的态度"),
))

FAMILY = Section("family", "家庭背景", (
    _f(13, "marital_status", "婚姻情况"),
    _f(13, "spouse_name", "配偶姓名"),
    _f(14, "spouse_education", "配偶教育程度"),
    _f(15, "spouse_interests", "配偶兴趣"),
    _f(15, "spouse_activities", "活动"),
    _f(15, "spouse_clubs", "社团"),
    _f(16, "wedding_anniversary", "结婚纪念日", hint="月-日,如 05-20"),
    _f(17, "children_names", "子女姓名"),
    _f(17, "children_ages", "年龄"),
    _f(17, "custody", "是否有抚养权", aliases=("可否有抚养权",)),
    _f(18, "children_education", "子女教育"),
    _f(19, "children_interests", "子女爱好"),
))

BUSINESS = Section("business", "业务背景资料", (
    _f(20, "previous_job", "客户的前一个工作"),
    _f(20, "previous_company", "公司名称"),
    _f(20, "previous_company_location", "公司地点"),
    _f(20, "previous_employment_period", "受雇时间"),
    _f(20, "previous_position", "受雇职位"),
    _f(21, "previous_position_here", "在目前公司的前一个职位"),
    _f(21, "current_position", "现在的职位"),
    _f(21, "promotion_date", "提升日期", "partial_date"),
    _f(22, "status_symbols", "在办公室有何“地位”象征"),
    _f(23, "professional_bodies", "参加的职业及贸易集体"),
    _f(23, "body_offices", "所任职务"),
    _f(24, "consultant", "是否应聘顾问", aliases=("可否应聘顾问",)),
    _f(25, "business_relations", "本客户与本公司其余人员有何业务上的关系", "longtext"),
    _f(26, "relation_good", "关系是否优异", aliases=("关系可否优异",)),
    _f(26, "relation_reason", "原因"),
    _f(27, "colleagues_view", "本公司其余人员对本客户的认识", "longtext"),
    _f(28, "contact_kind", "何种联系"),
    _f(28, "relation_nature", "关系性质"),
    _f(29, "attitude_to_company", "客户对自己公司的态度"),
    _f(30, "long_term_career_goal", "本客户长远事业目标是什么",
       aliases=("本客户长远事业目标为什么",)),
    _f(31, "short_term_goal", "短期目标是什么", aliases=("短期目标为什么",)),
    _f(32, "main_concern", "客户目前最关切的是公司前途或个人前途"),
    _f(33, "present_or_future", "客户很多时候思虑现在或将来"),
    _f(33, "present_or_future_why", "为什么"),
))

INTERESTS = Section("interests", "特别兴趣", (
    _f(34, "clubs", "客户所属个人俱乐部"),
    _f(35, "political_activities", "参加之政治活动"),
    _f(35, "party", "政党"),
    _f(35, "political_importance", "对客户的重要性,为什么"),
    _f(36, "community_active", "是否热衷社区活动", aliases=("可否热衷社区活动",)),
    _f(36, "community_how", "如何参加"),
    _f(37, "religion", "宗教崇奉"),
    _f(37, "religion_devout", "是否热衷", aliases=("可否热衷",)),
    _f(38, "sensitive_matters", "对本客户特别机密且不宜讨论之事件(如离婚等)", "longtext",
       confidential=True),
    _f(39, "strong_opinions", "客户对什么主题特别有意见(除买卖之外)", "longtext"),
))

LIFESTYLE = Section("lifestyle", "生活方式", (
    _f(40, "medical_history", "病历(目前健康情况)", "longtext", confidential=True),
    _f(41, "drinking", "喝酒习惯"),
    _f(41, "drinks", "所喝酒类"),
    _f(41, "drink_amount", "份量"),
    _f(42, "objects_to_drinking", "若是不喝酒,是否反对别人喝酒",
       aliases=("若是不喝酒,可否反对别人喝酒",)),
    _f(43, "smokes", "是否吸烟", aliases=("可否吸烟",)),
    _f(43, "objects_to_smoking", "若否,是否反对别人吸烟", aliases=("若否,可否反对别人吸烟",)),
    _f(44, "lunch_place", "最偏好的午餐地点"),
    _f(44, "dinner_place", "晚餐地点"),
    _f(45, "favourite_food", "最偏好的菜式"),
    _f(46, "objects_to_treat", "是否反对别人请客", aliases=("可否反对别人请客",)),
    _f(47, "hobbies", "爱好与娱乐"),
    _f(47, "books", "喜欢什么书籍"),
    _f(48, "vacation", "喜欢的度假方式"),
    _f(49, "spectator_sports", "喜欢赏析的运动"),
    _f(50, "car", "车子厂牌"),
    _f(51, "topics", "喜欢的话题"),
    _f(52, "wants_attention_of", "喜欢引起什么人注意"),
    _f(53, "wants_regard", "喜欢被这些人如何重视"),
    _f(54, "description", "你会用什么来形容本客户"),
    _f(55, "proudest_achievement", "客户自认最欢喜的成就"),
    _f(56, "long_term_personal_goal", "你认为客户长远个人目标是什么"),
    _f(57, "immediate_personal_goal", "你认为客户眼前个人目标是什么"),
))

CLIENT_AND_YOU = Section("client_and_you", "客户和你", (
    _f(58, "ethical_concerns", "与客户经商时,你最担忧的道德与理论问题是什么", "longtext",
       aliases=("与客户经商时,你最担忧的道德与理论问题为什么",)),
    _f(59, "feels_obligation", "客户感觉对你、你的公司或你的竞争是否负有责任",
       aliases=("客户感觉对你、你的公司或你的竞争可否负有责任",)),
    _f(59, "obligation_what", "若是有的话,是什么"),
    _f(60, "must_change_habits",
       "客户是否需要改变自己的习惯,采用不利自己的行动才能配合你的销售与建议", "longtext",
       aliases=("客户可否需要改变自己的习惯,采用不利自己的行动才能配合你的销售与建议",)),
    _f(61, "values_advice", "客户是否特别在意别人的建议", aliases=("客户可否特别在意别人的建议",)),
    _f(62, "self_centred", "客户是否特别以自我为中心", aliases=("客户可否特别以自我为中心",)),
    _f(62, "strong_ethics", "是否道德感很强", aliases=("可否道德感很强",)),
    _f(63, "key_issues", "在客户眼中最要点的问题有哪些", "longtext"),
    _f(64, "management_priorities", "客户的管理阶层以何为重"),
    _f(64, "conflict_with_superior", "客户与他的主管是否有矛盾",
       aliases=("客户与他的主管可否有矛盾",)),
    _f(65, "can_help_resolve", "你可否协助化解客户与主管的问题"),
    _f(65, "how_to_resolve", "如何化解", "longtext"),
    _f(66, "competitor_answers", "你的竞争者对以上的问题有没有比你更好的答案是什么", "longtext"),
))

TEMPLATE = Template(
    name="mackay66",
    title="66项完全客户档案",
    source="66项完全客户档案",
    retention_years=10,
    numbered=True,
    name_fields=("name", "company_name"),
    must_have=("name",),
    sections=(BASIC, EDUCATION, FAMILY, BUSINESS, INTERESTS, LIFESTYLE, CLIENT_AND_YOU),
    corrections=(
        ("66项圆满客户档案", "66项完全客户档案"),
        ("出寿辰期", "出生日期"),
        ("他可否在意学位", "他是否在意学位"),
        ("可否有抚养权", "是否有抚养权"),
        ("可否应聘顾问", "是否应聘顾问"),
        ("关系可否优异", "关系是否优异"),
        ("本客户长远事业目标为什么", "本客户长远事业目标是什么"),
        ("短期目标为什么", "短期目标是什么"),
        ("可否热衷社区活动", "是否热衷社区活动"),
        ("可否热衷", "是否热衷"),
        ("若是不喝酒,可否反对别人喝酒", "若是不喝酒,是否反对别人喝酒"),
        ("可否吸烟", "是否吸烟"),
        ("若否,可否反对别人吸烟", "若否,是否反对别人吸烟"),
        ("可否反对别人请客", "是否反对别人请客"),
        ("与客户经商时,你最担忧的道德与理论问题为什么", "与客户经商时,你最担忧的道德与理论问题是什么"),
        ("客户感觉对你、你的公司或你的竞争可否负有责任", "客户感觉对你、你的公司或你的竞争是否负有责任"),
        ("客户可否需要改变自己的习惯", "客户是否需要改变自己的习惯"),
        ("客户可否特别在意别人的建议", "客户是否特别在意别人的建议"),
        ("客户可否特别以自我为中心", "客户是否特别以自我为中心"),
        ("可否道德感很强", "是否道德感很强"),
        ("客户与他的主管可否有矛盾", "客户与他的主管是否有矛盾"),
    ),
    description="Mackay 66 项客户档案:从基本资料到客户与你的关系,逐项记录。",
)
