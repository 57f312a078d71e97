"""Controlled vocabularies of the domain: the codes stored in the database and their labels.

Codes are short ASCII strings (stable across languages and used in URLs, exports and
imports); every code has a Chinese and an English label.  The source of each list is
``../shared/DOMAIN.md`` and the seed clauses cited beside it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Term:
    code: str
    zh: str
    en: str


def _vocab(*terms: tuple[str, str, str]) -> dict[str, Term]:
    return {code: Term(code, zh, en) for code, zh, en in terms}


REGION_LEVELS = _vocab(
    ("city", "市", "Prefecture"),
    ("county", "县（市、区）", "County"),
    ("township", "乡镇", "Township"),
    ("village", "行政村", "Village"),
)

# Flags a region carries, each with the years it held (DOMAIN.md, Geography).
REGION_FLAGS = _vocab(
    ("poverty_county", "贫困县", "Poverty county"),
    ("poor_village", "贫困村", "Poor village"),
    ("deep_poor_village", "深度贫困村", "Deeply poor village"),
    ("listed_supervision", "挂牌督战", "Listed for supervised battle"),  # seeds/000 item 5
    ("key_assistance_village", "重点帮扶村", "Key assistance village"),  # seeds/003 七
    ("consolidation_village", "巩固拓展村", "Consolidation village"),  # seeds/003 七
)

SOURCE_LEVELS = _vocab(
    ("central", "中央", "Central"),
    ("provincial", "省级", "Provincial"),
    ("city", "市级", "City"),
    ("county", "县级", "County"),
    ("bond", "地方政府债券", "Local government bonds"),
    ("donation", "社会捐赠", "Donations"),
    ("other", "其他", "Other"),
)
# Budget levels: the four levels whose own budgeted funds rule F1 tracks (seeds/000 item 13).
BUDGET_LEVELS = ("central", "provincial", "city", "county")

PROGRAMMES = _vocab(
    ("special", "财政专项扶贫资金", "Special poverty-alleviation fund"),
    ("integrated", "统筹整合财政涉农资金", "Integrated agriculture-related funds"),
    ("linkage", "衔接推进乡村振兴补助资金", "Linkage funds for rural revitalisation"),
    ("medical", "医疗保障扶贫资金", "Medical assistance funds"),
    ("education", "教育扶贫资金", "Education assistance funds"),
    ("roads", "农村公路建设资金", "Rural road funds"),
    ("industry", "产业发展资金", "Industry development funds"),
)

PROJECT_CATEGORIES = _vocab(
    ("industry", "产业发展", "Industry"),
    ("roads", "基础设施·道路", "Infrastructure: roads"),
    ("water", "基础设施·饮水", "Infrastructure: water"),
    ("power", "基础设施·电力", "Infrastructure: power"),
    ("education", "公共服务·教育", "Public services: education"),
    ("health", "公共服务·卫生", "Public services: health"),
    ("housing", "住房保障", "Housing"),
    ("employment", "就业扶贫", "Employment"),
    ("relocation", "易地扶贫搬迁", "Relocation"),
    ("other", "其他", "Other"),
    # The negative list: integrated money must never go here (seeds/002 六(六)).
    ("image_project", "形象工程、政绩工程", "Image or vanity project"),
    ("county_town_infra", "县城规划区内基础设施", "Infrastructure inside the county-town planning area"),
    ("office_building", "楼堂馆所", "Office buildings"),
    ("staff_allowance", "津补贴", "Staff allowances"),
    ("public_operating_cost", "公用经费", "Public operating costs"),
)
NEGATIVE_LIST = (
    "image_project",
    "county_town_infra",
    "office_building",
    "staff_allowance",
    "public_operating_cost",
)

PROJECT_STATUSES = _vocab(
    ("planned", "储备", "Planned"),
    ("in_progress", "在建", "In progress"),
    ("completed", "已完工", "Completed"),
    ("cancelled", "已撤销", "Cancelled"),
)

LOAN_PROGRAMMES = _vocab(
    ("industry_credit", "产业扶贫信贷通", "Industry poverty-alleviation credit"),
    ("revitalisation_credit", "农业产业振兴信贷通", "Agricultural revitalisation credit"),
)

BORROWER_TYPES = _vocab(
    ("poor_household", "建档立卡贫困户", "Registered poor household"),
    ("marginal_household", "贫困边缘户", "Marginal household"),
    ("leading_enterprise", "龙头企业", "Leading agribusiness"),
    ("new_operator", "新型农业经营主体", "New-type agricultural operator"),
    ("village_collective", "村集体经济组织", "Village collective"),
    ("farmer", "普通农户", "Farmer"),
)
HOUSEHOLD_BORROWERS = ("poor_household", "marginal_household", "farmer")

LOAN_STATUSES = _vocab(
    ("current", "正常", "Current"),
    ("overdue", "逾期", "Overdue"),
    ("default", "违约", "Default"),
    ("repaid", "已结清", "Repaid"),
)

INDUSTRIES = _vocab(
    ("vegetables", "蔬菜", "Vegetables"),
    ("navel_orange", "脐橙", "Navel orange"),
    ("white_lotus", "白莲", "White lotus"),
    ("camellia_oil", "油茶", "Camellia oil"),
    ("livestock", "畜禽养殖", "Livestock"),
    ("tea", "茶叶", "Tea"),
    ("other", "其他", "Other"),
)

GUARANTEE_BEARERS = _vocab(
    ("city_county", "市县各半", "City and county 5:5"),
    ("city", "市级", "City"),
    ("county", "县级", "County"),
    ("borrower", "借款人", "Borrower"),
)

ASSET_CLASSES = _vocab(
    ("public_welfare", "公益性资产", "Public-welfare asset"),
    ("operating", "经营性资产", "Operating asset"),
    ("household", "到户类资产", "Household asset"),
)
ASSET_SUBTYPES = _vocab(
    ("road", "道路", "Road"),
    ("water_supply", "供水设施", "Water supply"),
    ("school", "学校", "School"),
    ("clinic", "卫生室", "Clinic"),
    ("pv_station", "光伏电站", "PV station"),
    ("workshop", "扶贫车间", "Workshop"),
    ("orchard", "果园", "Orchard"),
    ("greenhouse", "大棚", "Greenhouse"),
    ("cold_storage", "冷库", "Cold storage"),
    ("housing", "住房", "Housing"),
    ("livestock", "牲畜", "Livestock"),
    ("equipment", "生产设备", "Equipment"),
)
ASSET_SUBTYPES_BY_CLASS = {
    "public_welfare": ("road", "water_supply", "school", "clinic"),
    "operating": ("pv_station", "workshop", "orchard", "greenhouse", "cold_storage"),
    "household": ("housing", "livestock", "equipment"),
}
ASSET_OWNERS = _vocab(
    ("collective", "村集体", "Village collective"),
    ("household", "农户", "Household"),
    ("other", "其他", "Other"),
)
ASSET_STATUSES = _vocab(
    ("in_use", "在用", "In use"),
    ("idle", "闲置", "Idle"),
    ("damaged", "损毁", "Damaged"),
    ("disposed", "已处置", "Disposed"),
)

HOUSEHOLD_CATEGORIES = _vocab(
    ("unstable", "脱贫不稳定户", "Unstable out-of-poverty household"),
    ("marginal", "边缘易致贫户", "Marginal, easily impoverished household"),
    ("sudden_hardship", "突发严重困难户", "Sudden severe hardship household"),
)
RISK_CAUSES = _vocab(
    ("illness", "因病", "Illness"),
    ("disability", "因残", "Disability"),
    ("education", "因学", "Schooling costs"),
    ("disaster", "因灾", "Disaster"),
    ("accident", "因意外事故", "Accident"),
    ("labour", "缺劳力", "Lack of labour"),
    ("industry", "产业失败", "Failed business"),
    ("employment", "务工就业不稳", "Unstable employment"),
    ("other", "其他", "Other"),
)
DISCOVERY_CHANNELS = _vocab(
    ("self_report", "农户自主申报", "Self-report"),
    ("cadre_visit", "基层干部排查", "Cadre visit"),
    ("big_data", "部门筛查预警", "Big-data comparison"),
)
MEASURE_KINDS = _vocab(
    ("industry", "产业帮扶", "Industry support"),
    ("employment", "就业帮扶", "Employment support"),
    ("dibao", "纳入低保", "Minimum living guarantee"),
    ("tekun", "特困供养", "Extreme-poverty support"),
    ("temporary_relief", "临时救助", "Temporary relief"),
    ("medical", "医疗救助", "Medical assistance"),
    ("education", "教育资助", "Education assistance"),
    ("housing", "危房改造", "Housing renovation"),
)
HOUSEHOLD_STATUSES = _vocab(
    ("unmonitored", "未纳入监测", "Not monitored"),
    ("pending", "待识别", "Awaiting identification"),
    ("monitored", "监测帮扶中", "Monitored"),
    ("eliminated", "风险已消除", "Risk eliminated"),
)

ROLES = _vocab(
    ("city_leader", "市级领导", "City leader"),
    ("county_official", "县级工作人员", "County official"),
    ("analyst", "分析人员", "Analyst"),
    ("data_admin", "数据管理员", "Data administrator"),
    # Intranet pages embedding single panels: aggregates only, small household counts as "<5".
    ("embed_viewer", "嵌入查看账号", "Embed viewer"),
)

# Why a login session ended (``app_session.end_reason``).
SESSION_END_REASONS = _vocab(
    ("logout", "退出登录", "Logged out"),
    ("idle", "长时间未操作", "Idle too long"),
    ("disabled", "账号已停用", "Account disabled"),
    ("password", "密码已更改", "Password changed"),
)

RUBRIC_ITEM_KINDS = _vocab(
    ("group", "分组", "Group"),
    ("manual", "人工评分", "Manual points"),
    ("ratio", "按比例计分", "Proportional to a ratio"),
    ("step", "阶梯加分", "Step points"),
    ("per_occurrence", "按次计分", "Per occurrence"),
    ("deduction", "扣分（扣完为止）", "Deductions until none left"),
    ("veto", "一票否决", "Veto"),
)


def label(vocab: dict[str, Term], code: str | None, lang: str = "zh") -> str:
    """The label of ``code`` in ``lang`` ("zh" or "en"); the code itself if unknown."""
    if code is None:
        return ""
    term = vocab.get(code)
    if term is None:
        return code
    return term.en if lang == "en" else term.zh
