"""The deterministic demo prefecture: a Ganzhou-like 赣州市 with its 20 county-level units, 2016-2026.

:func:`build_frames` generates every demo table as a DataFrame (pure: it reads only the shipped
reference list ``reference/ganzhou_counties.csv``); :func:`load_demo` inserts them into an empty
database in one transaction.  The same ``scale`` and ``seed`` always give the same rows.

Time.  Fact tables cover 2016-2026: the campaign 2016-2020, the transition 2021-2025 (seeds/003
一) and the normalised year 2026.  The demo's "today" is :data:`TODAY` (2026-11-01); nothing is
dated after :data:`LAST_DAY` (2026-10-31), so 2026 is a year in progress.

Calibration (DOMAIN.md "Figures to calibrate", seeds/001; 亿元 = 1e10 fen), at any scale:

=====================================================  =============================================
allocations with ``integrated`` 2016-2020              271   (seeds/001 一(三))
special funds from central+provincial 2016-2020       72.5  (seeds/001 一(一))
special funds from city+county 2016-2019              65, city 34.3 (seeds/001 一(二)); 2020 +26.8%
all allocations 2016-2020                             497.6 (seeds/001 一): medical 13.5, education 5.65,
                                                      roads 63.12, industry the remainder (~42)
产业扶贫信贷通 loans issued 2016-2020                  187.2 to ~32.7万 household borrowers (seeds/001 一(四))
产业扶贫信贷通 risk fund (all deposits)                 23.9 (22.4 in 2016-2020, 于都县's 1.5 top-up in 2021)
农业产业振兴信贷通 risk fund 2020-2021                  10 (seeds/000 item 7), topped up later as lending grows
=====================================================  =============================================

``scale`` multiplies the row counts of projects, disbursements, loans, assets, asset income,
households and assistance measures, and divides their per-row amounts, so money totals do not
move with it (so at scale 0.1 a household loan is 50万, not 5万).  Regions, flags, allocations,
county finance, dibao standards and risk-fund deposits do not scale.  Small scales keep floors
(four payments per poverty-fund allocation, one project per county, year and category, and from
2020 one household and one operator loan per county, programme and year), so at scale 0.02
projects and payments are about 2x and 3x their share.  At scale 1: 385,619 loans, 298,313
disbursements, 27,563 projects, 24,341 assets, 38,102 asset-income rows, 60,000 households,
40,829 measures, 4,800 allocations, 3,821 regions; 889,279 rows in all.

Shape, not noise.  Money follows rural population, with poverty counties (国家贫困县) weighted
2.6x; the campaign grows 27% a year (so rule F3's +20% holds), integration continues in every
county to 2023 (seeds/003 十九) and never shrinks (F4); poverty funds are issued by March
(central and provincial partly in advance in the previous November/December) and paid ~60% by
31 March and ~88% by 30 June (seeds/000 item 13); the industry share of linkage money rises
from 50% (2021) to 65% (2026) (seeds/003 九).  Loans run 1-3 years and are mostly repaid at
maturity: 1.6% of household loans fall overdue (shown as overdue for a year, then mostly repaid
late, some defaulted) and 0.35% default outright, fewer among operators and collectives, none
among leading agribusinesses; a default compensated from the risk fund gets ``repaid_on`` (its
closing date) and keeps status default.  Each county's risk fund follows its own lending at
2.4-7.5x cover (:func:`_fund_path`; seeds/000 item 7 allows 8); guarantee fees of the
revitalisation credit (1% a year) are split city:county 5:5 (seeds/000 item 8).  Monitored households (seeds/003 二) are found 2021-2026, identified and
entered within 15 official working days (:mod:`fundwatch.data.workdays`), helped within 25 days,
and most leave monitoring 6-24 months later.

Planted faults (one or two counties each; every other county is silent on the rule):

====  ==================================================================================
F1    信丰县 360722 2020 all levels and 全南县 360729 2020 city+county: ~36% paid by 31 March,
      ~68% by 30 June; 石城县 360735 2024 all levels (and only ~90% by year end);
      大余县 360723 2024 county level
F2    定南县 360728 2019: poverty budget added is 6% of the revenue increment
F3    大余县 360723 2019: city+county input +5%; 龙南市 360783 2018: superior funds +8%;
      上犹县 360724 2018 follows from its F4 fault
F4    上犹县 360724 2018: integrated allocations 12% below 2017
F5    宁都县 360730 2018: 3 integrated payments to an image project and an office building;
      瑞金市 360781 2022: 2 integrated payments for staff allowances.  (章贡区 360702 2019 has a
      county-town road paid from road funds: negative-list category, not integrated money.)
F6    定南县 360728 2017: 3 allocation results published 40-75 days after issue;
      南康区 360703 2023: 2 allocation results never published
L1    于都县 360731 industry credit above 8x at the end of 2019 and 2020 (a lending push in the
      final battle, topped up in March 2021); 崇义县 360725 industry credit idle (~1.5x) throughout
L2    会昌县 360733: 7% of loans fall overdue and stay so for up to three years, 1.5% default:
      overdue + default 3-9% of outstanding from 2018 on (安远县 360726 has more defaults than
      the rest but stays under 3% at scale 1)
L3    信丰县 360722 2022: 5 revitalisation loans split 3:7; 龙南市 360783 2024: 2 loans whose
      city and county shares do not add up to the fee
A1    安远县 360726: 5 public-welfare assets without a custodian
A2    寻乌县 360734: 4 operating assets without an owner; 会昌县 360733: 5 operating assets
      without a 2023 income row
A3    于都县 360731 2024: 2 PV stations whose income was not distributed; 兴国县 360732 2022:
      1 PV station whose distribution does not add up
A4    兴国县 360732: 6 idle operating assets; 石城县 360735: 4 idle; 上犹县 360724: 3 damaged
H1    安远县 360726: 6 and 宁都县 360730: 3 unmonitored households (income year 2025) below the
      alert line
H2    寻乌县 360734 2022: 8 households entered 18-30 working days after found; 南康区 360703
      2025: 5 more; 于都县 360731 2026: 5 cases found in September still not identified;
      于都县 360731 2024: 3 cases found 3-5 June open and overdue on 30 June, entered late in July
H3    石城县 360735 2023: 6 identified households without a measure (still at risk);
      大余县 360723 2025: 3 more
H4    兴国县 360732 2022: 2 returns to poverty; 宁都县 360730 2024: 2; 会昌县 360733 2025: 1
Q1    龙南市 360783 2021: 6 linkage payments with no allocation
Q2    会昌县 360733 2017: 3 projects outside the project pool paid from special funds
Q3    全南县 360729 2019: 4 completed, paid-for projects without an asset
Q4    崇义县 360725: 5 and 定南县 360728: 3 assets without a source project (2021 asset census)
Q5    蓉江新区 ZONE-RJ: revitalisation-credit loans but no risk-fund deposit
Q6    赣州经开区 ZONE-KF: no dibao standard for 2024
====  ==================================================================================

Planted counts do not scale; at small scales a fault takes what rows exist (e.g. fewer
households), so it may shrink but still fires.  At scale 1 no other county fires these rules
(checked with ``fundwatch.data.rules`` for every year as of its end or TODAY); at scale 0.02
loans are so few and large that L1 and L2 also fire for one to three more counties.
"""

from __future__ import annotations

import datetime as dt
import functools
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine, func, select

from . import summaries
from .bulk import bulk_insert
from .db import checkpoint, writer
from .models import Base, Region
from .workdays import add_workdays_array

__all__ = [
    "ASSESSED_RUBRICS", "ASSESSED_YEARS", "DEFAULT_SEED", "LAST_DAY", "REFERENCE_CSV", "TABLES", "TARGETS_YI",
    "TODAY", "assessment_entries", "build_frames", "load_demo", "read_reference",
]

DEFAULT_SEED = 20200313  # the date of seeds/000 (赣市府办字〔2020〕17号)
FIRST_YEAR, LAST_YEAR = 2016, 2026
YEARS = np.arange(FIRST_YEAR, LAST_YEAR + 1)
TODAY = dt.date(2026, 11, 1)
LAST_DAY = dt.date(2026, 10, 31)

YUAN = 100
WAN = 10_000 * YUAN
YI = 100_000_000 * YUAN

CITY_CODE, CITY_NAME = "360700", "赣州市"
REFERENCE_CSV = Path(__file__).resolve().parent / "reference" / "ganzhou_counties.csv"

#: Tables in foreign-key order (the order :func:`load_demo` inserts them).
TABLES = (
    "region", "region_flag", "county_finance", "dibao_standard", "allocation", "project",
    "disbursement", "risk_fund_deposit", "loan", "asset", "asset_income", "household",
    "assistance_measure",
)

#: The tables the demo's assessors' scores go into (:func:`_save_assessments`).
ASSESSMENT_TABLES = ("rubric", "rubric_item", "score", "audit_log")

#: The calibration figures in 亿元 (DOMAIN.md "Figures to calibrate", seeds/001 一).
TARGETS_YI = {
    "integrated_2016_2020": 271.0,
    "superior_special_2016_2020": 72.5,
    "city_county_special_2016_2019": 65.0,
    "city_special_2016_2019": 34.3,
    "all_funds_2016_2020": 497.6,
    "medical_2016_2020": 13.5,
    "education_2016_2020": 5.65,
    "roads_2016_2020": 63.12,
    "industry_credit_loans_2016_2020": 187.2,
    "industry_credit_risk_fund": 23.9,
    "revitalisation_risk_fund_2020_2021": 10.0,
}
INDUSTRY_CREDIT_BORROWERS = 327_000  # 32.7万 households, seeds/001 一(四)

POVERTY_PROGRAMMES = ("special", "integrated", "linkage")
LEVELS = ("central", "provincial", "city", "county")

# Base row counts at scale 1.
DISBURSEMENTS_BASE = 300_000
FUNDED_PROJECTS_BASE = 26_000
HOUSEHOLDS_BASE = 60_000
MONITORED_SHARE = 0.40

# --- planted faults (see the module docstring) ---
ZHANGGONG, NANKANG, GANXIAN, XINFENG, DAYU, SHANGYOU, CHONGYI, ANYUAN = (
    "360702", "360703", "360704", "360722", "360723", "360724", "360725", "360726")
DINGNAN, QUANNAN, NINGDU, YUDU, XINGGUO, HUICHANG, XUNWU, SHICHENG = (
    "360728", "360729", "360730", "360731", "360732", "360733", "360734", "360735")
RUIJIN, LONGNAN, RONGJIANG, JINGKAI = "360781", "360783", "ZONE-RJ", "ZONE-KF"

#: (county, year) -> levels paid slowly, and (share by 31 March, by 30 June, by year end).
SLOW_PACE = {
    (XINFENG, 2020): (LEVELS, (0.36, 0.68, 0.97)),
    (QUANNAN, 2020): (("city", "county"), (0.38, 0.70, 0.97)),
    (SHICHENG, 2024): (LEVELS, (0.35, 0.66, 0.90)),
    (DAYU, 2024): (("county",), (0.40, 0.72, 0.97)),
}
LISTED_COUNTIES = (GANXIAN, NINGDU, YUDU, XINGGUO)  # 2020 exits: 市级挂牌督战 4 个县 (seeds/000 item 5)
LISTED_VILLAGES = 100  # seeds/000 item 5

BANKS = ("农商银行", "农业银行", "邮储银行", "赣州银行", "九江银行", "建设银行", "中国银行")
BANK_WEIGHTS = np.array([0.46, 0.16, 0.14, 0.10, 0.06, 0.05, 0.03])

# Official LPR-based reference rates by year (percent): 4.35 benchmark to 2019, LPR after.
BASE_RATE = {2016: 4.35, 2017: 4.35, 2018: 4.35, 2019: 4.35, 2020: 3.85, 2021: 3.85, 2022: 3.65,
             2023: 3.45, 2024: 3.10, 2025: 3.00, 2026: 3.00}

# Rural dibao standard (元/person/year) path for the prefecture; counties differ slightly.
DIBAO_PATH = np.array([3600, 3960, 4320, 4680, 5160, 5640, 6060, 6480, 6900, 7320, 7800])

# County-level unit centroids (lon, lat, WGS-84) from components/assets/ganzhou_counties.geojson;
# the two functional zones have no polygon: their seats.
CENTROIDS = {
    "360702": (114.915, 25.818), "360703": (114.692, 25.835), "360704": (115.061, 25.898),
    "360722": (114.971, 25.283), "360723": (114.357, 25.446), "360724": (114.391, 25.936),
    "360725": (114.187, 25.675), "360726": (115.385, 25.235), "360728": (115.084, 24.822),
    "360729": (114.507, 24.845), "360730": (116.001, 26.587), "360731": (115.498, 25.934),
    "360732": (115.434, 26.422), "360733": (115.754, 25.503), "360734": (115.655, 24.902),
    "360735": (116.361, 26.304), "360781": (115.974, 25.919), "360783": (114.722, 24.771),
    "ZONE-RJ": (114.872, 25.752), "ZONE-KF": (114.853, 25.862),
}
# The area code in residents' ID numbers for the zones (carved out of 南康区 and 章贡区).
ZONE_ID_AREA = {RONGJIANG: 360703, JINGKAI: 360702}
# Short issuer names on county documents (于财农指〔2020〕3号).
DOC_SHORT = {"360702": "章", "360703": "康", "360704": "赣县", "ZONE-RJ": "蓉江", "ZONE-KF": "赣开"}

# --- the assessment (seeds/004 attachment 2): scores entered by the city's assessors ---
ASSESSED_RUBRICS = ("chaoyang-2020-sector", "chaoyang-2020-village")
ASSESSED_YEARS = tuple(range(2019, 2026))
ASSESSORS = ("刘建华", "钟秀英", "谢明辉", "曾春兰", "黄国平", "赖文杰", "邱海燕")
EVIDENCE = {
    "supervision": ("{county}{year}年扶贫资金监督检查报告.pdf", "{year}年度绩效评价报告（{county}）.pdf",
                    "审计整改台账（{county}，{year}年）.xlsx"),
    "project_pool": ("{county}{year}年脱贫攻坚项目库核查记录.pdf", "项目库年中检查排名通报（{year}年）"),
    "sector_tasks": ("{county}{year}年行业扶贫任务完成情况表.xlsx", "现场核查：行业扶贫项目抽查12个"),
    "leadership": ("{county}扶贫领导小组会议纪要（{year}年）.pdf", "县委常委会专题研究记录"),
    "work_plan": ("{county}{year}年度工作计划.docx",),
    "quarterly_reports": ("季度报送记录（{year}年，4期）", "{county}{year}年月调度台账.xlsx"),
    "summaries": ("{county}{year}年行业扶贫工作总结.docx", "半年及年度总结报送登记表"),
    "superior_funds": ("{year}年争取上级资金明细表（{county}）.xlsx",),
    "innovation": ("{county}创新做法经验材料（{year}年）.pdf",),
    "commend_provincial": ("省级表彰文件（{year}年）.pdf",),
    "commend_national": ("国家级表彰文件（{year}年）.pdf",),
    "v_": ("驻村工作队考勤及工作日志（{county}，{year}年）.pdf", "{county}{year}年驻村帮扶工作台账.xlsx",
           "现场核查：抽查驻村工作队3支"),
    "t_": ("{county}{year}年乡镇结对帮扶台账.xlsx", "乡镇包村工作部署文件（{county}，{year}年）.pdf",
           "{year}年度领导小组评议表（{county}）"),
}

# --- name material ---
SURNAMES = ("刘 钟 陈 李 谢 曾 黄 王 张 赖 罗 邱 温 肖 廖 郭 杨 朱 胡 吴 曹 林 徐 何 彭 叶 邓 宋 严 蔡 "
            "袁 唐 卢 易 兰 池 古 丁 管 欧阳").split()
GIVEN_MALE = "国建华明春金荣文福生发平林海永德贵祥军伟强志勇东清和长光新水根云龙兴财富仁昌辉斌亮峰鹏俊涛杰"
GIVEN_FEMALE = "秀英兰芳梅珍凤玉娟红桂莲琴燕霞丽花萍秋春冬菊香娇婷敏慧静金"
PLACE_FIRST = "长大石黄新上下龙高田江东梅茶兴安和平富丰青白古金银盘樟湖桥岭坪塘赤三五九沙潭营寨坳峰横"
PLACE_SECOND = "口坑田坪塘岭江溪头背洲湖陂圩埠源富丰安兴和山坳迳市坝岗桥石门潭"
VILLAGE_FIRST = PLACE_FIRST + "老小前后里外中南西北李刘谢曾钟陈罗杨朱邱温廖赖"
VILLAGE_SECOND = PLACE_SECOND + "屋排垅坵窝场围庄家林竹水光明联胜红星"
BRANDS = ("绿源", "润田", "丰华", "福康", "鑫盛", "恒瑞", "金穗", "绿野", "华康", "宏发", "嘉禾", "益农",
          "聚丰", "兴旺", "裕农", "康达", "天润", "森美", "富民", "惠农", "瑞丰", "鸿运", "谷丰", "果香")

INDUSTRIES = ("vegetables", "navel_orange", "white_lotus", "camellia_oil", "livestock", "tea", "other")
INDUSTRY_WORDS = ("蔬菜", "脐橙", "白莲", "油茶", "养殖", "茶叶", "农业")
INDUSTRY_BASE = np.array([0.25, 0.15, 0.05, 0.15, 0.20, 0.05, 0.15])
INDUSTRY_BOOST = {  # county -> {industry: factor}: the county's signature industries
    XUNWU: {"navel_orange": 4}, ANYUAN: {"navel_orange": 3}, XINFENG: {"navel_orange": 3, "vegetables": 2},
    HUICHANG: {"navel_orange": 2}, LONGNAN: {"navel_orange": 2}, DINGNAN: {"navel_orange": 2},
    QUANNAN: {"navel_orange": 2}, SHICHENG: {"white_lotus": 6}, NINGDU: {"white_lotus": 3, "vegetables": 2},
    RUIJIN: {"white_lotus": 2}, XINGGUO: {"camellia_oil": 2.5}, YUDU: {"vegetables": 3, "camellia_oil": 1.5},
    GANXIAN: {"camellia_oil": 2}, SHANGYOU: {"tea": 5}, CHONGYI: {"tea": 4},
}

CATEGORIES = ("industry", "roads", "water", "power", "education", "health", "housing", "employment",
              "relocation", "other", "image_project", "county_town_infra", "office_building",
              "staff_allowance", "public_operating_cost")
CAT = {c: i for i, c in enumerate(CATEGORIES)}
# Non-industry mix of poverty-fund projects (relocation ended with the campaign).
POVERTY_MIX = {"roads": 0.24, "water": 0.12, "power": 0.04, "education": 0.06, "health": 0.05,
               "housing": 0.14, "employment": 0.08, "relocation": 0.08, "other": 0.03}
INDUSTRY_SHARE = {"special": 0.35, "integrated": 0.30}
LINKAGE_INDUSTRY_SHARE = {2021: 0.50, 2022: 0.55, 2023: 0.60, 2024: 0.62, 2025: 0.64, 2026: 0.65}
SECTOR_CATEGORY = {"medical": "health", "education": "education", "roads": "roads", "industry": "industry"}
# (share of county-level projects, share of township-level projects) per category.
PROJECT_LOCATION = {"industry": (0.05, 0.10), "roads": (0.12, 0.08), "water": (0.05, 0.10),
                    "power": (0.0, 0.10), "education": (0.35, 0.25), "health": (0.30, 0.20),
                    "housing": (0.0, 0.0), "employment": (0.10, 0.30), "relocation": (0.20, 0.50),
                    "other": (0.10, 0.20)}
PROJECT_WORDS = {
    "industry": ("蔬菜大棚基地建设", "脐橙果园提升改造", "油茶低改", "白莲种植基地", "光伏扶贫电站",
                 "肉牛养殖小区", "茶叶加工厂房", "冷链仓储设施"),
    "roads": ("通组公路硬化", "村道拓宽改造", "危桥改造", "生产便道建设"),
    "water": ("安全饮水巩固提升", "集中供水工程", "山塘水陂整修", "灌溉渠道修复"),
    "power": ("村级光伏扶贫电站", "农网改造"),
    "education": ("村小校舍改造", "薄弱学校改善", "教育扶贫资助"),
    "health": ("村卫生室标准化建设", "乡镇卫生院设备购置", "医疗保障扶贫"),
    "housing": ("农村危房改造", "土坯房改造"),
    "employment": ("扶贫车间建设", "就业技能培训", "公益性岗位开发"),
    "relocation": ("易地搬迁安置点配套", "移民安置区基础设施"),
    "other": ("人居环境整治", "村庄亮化", "村级综合服务设施"),
}


# =============================================================================================
# Public API
# =============================================================================================


def build_frames(scale: float = 1.0, seed: int = DEFAULT_SEED) -> dict[str, pd.DataFrame]:
    """Every demo table as a DataFrame keyed by table name, with explicit integer ids.

    Deterministic in (``scale``, ``seed``).  Columns are exactly the model's columns.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, got {scale!r}")
    world = _world(read_reference(), scale, seed)
    frames: dict[str, pd.DataFrame] = {}
    frames["region"] = _region_frame(world)
    frames["region_flag"] = _flag_frame(world)
    frames["county_finance"] = _county_finance_frame(world)
    frames["dibao_standard"], dibao = _dibao_frame(world)
    frames["allocation"] = _allocation_frame(world)
    payments = _payments(world, frames["allocation"])
    frames["project"], frames["disbursement"] = _project_frames(world, payments, frames["allocation"])
    frames["loan"] = _loan_frame(world)
    frames["risk_fund_deposit"] = _deposit_frame(world, frames["loan"])
    frames["asset"] = _asset_frame(world, frames["project"])
    frames["asset_income"] = _asset_income_frame(world, frames["asset"])
    frames["household"] = _household_frame(world, dibao)
    frames["assistance_measure"] = _measure_frame(world, frames["household"], dibao)
    return {name: _with_model_columns(name, frames[name]) for name in TABLES}


def load_demo(
    engine: Engine, scale: float = 1.0, seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Generate the demo data and insert it in one transaction; return the rows per table.

    The schema must exist (``fundwatch.data.schema.upgrade(engine)``).  Refuses, with a
    :class:`ValueError`, a database that already holds regions.
    """
    say = progress or (lambda message: None)
    _refuse_non_empty(engine)
    say(f"generating demo data (scale {scale:g}, seed {seed})")
    frames = build_frames(scale, seed)
    entries = assessment_entries(seed)
    counts: dict[str, int] = {}
    with writer(engine).begin() as conn:
        _refuse_non_empty(conn)  # again, inside the transaction
        with summaries.suspended(conn):  # one pass over the loaded rows instead of a trigger per row
            for name in TABLES:
                say(f"{name}: {len(frames[name]):,} rows")
                counts[name] = bulk_insert(conn, Base.metadata.tables[name], frames[name])
            say("summary tables")
        say(f"score: {len(entries):,} assessors' scores ({', '.join(ASSESSED_RUBRICS)}, "
            f"{ASSESSED_YEARS[0]}-{ASSESSED_YEARS[-1]})")
        _save_assessments(conn, entries)
    # Planner statistics for the freshly loaded tables, on both databases.  SQLite never gathers
    # them by itself: without them it guessed, e.g. read a year's cases of the prefecture (the
    # identification clock) through ix_household_found and the table instead of the covering
    # ix_household_county alone, 56 against 20 ms at ten times the demo (ANALYZE took 7 s there).
    # PostgreSQL's tables are vacuumed as well: until a page is marked all-visible an index-only
    # scan reads the heap beside the index, and autovacuum would do it hours later, or in the
    # middle of the first use (VACUUM runs outside a transaction).
    names = (*TABLES, *ASSESSMENT_TABLES, *summaries.SUMMARY_TABLES)
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for name in names:
                conn.exec_driver_sql(f"VACUUM (ANALYZE) {name}")
    else:
        with writer(engine).begin() as conn:
            for name in names:
                conn.exec_driver_sql(f"ANALYZE {name}")
    checkpoint(engine)
    return counts


def assessment_entries(seed: int = DEFAULT_SEED) -> pd.DataFrame:
    """The assessors' scores of the demo (pure, deterministic in ``seed``, independent of scale):
    one row per (rubric, unit, year, item) with ``value`` (points for a ``manual`` item, a count
    for a commendation, 1 for a veto), ``evidence`` and ``assessor``.

    Every county-level unit is scored on the entered items of :data:`ASSESSED_RUBRICS` for
    :data:`ASSESSED_YEARS`.  A unit's diligence (60-97% of the points) is its own, drifts a
    little from year to year and varies by item, so the rankings differ across units; points are
    in half points.  About one item in twelve is left unscored (shown as 待评 on the page).
    Planted: 瑞金市 360781 2022 is vetoed on the sector rubric for the staff allowances paid from
    integrated funds (rule F5, see the module doc), and units with planted fund faults lose points
    on supervision in that year.
    """
    from .rubric import load_rubric

    rng = _rng(seed, "assessment")
    ref = read_reference()
    units, names = ref["adcode"].tolist(), dict(zip(ref["adcode"], ref["name"], strict=True))
    faulty = {(code, year) for code, year in (*SLOW_PACE, (DINGNAN, 2019), (DAYU, 2019), (NINGDU, 2018),
                                               (RUIJIN, 2022), (NANKANG, 2023), (LONGNAN, 2021))}
    diligence = rng.uniform(0.60, 0.97, len(units))
    rows = []
    for rubric_name in ASSESSED_RUBRICS:
        rubric = load_rubric(rubric_name)
        items = [i for i in rubric.leaves if not i.is_computed and i.kind in ("manual", "per_occurrence")]
        for year in ASSESSED_YEARS:
            drift = rng.normal(0, 0.03, len(units))
            for u, unit in enumerate(units):
                for item in items:
                    if rng.random() < 0.08:
                        continue  # not scored yet
                    if item.kind == "per_occurrence":  # commendations: counts, national ones rare
                        count = int(rng.poisson(0.9 if item.params["per"] < 1 else 0.2))
                        if count == 0:
                            continue
                        value = str(count)
                    else:
                        share = diligence[u] + drift[u] + rng.normal(0, 0.06)
                        if item.is_bonus:  # bonus points are earned by few
                            share = share - 0.55
                        if item.code == "supervision" and (unit, year) in faulty:
                            share -= 0.35
                        share = min(max(share, 0.0), 1.0)
                        points = np.floor(float(item.max_points) * share * 2) / 2
                        if item.is_bonus and points == 0:
                            continue
                        value = f"{points:.2f}"
                    rows.append({"rubric": rubric_name, "unit": unit, "year": year, "item": item.code, "value": value,
                                 "evidence": _evidence(rng, item.code, names[unit], year),
                                 "assessor": ASSESSORS[int(rng.integers(len(ASSESSORS)))]})
    rows.append({"rubric": "chaoyang-2020-sector", "unit": RUIJIN, "year": 2022, "item": "veto", "value": "1",
                 "evidence": "2笔整合资金用于发放津补贴（负面清单，审计整改通知书）", "assessor": ASSESSORS[0]})
    return pd.DataFrame(rows, columns=["rubric", "unit", "year", "item", "value", "evidence", "assessor"])


def _evidence(rng: np.random.Generator, item: str, county: str, year: int) -> str:
    """A plausible evidence entry: a document's file name or an inspector's note."""
    kind = EVIDENCE.get(item) or EVIDENCE.get(item[:2]) or ("{county}{year}年度考核佐证材料.pdf",)
    return kind[int(rng.integers(len(kind)))].format(county=county, year=year)


def _save_assessments(conn, entries: pd.DataFrame) -> None:
    """Store the demo's scores through the data layer (rubric sync and audit rows included) in
    the caller's transaction."""
    from sqlalchemy.orm import Session

    from .rubric import ScoreRepository, load_rubric, sync_rubric

    with Session(bind=conn) as session:
        repo = ScoreRepository(session)
        for name, group in entries.groupby("rubric", sort=False):
            sync_rubric(session, load_rubric(name), actor="demo")
            repo.save_many(name, [{**row, "year": int(row["year"])} for row in group.to_dict("records")],
                           actor="demo")
        session.flush()


def read_reference(path: Path = REFERENCE_CSV) -> pd.DataFrame:
    """The 20 county-level units (see ``reference/README.md``)."""
    return pd.read_csv(path, dtype={"adcode": str, "exit_date": str}, keep_default_na=False)


def region_count(target) -> int:
    """How many regions ``target`` (an engine or a connection) holds: 0 for a database the demo
    may load into."""
    stmt = select(func.count()).select_from(Region.__table__)
    if isinstance(target, Engine):
        with target.connect() as conn:
            return conn.execute(stmt).scalar_one()
    return target.execute(stmt).scalar_one()


def _refuse_non_empty(target) -> None:
    n = region_count(target)
    if n:
        raise ValueError(f"the database already holds {n} regions: demo data loads only into an empty database")


def _with_model_columns(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    columns = [c.name for c in Base.metadata.tables[name].columns]
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise AssertionError(f"{name}: generator lacks columns {missing}")
    return frame[columns].reset_index(drop=True)


# =============================================================================================
# Small helpers
# =============================================================================================


def _rng(world_or_seed, part: str) -> np.random.Generator:
    """An independent generator per part, so changing one table never shifts another."""
    seed = world_or_seed.seed if isinstance(world_or_seed, _World) else int(world_or_seed)
    return np.random.default_rng([seed, zlib.crc32(part.encode())])


def _day(d: dt.date | str) -> np.datetime64:
    return np.datetime64(d, "D")


def _ymd(year, month, day) -> np.ndarray:
    """datetime64[D] from integer arrays (day beyond the month's end is clamped)."""
    year, month, day = np.broadcast_arrays(np.asarray(year), np.asarray(month), np.asarray(day))
    months = ((year - 1970) * 12 + (month - 1)).astype("datetime64[M]")
    length = ((months + 1).astype("datetime64[D]") - months.astype("datetime64[D]")).astype(int)
    return months.astype("datetime64[D]") + (np.minimum(day, length) - 1).astype("timedelta64[D]")


def _year_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[Y]").astype(int) + 1970


def _month_of(days: np.ndarray) -> np.ndarray:
    return days.astype("datetime64[M]").astype(int) % 12 + 1


def _uniform_days(rng: np.random.Generator, start: np.ndarray, end: np.ndarray) -> np.ndarray:
    """A uniform day in [start, end] (inclusive), elementwise."""
    span = (end - start).astype(int) + 1
    return start + np.floor(rng.random(span.shape) * span).astype("timedelta64[D]")


def _add_years(days: np.ndarray, years: np.ndarray) -> np.ndarray:
    months = days.astype("datetime64[M]")
    dom = (days - months.astype("datetime64[D]")).astype(int) + 1
    target = months + (12 * years).astype("timedelta64[M]")
    return _ymd(target.astype("datetime64[Y]").astype(int) + 1970, target.astype(int) % 12 + 1, dom)


def _next_workday(days: np.ndarray) -> np.ndarray:
    """The first official working day on or after each day."""
    due, _ = add_workdays_array(days - np.timedelta64(1, "D"), 1)
    return due


@functools.cache
def _workday_index() -> tuple[np.datetime64, np.ndarray]:
    first = _day("2014-01-01")
    days = first + np.arange(365 * 15).astype("timedelta64[D]")
    is_work = _next_workday(days) == days
    idx = np.arange(days.size)
    return first, np.maximum.accumulate(np.where(is_work, idx, 0))


def _previous_workday(days: np.ndarray) -> np.ndarray:
    """The last official working day on or before each day."""
    first, last_work = _workday_index()
    return first + last_work[(days - first).astype(int)].astype("timedelta64[D]")


def _choice_rows(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One category index per row of a (rows, k) probability matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return (u[:, None] > cum).sum(axis=1)


def _rank_within(keys: np.ndarray) -> np.ndarray:
    """0-based position of each row among the rows with the same key, in row order."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.r_[0, np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
    ranks = np.empty(len(keys), dtype=np.int64)
    ranks[order] = np.arange(len(keys)) - run_start
    return ranks


def _cat(*parts) -> np.ndarray:
    """Elementwise string concatenation of arrays and scalars."""
    out = np.asarray(parts[0]).astype(str)
    for part in parts[1:]:
        out = np.char.add(out, np.asarray(part).astype(str))
    return out


def _zfill(values: np.ndarray, width: int) -> np.ndarray:
    return np.char.zfill(np.asarray(values).astype(str), width)


def _round_to(amount: np.ndarray, unit: int) -> np.ndarray:
    return (np.round(np.asarray(amount, dtype=np.float64) / unit) * unit).astype(np.int64)


def _dates_or_nat(days: np.ndarray, keep: np.ndarray) -> np.ndarray:
    return np.where(keep, days, np.datetime64("NaT")).astype("datetime64[D]")


# =============================================================================================
# The world: geography shared by every table
# =============================================================================================


@dataclass
class _World:
    scale: float
    seed: int
    counties: pd.DataFrame  # one row per county-level unit, index = county_idx
    townships: pd.DataFrame
    villages: pd.DataFrame  # with flags: poor, poor_end, deep, listed, key

    @property
    def n_counties(self) -> int:
        return len(self.counties)

    def county_index(self, code: str) -> int:
        return int(np.flatnonzero(self.counties["code"].to_numpy() == code)[0])

    def n(self, base: float) -> int:
        """A scaled row count (at least 1)."""
        return max(1, int(round(base * self.scale)))


def _world(ref: pd.DataFrame, scale: float, seed: int) -> _World:
    rng = _rng(seed, "geography")
    counties = _counties(ref, rng)
    townships, villages = _townships_and_villages(counties, rng)
    villages = _village_flags(counties, villages, _rng(seed, "flags"))
    return _World(scale, seed, counties, townships, villages)


def _counties(ref: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    c = pd.DataFrame({
        "code": ref["adcode"].astype(str),
        "name": ref["name"].astype(str),
        "kind": ref["kind"].str.replace(r"\(.*\)", "", regex=True),
        "poverty": ref["poverty_group"].str.startswith("国家贫困县").to_numpy(),
        "poverty_group": ref["poverty_group"],
        "townships": ref["townships"].astype(int),
        "villages": ref["admin_villages"].astype(int),
        "population": ref["resident_2020"].astype(int),
        "rural": ref["rural_resident_2020"].astype(int),
        "poor_villages": ref["poor_villages"].astype(int),
        "deep_poor_villages": ref["deep_poor_villages"].astype(int),
    })
    exit_dates = [dt.date.fromisoformat(v if len(v) == 10 else f"{v}-01") if v else None
                  for v in ref["exit_date"]]  # "2019-04" means the first of the month
    c["exit_date"] = exit_dates
    c["exit_year"] = [d.year if d else 0 for d in exit_dates]
    c["zone"] = ~c["code"].str.isdigit()
    c["lon"] = [CENTROIDS[k][0] for k in c["code"]]
    c["lat"] = [CENTROIDS[k][1] for k in c["code"]]
    c["id_area"] = [ZONE_ID_AREA.get(k, int(k) if k.isdigit() else 360702) for k in c["code"]]
    c["short"] = [DOC_SHORT.get(k, n[0]) for k, n in zip(c["code"], c["name"], strict=True)]
    # Money weights: rural population, poverty counties 2.6x, a fixed county character (DOMAIN.md).
    character = np.exp(rng.normal(0, 0.08, len(c)))
    c["w_poverty"] = c["rural"] * np.where(c["poverty"], 2.6, 1.0) * character
    c["w_roads"] = c["rural"] * np.where(c["poverty"], 1.5, 1.0) * character
    c["w_medical"] = c["rural"] * np.where(c["poverty"], 2.6, 1.0) * character
    c["w_education"] = c["rural"] * np.where(c["poverty"], 2.0, 1.0) * character
    c["w_industry"] = c["rural"] * np.where(c["poverty"], 1.8, 1.0) * character
    c["w_households"] = c["rural"] * np.where(c["poverty"], 2.0, 1.0)
    return c


def _place_names(rng: np.random.Generator, n: int, first: str, second: str) -> np.ndarray:
    """``n`` distinct two-character place names."""
    a = np.array(list(dict.fromkeys(first)))
    b = np.array(list(dict.fromkeys(second)))
    pairs = np.array([x + y for x in a for y in b if x != y])
    return pairs[rng.choice(len(pairs), size=n, replace=False)]


def _townships_and_villages(counties: pd.DataFrame, rng: np.random.Generator) -> tuple[pd.DataFrame, pd.DataFrame]:
    t_rows: list[pd.DataFrame] = []
    v_rows: list[pd.DataFrame] = []
    for ci, county in counties.iterrows():  # 20 counties: a loop over counties, not rows
        n_t, n_v, code = int(county["townships"]), int(county["villages"]), county["code"]
        if county["kind"] == "市辖区":
            n_jd = max(1, round(0.35 * n_t))
        elif county["kind"] == "县级市":
            n_jd = 2
        else:
            n_jd = 0 if county["zone"] else 1
        n_town = round(0.65 * (n_t - n_jd)) if not county["zone"] else n_t - n_jd
        kinds = np.array(["街道"] * n_jd + ["镇"] * n_town + ["乡"] * (n_t - n_jd - n_town))
        base = _place_names(rng, n_t, PLACE_FIRST, PLACE_SECOND)
        if county["zone"]:
            t_codes = np.array([f"{code}-{i + 1:03d}" for i in range(n_t)])
        else:
            serial = np.r_[np.arange(1, n_jd + 1), 100 + np.arange(n_town), 200 + np.arange(n_t - n_jd - n_town)]
            t_codes = np.array([f"{code}{s:03d}" for s in serial])
        t_rows.append(pd.DataFrame({"code": t_codes, "name": _cat(base, kinds), "kind": kinds,
                                    "county_idx": ci, "county_code": code}))
        # villages spread over the townships: at least one each, fewer in 街道
        weight = np.where(kinds == "街道", 0.5, np.where(kinds == "镇", 1.2, 0.9)) * rng.gamma(4, 0.25, n_t)
        per_t = 1 + rng.multinomial(n_v - n_t, weight / weight.sum())
        t_of_v = np.repeat(np.arange(n_t), per_t)
        serial = _rank_within(t_of_v) + (1 if county["zone"] else 201)
        sep = "-" if county["zone"] else ""
        v_codes = _cat(t_codes[t_of_v], sep, _zfill(serial, 3))
        v_names = _cat(_place_names(rng, n_v, VILLAGE_FIRST, VILLAGE_SECOND), "村")
        v_rows.append(pd.DataFrame({"code": v_codes, "name": v_names, "township_code": t_codes[t_of_v],
                                    "township_name": _cat(base, kinds)[t_of_v], "county_idx": ci,
                                    "county_code": code, "street": kinds[t_of_v] == "街道"}))
    return pd.concat(t_rows, ignore_index=True), pd.concat(v_rows, ignore_index=True)


def _village_flags(counties: pd.DataFrame, villages: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Poor (2014-), deep-poor (2017-), listed (2020) and key-assistance (2021-2025) villages."""
    v = villages.copy()
    n = len(v)
    poor = np.zeros(n, bool)
    poor_end = np.zeros(n, int)
    deep = np.zeros(n, bool)
    for ci, county in counties.iterrows():
        idx = np.flatnonzero(v["county_idx"].to_numpy() == ci)
        k = min(int(county["poor_villages"]), len(idx))
        if k == 0:
            continue
        weight = np.where(v["street"].to_numpy()[idx], 0.2, 1.0)
        chosen = rng.choice(idx, size=k, replace=False, p=weight / weight.sum())
        poor[chosen] = True
        last = county["exit_year"] if county["poverty"] else 2019
        years = np.arange(2017, last + 1)
        p = np.linspace(1, 2, len(years)) if county["poverty"] else np.linspace(2, 1, len(years))
        if county["poverty"]:
            p[-1] *= 2.5  # most poor villages left with their county
        ends = rng.choice(years, size=k, p=p / p.sum())
        poor_end[chosen] = ends
        n_deep = min(int(county["deep_poor_villages"]), k)
        # deep-poor villages are the last to leave
        deep[chosen[np.argsort(-ends + rng.random(k) * 0.5)[:n_deep]]] = True
    v["poor"], v["poor_end"], v["deep"] = poor, poor_end, deep
    listed_county = v["county_code"].isin(LISTED_COUNTIES).to_numpy()
    w = np.where(poor & (poor_end == 2020), 5.0, np.where(poor, 1.0, 0.1)) * np.where(listed_county, 2.0, 1.0)
    listed = np.zeros(n, bool)
    listed[rng.choice(n, size=LISTED_VILLAGES, replace=False, p=w / w.sum())] = True
    v["listed"] = listed
    # ~10% key-assistance villages, mostly former (deep-)poor villages (seeds/003 七)
    key = np.zeros(n, bool)
    w = np.where(deep, 8.0, np.where(poor, 3.0, 0.15))
    key[rng.choice(n, size=round(0.10 * n), replace=False, p=w / w.sum())] = True
    v["key"] = key
    return v


def _pick_villages(world: _World, rng: np.random.Generator, county_idx: np.ndarray, years: np.ndarray,
                   boost: float = 3.0) -> np.ndarray:
    """A village row index per row, within its county; poor villages (to 2020) and key villages
    (from 2021) are ``boost`` times as likely."""
    v = world.villages
    v_county = v["county_idx"].to_numpy()
    poor_w = np.where(v["poor"].to_numpy(), boost, 1.0) * np.where(v["listed"].to_numpy(), 1.5, 1.0)
    key_w = np.where(v["key"].to_numpy(), boost, 1.0)
    street_w = np.where(v["street"].to_numpy(), 0.4, 1.0)
    out = np.empty(len(county_idx), dtype=np.int64)
    campaign = years <= 2020
    for ci in range(world.n_counties):
        pool = np.flatnonzero(v_county == ci)
        for phase, weights in ((True, poor_w), (False, key_w)):
            rows = np.flatnonzero((county_idx == ci) & (campaign == phase))
            if len(rows):
                w = weights[pool] * street_w[pool]
                out[rows] = rng.choice(pool, size=len(rows), p=w / w.sum())
    return out


# =============================================================================================
# Regions and flags
# =============================================================================================


def _random_township(world: _World, rng: np.random.Generator, county_idx: np.ndarray) -> pd.DataFrame:
    """A uniformly chosen township of each row's county (townships are stored county by county)."""
    t_county = world.townships["county_idx"].to_numpy()
    start = np.searchsorted(t_county, np.arange(world.n_counties))
    count = np.bincount(t_county, minlength=world.n_counties)
    rows = start[county_idx] + np.floor(rng.random(len(county_idx)) * count[county_idx]).astype(np.int64)
    return world.townships.iloc[rows].reset_index(drop=True)


def _region_frame(world: _World) -> pd.DataFrame:
    c, t, v = world.counties, world.townships, world.villages
    city = pd.DataFrame({"code": [CITY_CODE], "name": [CITY_NAME], "level": ["city"], "parent_code": [None],
                         "county_code": [None], "kind": ["地级市"], "population": [int(c["population"].sum())],
                         "rural_population": [int(c["rural"].sum())], "lon": [114.935], "lat": [25.831]})
    counties = pd.DataFrame({"code": c["code"], "name": c["name"], "level": "county", "parent_code": CITY_CODE,
                             "county_code": c["code"], "kind": c["kind"], "population": c["population"],
                             "rural_population": c["rural"], "lon": c["lon"], "lat": c["lat"]})
    townships = pd.DataFrame({"code": t["code"], "name": t["name"], "level": "township",
                              "parent_code": t["county_code"], "county_code": t["county_code"], "kind": t["kind"],
                              "population": None, "rural_population": None, "lon": None, "lat": None})
    villages = pd.DataFrame({"code": v["code"], "name": v["name"], "level": "village",
                             "parent_code": v["township_code"], "county_code": v["county_code"],
                             "kind": np.where(v["street"], "社区村", "行政村"),
                             "population": None, "rural_population": None, "lon": None, "lat": None})
    frame = pd.concat([city, counties, townships, villages], ignore_index=True)  # parents first
    frame["population"] = frame["population"].astype("Int64")
    frame["rural_population"] = frame["rural_population"].astype("Int64")
    return frame


def _flag_frame(world: _World) -> pd.DataFrame:
    c, v = world.counties, world.villages
    rng = _rng(world, "flag-dates")
    parts = []
    pov = c[c["poverty"]]
    parts.append(pd.DataFrame({
        "region_code": pov["code"], "county_code": pov["code"], "flag": "poverty_county", "start_year": 2011,
        "end_year": pov["exit_year"], "exit_date": pd.to_datetime(pov["exit_date"]),
        "note": pov["poverty_group"].str.replace("国家贫困县", "国家扶贫开发工作重点县/片区县 ", regex=False),
    }))
    poor = v[v["poor"]]
    exit_day = _uniform_days(rng, _ymd(poor["poor_end"], 10, 1), _ymd(poor["poor_end"], 12, 20))
    parts.append(pd.DataFrame({"region_code": poor["code"], "county_code": poor["county_code"], "flag": "poor_village",
                               "start_year": 2014, "end_year": poor["poor_end"], "exit_date": exit_day,
                               "note": "建档立卡贫困村"}))
    deep = v[v["deep"]]
    parts.append(pd.DataFrame({"region_code": deep["code"], "county_code": deep["county_code"],
                               "flag": "deep_poor_village", "start_year": 2017, "end_year": deep["poor_end"],
                               "exit_date": pd.NaT, "note": "深度贫困村"}))
    listed_c = c[c["code"].isin(LISTED_COUNTIES)]
    listed_v = v[v["listed"]]
    note = "市级挂牌督战（赣市府办字〔2020〕17号第5条）"
    parts.append(pd.DataFrame({"region_code": listed_c["code"], "county_code": listed_c["code"],
                               "flag": "listed_supervision", "start_year": 2020, "end_year": 2020,
                               "exit_date": pd.NaT, "note": note}))
    parts.append(pd.DataFrame({"region_code": listed_v["code"], "county_code": listed_v["county_code"],
                               "flag": "listed_supervision", "start_year": 2020, "end_year": 2020,
                               "exit_date": pd.NaT, "note": note}))
    parts.append(pd.DataFrame({"region_code": v["code"], "county_code": v["county_code"],
                               "flag": np.where(v["key"], "key_assistance_village", "consolidation_village"),
                               "start_year": 2021, "end_year": 2025, "exit_date": pd.NaT,
                               "note": "过渡期村庄分类（赣市发〔2021〕6号 七）"}))
    frame = pd.concat(parts, ignore_index=True)
    frame["exit_date"] = pd.to_datetime(frame["exit_date"])
    frame.insert(0, "id", np.arange(1, len(frame) + 1))
    return frame


# =============================================================================================
# County finance and dibao standards
# =============================================================================================


def _county_finance_frame(world: _World) -> pd.DataFrame:
    """General revenue growing 5-10% a year; at least 10% of the increment added to the poverty
    budget (seeds/000 item 2) except the planted F2 fault."""
    c = world.counties
    rng = _rng(world, "county-finance")
    factor = np.select([c["kind"] == "市辖区", c["zone"], c["kind"] == "县级市"], [1.3, 2.2, 1.15], 1.0)
    rev0 = c["population"].to_numpy() * 1_900 * YUAN * factor * np.exp(rng.normal(0, 0.1, len(c)))
    growth = rng.uniform(0.05, 0.10, (len(c), len(YEARS)))
    revenue = _round_to(rev0[:, None] * np.cumprod(1 + growth, axis=1) / (1 + growth[:, :1]), WAN)
    previous = np.c_[_round_to(rev0 / (1 + growth[:, 0]), WAN), revenue[:, :-1]]
    increment = revenue - previous
    # 11-24% of the increment, and never less than 0.4% of revenue
    added = np.maximum(_round_to(increment * rng.uniform(0.11, 0.24, revenue.shape), WAN),
                       _round_to(revenue * 0.004, WAN))
    dingnan, y2019 = world.county_index(DINGNAN), 2019 - FIRST_YEAR
    added[dingnan, y2019] = _round_to(increment[dingnan, y2019] * 0.06, WAN)  # planted F2
    return pd.DataFrame({
        "county_code": np.repeat(c["code"].to_numpy(), len(YEARS)),
        "year": np.tile(YEARS, len(c)),
        "general_revenue_fen": revenue.ravel(),
        "poverty_budget_added_fen": added.ravel(),
    })


def _dibao_frame(world: _World) -> tuple[pd.DataFrame, np.ndarray]:
    """Rural dibao standard per county and year; returns the frame and a (county, year) matrix in
    fen that includes the year the planted Q6 fault leaves out."""
    c = world.counties
    rng = _rng(world, "dibao")
    factor = np.where(c["kind"].isin(["市辖区", "功能区"]), 1.05, 1.0) * rng.uniform(0.98, 1.02, len(c))
    yuan = np.round(DIBAO_PATH[None, :] * factor[:, None] / 60) * 60  # whole 5 元 a month
    matrix = (yuan * YUAN).astype(np.int64)
    frame = pd.DataFrame({"county_code": np.repeat(c["code"].to_numpy(), len(YEARS)),
                          "year": np.tile(YEARS, len(c)), "annual_fen": matrix.ravel()})
    frame = frame[~((frame["county_code"] == JINGKAI) & (frame["year"] == 2024))]  # planted Q6
    return frame.reset_index(drop=True), matrix


# =============================================================================================
# Allocations
# =============================================================================================


def _shares(rng: np.random.Generator, weights: np.ndarray, n_years: int, noise: float = 0.01) -> np.ndarray:
    """(county, year) shares summing to 1 per year: fixed weights with a little yearly noise."""
    w = weights[:, None] * np.exp(rng.normal(0, noise, (len(weights), n_years)))
    return w / w.sum(axis=0, keepdims=True)


def _streams(world: _World) -> dict[tuple[str, str], np.ndarray]:
    """Amount in fen per (programme, level) as a (county, year) matrix over 2016-2026."""
    c = world.counties
    rng = _rng(world, "streams")
    nc, ny = len(c), len(YEARS)
    camp = 1.27 ** np.arange(5)
    local4 = 1.27 ** np.arange(4)
    pov = c["poverty"].to_numpy()
    s: dict[tuple[str, str], np.ndarray] = {}

    def put(programme: str, level: str, yearly_yi: np.ndarray, weights: str, first: int = FIRST_YEAR) -> None:
        m = np.zeros((nc, ny))
        i0 = first - FIRST_YEAR
        m[:, i0:i0 + len(yearly_yi)] = _shares(rng, c[weights].to_numpy(), len(yearly_yi)) * yearly_yi * YI
        s[(programme, level)] = m

    # special funds 2016-2020 (seeds/001 一(一)(二)); 2020 local +26.8%
    put("special", "central", 72.5 * 0.7 * camp / camp.sum(), "w_poverty")
    put("special", "provincial", 72.5 * 0.3 * camp / camp.sum(), "w_poverty")
    for level, total in (("city", 34.3), ("county", 65.0 - 34.3)):
        yearly = total * local4 / local4.sum()
        put("special", level, np.r_[yearly, yearly[-1] * 1.268], "w_poverty")
    # integrated: superior special funds of poverty counties count as integrated too
    overlap = sum(s[("special", lv)][pov, :5].sum() for lv in ("central", "provincial")) / YI
    integrated_total = TARGETS_YI["integrated_2016_2020"] - overlap
    for level, share in (("central", 0.50), ("provincial", 0.25), ("city", 0.12), ("county", 0.13)):
        put("integrated", level, integrated_total * share * camp / camp.sum(), "w_poverty")
        m = s[("integrated", level)]
        m[:, 5:8] = m[:, 4:5] * 1.03 ** np.arange(1, 4)  # 2021-2023: integration continues (seeds/003 十九)
    # linkage funds 2021-2026 follow the 2020 special funds
    for level in LEVELS:
        base = s[("special", level)][:, 4:5] * (1.05 if level in ("central", "provincial") else 0.85)
        m = np.zeros((nc, ny))
        m[:, 5:] = base * 1.03 ** np.arange(ny - 5)
        s[("linkage", level)] = m
    # sector funds (seeds/001 一(五)): flatter growth, continuing after 2020
    sector_w = np.array([1, 1.15, 1.3, 1.4, 1.45])
    special_local = sum(s[("special", lv)][:, :5].sum() for lv in ("city", "county")) / YI
    fixed = (TARGETS_YI["superior_special_2016_2020"] + special_local + integrated_total
             + TARGETS_YI["medical_2016_2020"] + TARGETS_YI["education_2016_2020"] + TARGETS_YI["roads_2016_2020"])
    industry_total = TARGETS_YI["all_funds_2016_2020"] - fixed
    for programme, total, split, weights in (
        ("medical", TARGETS_YI["medical_2016_2020"], (0.4, 0.6), "w_medical"),
        ("education", TARGETS_YI["education_2016_2020"], (0.3, 0.7), "w_education"),
        ("roads", TARGETS_YI["roads_2016_2020"], (0.45, 0.55), "w_roads"),
        ("industry", industry_total, (0.5, 0.5), "w_industry"),
    ):
        for level, share in zip(("city", "county"), split, strict=True):
            yearly = total * share * sector_w / sector_w.sum()
            put(programme, level, np.r_[yearly, yearly[-1] * 1.02 ** np.arange(1, ny - 4)], weights)
    return s


def _integrated_flags(world: _World, programme: np.ndarray, level: np.ndarray, year: np.ndarray,
                      county_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(integrable, integrated) per allocation row (seeds/000 item 4, seeds/003 十九)."""
    pov = world.counties["poverty"].to_numpy()[county_idx]
    superior = np.isin(level, ("central", "provincial"))
    in_plan = (programme == "integrated") & (year <= 2023)
    in_plan |= (programme == "special") & superior & pov & (year <= 2020)
    in_plan |= (programme == "linkage") & superior & pov & (year <= 2023)
    return in_plan.copy(), in_plan


def _plant_fund_faults(world: _World, s: dict[tuple[str, str], np.ndarray]) -> None:
    """F3 and F4 faults, then keep every other county silent on F3 (growth >= 20%, 2017-2020)
    and F4 (integrated allocations never shrink, 2017-2023)."""
    ci = world.county_index

    def y(year: int) -> int:
        return year - FIRST_YEAR
    pov = world.counties["poverty"].to_numpy()

    def scale_streams(county: int, year: int, programmes, levels, factor: float) -> None:
        for p in programmes:
            for lv in levels:
                s[(p, lv)][county, y(year)] *= factor

    def total(county: int, year: int, programmes, levels) -> float:
        return sum(s[(p, lv)][county, y(year)] for p in programmes for lv in levels)

    def flagged(county: int, year: int) -> float:
        amount = total(county, year, ("integrated",), LEVELS)
        if pov[county]:
            amount += total(county, year, ("special",) if year <= 2020 else ("linkage",), ("central", "provincial"))
        return amount

    # F4: 上犹县 2018 integrated allocations 12% below 2017
    sy = ci(SHANGYOU)
    own = total(sy, 2018, ("integrated",), LEVELS)
    want = 0.88 * flagged(sy, 2017) - (flagged(sy, 2018) - own)
    scale_streams(sy, 2018, ("integrated",), LEVELS, want / own)
    # F3: 大余县 2019 city+county input +5%, 龙南市 2018 superior funds +8%
    groups = {"local": ("city", "county"), "superior": ("central", "provincial")}
    planted = {(ci(DAYU), 2019, "local"): 1.05, (ci(LONGNAN), 2018, "superior"): 1.08}
    for (county, year, group), growth in planted.items():
        levels = groups[group]
        now, before = total(county, year, POVERTY_PROGRAMMES, levels), total(county, year - 1, POVERTY_PROGRAMMES, levels)
        scale_streams(county, year, POVERTY_PROGRAMMES, levels, growth * before / now)
    # everyone else: F3 growth >= 20% (2017-2020) and F4 no shrinking (2017-2023)
    for county in range(world.n_counties):
        for year in range(2017, 2024):
            if county == sy and year == 2018:
                continue
            for group, levels in groups.items():
                if year > 2020 or (county, year, group) in planted:
                    continue
                now = total(county, year, POVERTY_PROGRAMMES, levels)
                before = total(county, year - 1, POVERTY_PROGRAMMES, levels)
                if now < 1.205 * before:
                    scale_streams(county, year, POVERTY_PROGRAMMES, levels, 1.205 * before / now)
            now, before = flagged(county, year), flagged(county, year - 1)
            if now < 1.005 * before:
                own = total(county, year, ("integrated",), LEVELS)
                scale_streams(county, year, ("integrated",), LEVELS, (own + 1.005 * before - now) / own)


# (share, issue window as (year offset, month, day) .. (year offset, month, day)) per batch
POVERTY_BATCHES = {
    "central": ((0.6, (-1, 11, 5), (-1, 12, 20)), (0.3, (0, 1, 10), (0, 2, 25)), (0.1, (0, 3, 1), (0, 3, 18))),
    "provincial": ((0.55, (-1, 12, 1), (-1, 12, 25)), (0.45, (0, 1, 15), (0, 2, 28))),
    "city": ((0.7, (0, 1, 5), (0, 1, 31)), (0.3, (0, 2, 1), (0, 2, 28))),
    "county": ((1.0, (0, 1, 5), (0, 2, 20)),),
}
SECTOR_BATCHES = {"city": ((1.0, (0, 2, 1), (0, 4, 30)),), "county": ((1.0, (0, 2, 15), (0, 5, 31)),)}
DOC_WORD = {"special": "农", "integrated": "农", "linkage": "农", "medical": "社", "education": "教",
            "roads": "建", "industry": "农"}


def _allocation_frame(world: _World) -> pd.DataFrame:
    streams = _streams(world)
    _plant_fund_faults(world, streams)
    rng = _rng(world, "allocations")
    c = world.counties
    rows = []
    for (programme, level), matrix in streams.items():
        batches = (POVERTY_BATCHES if programme in POVERTY_PROGRAMMES else SECTOR_BATCHES)[level]
        county_idx, year_idx = np.nonzero(matrix > 0)
        amount = matrix[county_idx, year_idx]
        for b, (share, start, end) in enumerate(batches):
            rows.append(pd.DataFrame({"county_idx": county_idx, "year": YEARS[year_idx], "programme": programme,
                                      "source_level": level, "batch": b, "amount": amount * share,
                                      "start_off": start[0], "start_m": start[1], "start_d": start[2],
                                      "end_off": end[0], "end_m": end[1], "end_d": end[2]}))
    a = pd.concat(rows, ignore_index=True)
    # one issue date per document: shared by all counties unless the county issues it
    issuer = np.where(a["source_level"] == "county", a["county_idx"].astype(str),
                      np.where(a["source_level"] == "city", "city", "province"))
    doc_key = _cat(issuer, "|", a["programme"], "|", a["source_level"], "|", a["year"].astype(str), "|",
                   a["batch"].astype(str))
    keys, inverse = np.unique(doc_key, return_inverse=True)
    first = np.unique(inverse, return_index=True)[1]
    k = a.iloc[first]
    start = _ymd(k["year"] + k["start_off"], k["start_m"], k["start_d"])
    end = _ymd(k["year"] + k["end_off"], k["end_m"], k["end_d"])
    doc_day = _next_workday(_uniform_days(rng, start, end))
    a["issued_on"] = doc_day[inverse]
    # document numbers count up per issuer and calendar year, in issue order
    doc = pd.DataFrame({"issuer": issuer[first], "day": doc_day, "doc_year": _year_of(doc_day)})
    doc = doc.sort_values(["issuer", "doc_year", "day"], kind="stable")
    gaps = rng.integers(1, 6, len(doc))
    doc["no"] = pd.Series(gaps, index=doc.index).groupby([doc["issuer"], doc["doc_year"]]).cumsum()
    a["doc_no"] = doc["no"].sort_index().to_numpy()[inverse]
    a["doc_year"] = _year_of(a["issued_on"].to_numpy())
    short = c["short"].to_numpy()[a["county_idx"].to_numpy()]
    word = a["programme"].map(DOC_WORD).to_numpy()
    prefix = np.where(a["source_level"].isin(["central", "provincial"]), _cat("赣财", word, "指"),
                      np.where(a["source_level"] == "city", _cat("赣市财", word, "指"), _cat(short, "财", word, "指")))
    a["document_no"] = _cat(prefix, "〔", a["doc_year"].astype(str), "〕", a["doc_no"].astype(str), "号")
    a["amount_fen"] = _round_to(a["amount"], 1000 * YUAN)
    a["county_code"] = c["code"].to_numpy()[a["county_idx"].to_numpy()]
    a["integrable"], a["integrated"] = _integrated_flags(
        world, a["programme"].to_numpy(), a["source_level"].to_numpy(), a["year"].to_numpy(),
        a["county_idx"].to_numpy())
    a = a.sort_values(["year", "county_idx", "programme", "source_level", "batch"], kind="stable")
    a = a.reset_index(drop=True)
    published = _next_workday(a["issued_on"].to_numpy().astype("datetime64[D]")
                              + rng.integers(3, 22, len(a)).astype("timedelta64[D]"))
    # planted F6: 定南县 2017 late, 南康区 2023 never
    published = published.astype("datetime64[D]")
    late = np.flatnonzero((a["county_code"] == DINGNAN) & (a["year"] == 2017))
    late = rng.choice(late, size=min(3, len(late)), replace=False)
    published[late] = a["issued_on"].to_numpy().astype("datetime64[D]")[late] + \
        rng.integers(40, 76, len(late)).astype("timedelta64[D]")
    never = np.flatnonzero((a["county_code"] == NANKANG) & (a["year"] == 2023) & (a["source_level"] == "county"))
    never = rng.choice(never, size=min(2, len(never)), replace=False)
    published[never] = np.datetime64("NaT")
    a["published_on"] = published
    a["id"] = np.arange(1, len(a) + 1)
    return a[["id", "year", "county_code", "programme", "source_level", "amount_fen", "document_no", "issued_on",
              "integrable", "integrated", "published_on", "county_idx", "batch"]]


# =============================================================================================
# Disbursements and projects
# =============================================================================================


def _pace(world: _World, alloc: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(share by 31 March, by 30 June, by year end) per allocation: one curve per county, level
    and year for poverty funds (seeds/000 item 13), a flatter one for sector funds."""
    rng = _rng(world, "pace")
    nc, ny = world.n_counties, len(YEARS)
    curves = {}
    for level in LEVELS:
        a = rng.uniform(0.58, 0.70, (nc, ny))
        b = rng.uniform(0.86, 0.94, (nc, ny))
        c = rng.uniform(0.975, 0.998, (nc, ny))
        curves[level] = (a, b, c)
    for (county, year), (levels, (a1, b1, c1)) in SLOW_PACE.items():
        ci, yi = world.county_index(county), year - FIRST_YEAR
        for level in levels:
            for arr, value in zip(curves[level], (a1, b1, c1), strict=True):
                arr[ci, yi] = value + rng.uniform(-0.01, 0.01)
    ci = alloc["county_idx"].to_numpy()
    yi = alloc["year"].to_numpy() - FIRST_YEAR
    level = alloc["source_level"].to_numpy()
    out = [np.empty(len(alloc)) for _ in range(3)]
    for lv in LEVELS:
        rows = level == lv
        for k in range(3):
            out[k][rows] = curves[lv][k][ci[rows], yi[rows]]
    sector = ~alloc["programme"].isin(POVERTY_PROGRAMMES).to_numpy()
    out[2][sector] = rng.uniform(0.93, 0.99, sector.sum())
    return out[0], out[1], out[2]


def _payments(world: _World, alloc: pd.DataFrame) -> pd.DataFrame:
    """Payments drawn on every allocation, paced by :func:`_pace`: each allocation's money is
    split exactly over three windows (to 31 March, to 30 June, to the year's end for poverty
    funds; thirds of the year after issue for sector funds), so the milestones of seeds/000
    item 13 hold at any scale; payments after LAST_DAY are dropped (2026 is in progress)."""
    rng = _rng(world, "payments")
    amount = alloc["amount_fen"].to_numpy().astype(np.float64)
    poverty = alloc["programme"].isin(POVERTY_PROGRAMMES).to_numpy()
    year = alloc["year"].to_numpy()
    k = np.maximum(np.where(poverty, 4, 2), np.round(amount / amount.sum() * DISBURSEMENTS_BASE * world.scale))
    a_share, b_share, completion = _pace(world, alloc)
    t0 = np.maximum(alloc["issued_on"].to_numpy().astype("datetime64[D]"), _ymd(year, 1, 1))
    t3 = _ymd(year, 12, 31)
    span = (t3 - t0).astype(int)
    t1 = np.where(poverty, _ymd(year, 3, 31), t0 + (0.35 * span).astype("timedelta64[D]"))
    t2 = np.where(poverty, _ymd(year, 6, 30), t0 + (0.65 * span).astype("timedelta64[D]"))
    shares = np.c_[np.where(poverty, a_share, 0.30 * completion),
                   np.where(poverty, b_share - a_share, 0.35 * completion),
                   np.where(poverty, completion - b_share, 0.35 * completion)]
    starts = np.c_[t0, t1 + 1, t2 + 1]
    ends = np.c_[t1, t2, t3]
    per_window = np.maximum(1, np.round(k[:, None] * shares / completion[:, None])).astype(np.int64)
    row = np.repeat(np.repeat(np.arange(len(alloc)), 3), per_window.ravel())
    window = np.repeat(np.tile(np.arange(3), len(alloc)), per_window.ravel())
    group = row * 3 + window
    w = rng.gamma(6.0, 1.0, len(row))
    w /= np.bincount(group, weights=w)[group]
    money = np.floor(amount[row] * shares[row, window] * w / YUAN) * YUAN
    start, end = starts[row, window], ends[row, window]
    paid = _uniform_days(rng, start, end)
    back = _previous_workday(paid)
    ahead = _next_workday(paid)
    paid = np.where(back >= start, back, np.where(ahead <= end, ahead, paid))  # a working day in the window
    keep = paid <= _day(LAST_DAY)
    p = pd.DataFrame({"alloc_row": row, "paid_on": paid, "amount_fen": money.astype(np.int64)})[keep]
    return p.sort_values(["alloc_row", "paid_on"], kind="stable").reset_index(drop=True)


def _category_probs(programme: np.ndarray, year: np.ndarray) -> np.ndarray:
    """(rows, categories) probabilities of the project category a payment goes to."""
    probs = np.zeros((len(programme), len(CATEGORIES)))
    poverty = np.isin(programme, POVERTY_PROGRAMMES)
    industry = np.select([programme == "special", programme == "integrated"],
                         [INDUSTRY_SHARE["special"], INDUSTRY_SHARE["integrated"]], 0.0)
    linkage = programme == "linkage"
    industry[linkage] = pd.Series(year[linkage]).map(LINKAGE_INDUSTRY_SHARE).to_numpy()
    mix = {k: v for k, v in POVERTY_MIX.items()}
    for cat, share in mix.items():
        s = np.full(len(programme), share)
        if cat == "relocation":
            s = np.where(year <= 2020, s, 0.0)
        probs[:, CAT[cat]] = np.where(poverty, s, 0.0)
    rest = probs.sum(axis=1, keepdims=True)
    probs = np.where(poverty[:, None], probs / np.where(rest > 0, rest, 1) * (1 - industry[:, None]), 0.0)
    probs[:, CAT["industry"]] += np.where(poverty, industry, 0.0)
    for prog, cat in SECTOR_CATEGORY.items():
        probs[programme == prog, CAT[cat]] = 1.0
    return probs


def _project_frames(world: _World, payments: pd.DataFrame, alloc: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Projects (the pool, seeds/004 (六)) and the disbursements paying them."""
    rng = _rng(world, "projects")
    p, d = _group_payments(world, rng, payments, alloc)
    p, d = _add_planted_projects(world, rng, p, d, alloc)
    p = pd.concat([p, _unfunded_projects(rng, p)], ignore_index=True)
    p = _describe_projects(world, rng, p)
    p["in_pool"] = _pool_membership(world, rng, p, d)
    p, d = _number_projects(world, p, d)
    project = p[["id", "code", "name", "county_code", "township_code", "village_code", "category", "budget_fen",
                 "status", "start_year", "end_year", "in_pool", "pool_entry_no", "paid", "last_paid", "funded",
                 "county_idx", "village_row"]]
    return project, _finish_disbursements(world, d)


def _group_payments(world: _World, rng: np.random.Generator, payments: pd.DataFrame,
                    alloc: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A project category per payment (by programme and year), then the payments of each county,
    year and category spread over that block's projects."""
    a_rows = payments["alloc_row"].to_numpy()
    programme = alloc["programme"].to_numpy()[a_rows]
    year = alloc["year"].to_numpy()[a_rows]
    county_idx = alloc["county_idx"].to_numpy()[a_rows]
    category = _choice_rows(rng, _category_probs(programme, year))
    block = (county_idx * 100 + (year - FIRST_YEAR)) * 100 + category
    blocks, block_inv, block_n = np.unique(block, return_inverse=True, return_counts=True)
    per_payment = world.n(FUNDED_PROJECTS_BASE) / len(payments)
    n_proj = np.maximum(1, np.round(block_n * per_payment)).astype(np.int64)
    local = np.floor(rng.random(len(payments)) * n_proj[block_inv]).astype(np.int64)
    keys, project_of_payment = np.unique(block_inv * 1_000_000 + local, return_inverse=True)
    p_block = blocks[keys // 1_000_000]
    p = pd.DataFrame({"county_idx": p_block // 10_000, "year": (p_block // 100) % 100 + FIRST_YEAR,
                      "cat": p_block % 100})
    p["paid"] = np.bincount(project_of_payment, weights=payments["amount_fen"].to_numpy(), minlength=len(p))
    p["last_paid"] = pd.Series(payments["paid_on"].to_numpy()).groupby(project_of_payment).max().to_numpy()
    p["funded"] = True
    d = pd.DataFrame({
        "project_row": project_of_payment, "allocation_id": alloc["id"].to_numpy()[a_rows],
        "county_idx": county_idx, "source_level": alloc["source_level"].to_numpy()[a_rows],
        "programme": programme, "paid_on": payments["paid_on"].to_numpy(),
        "amount_fen": payments["amount_fen"].to_numpy(),
    })
    return p, d


def _unfunded_projects(rng: np.random.Generator, funded: pd.DataFrame) -> pd.DataFrame:
    """Pool entries without money: planned for 2026, and a few cancelled ones of earlier years."""
    n = int(round(len(funded) * 0.055))
    extra = funded.iloc[np.sort(rng.choice(len(funded), size=n, replace=False))].copy()
    cancelled = rng.random(n) < 0.3
    extra["year"] = np.where(cancelled, rng.integers(FIRST_YEAR, 2026, n), 2026)
    extra["funded"] = False
    extra["paid"] = extra["paid"] * rng.uniform(0.6, 1.4, n)  # the budget asked for
    extra["status"] = np.where(cancelled, "cancelled", "planned")
    extra["last_paid"] = np.datetime64("NaT")
    return extra[extra["cat"] < CAT["image_project"]]


def _number_projects(world: _World, p: pd.DataFrame, d: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Ids by year and county, project codes and pool entry numbers per county and year."""
    order = np.lexsort((p["cat"].to_numpy(), p["county_idx"].to_numpy(), p["year"].to_numpy()))
    new_id = np.empty(len(p), dtype=np.int64)
    new_id[order] = np.arange(1, len(p) + 1)
    p = p.assign(id=new_id).sort_values("id").reset_index(drop=True)
    d = d.assign(project_id=new_id[d["project_row"].to_numpy()])
    seq = _rank_within(p["county_idx"].to_numpy() * 100 + p["year"].to_numpy() - FIRST_YEAR) + 1
    code = world.counties["code"].to_numpy()[p["county_idx"].to_numpy()]
    year = p["year"].astype(str)
    p["code"] = _cat(code, "-", year, "-", _zfill(seq, 5))
    p["pool_entry_no"] = np.where(p["in_pool"], _cat("XMK-", code, "-", year, "-", _zfill(seq, 4)), None)
    p["county_code"] = code
    p["category"] = np.array(CATEGORIES)[p["cat"].to_numpy()]
    p["start_year"] = p["year"]
    return p, d


def _add_planted_projects(world: _World, rng: np.random.Generator, p: pd.DataFrame, d: pd.DataFrame,
                          alloc: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """F5 (negative-list projects paid with integrated money), the legitimate county-town road
    paid from road funds, and Q1 (payments without an allocation)."""
    new_p, new_d = [], []
    plan = (
        (NINGDU, 2018, "image_project", "integrated", (2, 1)),  # 2 payments to an image project...
        (NINGDU, 2018, "office_building", "integrated", (1,)),  # ...and 1 to an office building
        (RUIJIN, 2022, "staff_allowance", "integrated", (2,)),
        (ZHANGGONG, 2019, "county_town_infra", "roads", (2,)),  # road funds: not a violation
    )
    for county, year, category, programme, payments in plan:
        ci = world.county_index(county)
        cands = np.flatnonzero((alloc["county_idx"] == ci).to_numpy() & (alloc["year"] == year).to_numpy()
                               & (alloc["programme"] == programme).to_numpy())
        a = alloc.iloc[rng.choice(cands)]
        for n in payments:
            row = len(p) + len(new_p)
            days = np.sort(_uniform_days(rng, np.full(n, _ymd(year, 5, 1)), np.full(n, _ymd(year, 9, 30))))
            days = _next_workday(days)
            money = _round_to(rng.uniform(30, 90, n) * WAN / world.scale, YUAN)
            new_p.append({"county_idx": ci, "year": year, "cat": CAT[category], "paid": float(money.sum()),
                          "last_paid": days.max(), "funded": True, "planted": category})
            for day, m in zip(days, money, strict=True):
                new_d.append({"project_row": row, "allocation_id": int(a["id"]), "county_idx": ci,
                              "source_level": a["source_level"], "programme": programme, "paid_on": day,
                              "amount_fen": int(m)})
    # Q1: 龙南市 2021, linkage payments to existing projects with no allocation behind them
    ci = world.county_index(LONGNAN)
    cands = np.flatnonzero((p["county_idx"] == ci).to_numpy() & (p["year"] == 2021).to_numpy())
    targets = rng.choice(cands, size=min(6, len(cands)), replace=len(cands) < 6)
    days = _next_workday(_uniform_days(rng, np.full(len(targets), _ymd(2021, 4, 1)),
                                       np.full(len(targets), _ymd(2021, 11, 30))))
    for target, day in zip(targets, days, strict=True):
        new_d.append({"project_row": int(target), "allocation_id": None, "county_idx": ci,
                      "source_level": "county", "programme": "linkage", "paid_on": day,
                      "amount_fen": int(_round_to(rng.uniform(10, 40) * WAN / world.scale, YUAN))})
    p = pd.concat([p.assign(planted=None), pd.DataFrame(new_p)], ignore_index=True)
    d = pd.concat([d, pd.DataFrame(new_d)], ignore_index=True)
    d["allocation_id"] = d["allocation_id"].astype("Int64")
    d["paid_on"] = d["paid_on"].astype("datetime64[s]")
    return p, d


def _describe_projects(world: _World, rng: np.random.Generator, p: pd.DataFrame) -> pd.DataFrame:
    """Location, name, budget and status of each project."""
    c, v = world.counties, world.villages
    n = len(p)
    cat = p["cat"].to_numpy()
    year = p["year"].to_numpy()
    ci = p["county_idx"].to_numpy()
    names = np.array(CATEGORIES)[cat]
    county_share = np.array([PROJECT_LOCATION.get(k, (1.0, 0.0))[0] for k in names])
    town_share = np.array([PROJECT_LOCATION.get(k, (1.0, 0.0))[1] for k in names])
    u = rng.random(n)
    at_county = u < county_share
    at_town = ~at_county & (u < county_share + town_share)
    village_row = _pick_villages(world, rng, ci, year)
    township_code = v["township_code"].to_numpy()[village_row].astype(object)
    village_code = v["code"].to_numpy()[village_row].astype(object)
    place = v["name"].to_numpy()[village_row].astype(object)
    village_code[at_county | at_town] = None
    # a township-level project sits in its village's township
    place[at_town] = v["township_name"].to_numpy()[village_row][at_town]
    township_code[at_county] = None
    place[at_county] = c["name"].to_numpy()[ci][at_county]
    word = np.empty(n, dtype=object)
    for k, words in PROJECT_WORDS.items():
        rows = names == k
        word[rows] = np.array(words, dtype=object)[rng.integers(0, len(words), rows.sum())]
    special_words = {"image_project": "县城广场景观提升工程", "office_building": "乡镇办公楼改造",
                     "staff_allowance": "村干部津补贴发放", "county_town_infra": "县城规划区道路改造"}
    for k, w in special_words.items():
        word[names == k] = w
        at_county[names == k] = True
    village_code[at_county] = None
    township_code[at_county] = None
    place[names == "county_town_infra"] = c["name"].to_numpy()[ci][names == "county_town_infra"]
    p["name"] = [f"{pl}{y}年{w}项目" for pl, y, w in zip(place, year, word, strict=True)]
    p["township_code"], p["village_code"] = township_code, village_code
    p["village_row"] = np.where(village_code == None, -1, village_row)  # noqa: E711
    status = p["status"].to_numpy().astype(object) if "status" in p else np.full(n, None, dtype=object)
    funded = p["funded"].to_numpy().astype(bool)
    done = np.select([year <= 2024, year == 2025], [rng.random(n) < 0.995, rng.random(n) < 0.85], rng.random(n) < 0.2)
    status[funded] = np.where(done[funded], "completed", "in_progress")
    status[funded & (cat >= CAT["image_project"])] = "in_progress"  # negative-list projects: not closed out
    p["status"] = status
    completed = status == "completed"
    paid = p["paid"].to_numpy()
    factor = np.where(completed, rng.uniform(1.0, 1.12, n), np.where(status == "in_progress",
                                                                      rng.uniform(1.3, 2.0, n), 1.0))
    p["budget_fen"] = _round_to(np.maximum(paid, WAN / world.scale) * factor, 100 * YUAN)
    last_year = np.where(pd.isna(p["last_paid"]), 0, pd.to_datetime(p["last_paid"]).dt.year.fillna(0)).astype(int)
    p["end_year"] = pd.array(np.where(completed, np.maximum(year, last_year), 0), dtype="Int64")
    p.loc[~completed, "end_year"] = pd.NA
    p["in_pool"] = True
    return p


def _finish_disbursements(world: _World, d: pd.DataFrame) -> pd.DataFrame:
    c = world.counties
    d = d.sort_values(["paid_on", "county_idx", "project_id"], kind="stable").reset_index(drop=True)
    paid = d["paid_on"].to_numpy().astype("datetime64[D]")
    d["paid_on"] = paid
    d["year"] = _year_of(paid)
    d["ym"] = d["year"] * 100 + _month_of(paid)
    d["county_code"] = c["code"].to_numpy()[d["county_idx"].to_numpy()]
    d["id"] = np.arange(1, len(d) + 1)
    d["voucher_no"] = _cat("PZ", d["year"].astype(str), _zfill(d["id"].to_numpy(), 8))
    return d[["id", "project_id", "allocation_id", "county_code", "source_level", "programme", "paid_on", "year",
              "ym", "amount_fen", "voucher_no"]]


def _pool_membership(world: _World, rng: np.random.Generator, p: pd.DataFrame, d: pd.DataFrame) -> np.ndarray:
    """Every project paid from poverty funds is in the project pool (seeds/004 (六)) except the
    planted Q2 fault; a few paid only from sector funds are the county's own, outside the pool."""
    rows = d["project_row"].to_numpy()
    programme = d["programme"].to_numpy()
    poverty_paid = np.zeros(len(p), bool)
    poverty_paid[rows[np.isin(programme, POVERTY_PROGRAMMES)]] = True
    special_paid = np.zeros(len(p), bool)
    special_paid[rows[programme == "special"]] = True
    in_pool = np.ones(len(p), bool)
    own = p["funded"].to_numpy(bool) & ~poverty_paid & (p["cat"].to_numpy() < CAT["image_project"])
    in_pool[own & (rng.random(len(p)) < 0.08)] = False
    q2 = np.flatnonzero(special_paid & (p["county_idx"].to_numpy() == world.county_index(HUICHANG))
                        & (p["year"].to_numpy() == 2017))
    in_pool[rng.choice(q2, size=min(3, len(q2)), replace=False)] = False
    return in_pool


# =============================================================================================
# Loans (信贷通) and risk-fund deposits
# =============================================================================================

HOUSEHOLD_TYPES = ("poor_household", "marginal_household", "farmer")
MONTH_WEIGHTS = np.array([0.04, 0.06, 0.13, 0.14, 0.12, 0.08, 0.07, 0.07, 0.08, 0.09, 0.07, 0.05])


@dataclass(frozen=True)
class _Segment:
    """Loans of one programme and borrower group in one year."""

    programme: str
    year: int
    group: str  # "household", "new_operator", "leading_enterprise" or "village_collective"
    rows: float  # at scale 1
    first_month: int = 1


def _loan_segments() -> list[_Segment]:
    """产业扶贫信贷通 2016-2020: 32.7万 households (seeds/001 一(四)); it carries on for 脱贫户 and
    带贫 operators in the transition.  农业产业振兴信贷通 from May 2020 (seeds/000 item 7)."""
    seg: list[_Segment] = []
    for year, share in zip(range(2016, 2021), (0.13, 0.22, 0.25, 0.22, 0.18), strict=True):
        seg.append(_Segment("industry_credit", year, "household", INDUSTRY_CREDIT_BORROWERS * share,
                            3 if year == 2016 else 1))
        for group, n in (("new_operator", 630), ("leading_enterprise", 90), ("village_collective", 180)):
            seg.append(_Segment("industry_credit", year, group, n * share, 3 if year == 2016 else 1))
    for year in range(2021, 2027):
        part = 10 / 12 if year == 2026 else 1.0
        for group, n in (("household", 1500), ("new_operator", 4000), ("leading_enterprise", 80),
                         ("village_collective", 300)):
            seg.append(_Segment("industry_credit", year, group, n * part))
    for year in range(2020, 2027):
        part = {2020: 8 / 12, 2026: 10 / 12}.get(year, 1.0) * 1.04 ** max(0, year - 2021)
        for group, n in (("household", 1200), ("new_operator", 1500), ("leading_enterprise", 300),
                         ("village_collective", 300)):
            seg.append(_Segment("revitalisation_credit", year, group, n * part, 5 if year == 2020 else 1))
    return seg


def _quota(rng: np.random.Generator, weights: np.ndarray, n: int, floor: int = 0) -> np.ndarray:
    """``n`` county indices in proportion to ``weights`` (largest remainders, ties at random),
    at least ``floor`` each, shuffled: shares stay true even when there are few rows to spread."""
    exact = floor + (n - floor * len(weights)) * weights / weights.sum()
    counts = np.floor(exact).astype(np.int64)
    remainder = exact - counts
    short = n - counts.sum()
    if short:
        counts[rng.choice(len(weights), size=short, replace=False, p=remainder / remainder.sum())] += 1
    return rng.permutation(np.repeat(np.arange(len(weights)), counts))


def _industry_probs(world: _World) -> np.ndarray:
    """(county, industry) probabilities: each county's signature industries (seeds/001 一(四))."""
    probs = np.tile(INDUSTRY_BASE, (world.n_counties, 1))
    for code, boosts in INDUSTRY_BOOST.items():
        ci = world.county_index(code)
        for industry, factor in boosts.items():
            probs[ci, INDUSTRIES.index(industry)] *= factor
    return probs / probs.sum(axis=1, keepdims=True)


def _loan_frame(world: _World) -> pd.DataFrame:
    """One row per loan and borrower: who, where, how much, when, and how it went."""
    rng = _rng(world, "loans")
    loans = _loan_rows(world, rng)
    loans["borrower_type"] = _borrower_types(rng, loans)
    loans["amount_yuan"] = _loan_amounts(rng, loans) * loans["money_factor"].to_numpy()
    _loan_dates(rng, loans)
    loans = loans.sort_values(["issued_on", "county_idx"], kind="stable").reset_index(drop=True)
    loans["id"] = np.arange(1, len(loans) + 1)
    _loan_outcomes(world, rng, loans)
    _loan_parties(world, rng, loans)
    _loan_money(world, rng, loans)
    code = world.counties["code"].to_numpy()[loans["county_idx"].to_numpy()]
    loans["county_code"] = code
    prefix = np.where(loans["programme"] == "industry_credit", "CYXD-", "ZXXD-")
    loans["contract_no"] = _cat(prefix, code, "-", loans["year"].astype(str), "-", _zfill(loans["id"], 7))
    return loans


def _loan_rows(world: _World, rng: np.random.Generator) -> pd.DataFrame:
    """The loans of every segment, spread over the counties by quota: poor households concentrate
    in the poverty counties and the industry credit goes on where it was after 2020; 于都县
    pushes lending in 2019-2020 (planted L1)."""
    c = world.counties
    rural = c["rural"].to_numpy().astype(float)
    pov = c["poverty"].to_numpy()
    campaign = rural * np.where(pov, 3.0, 0.8)
    push = campaign.copy()
    push[world.county_index(YUDU)] *= 2.2
    parts = []
    for seg in _loan_segments():
        wanted = seg.rows * world.scale
        # from 2020 every county lends every year (a floor at small scales; money kept the same)
        floor = 1 if seg.year >= 2020 and seg.group in ("household", "new_operator") else 0
        n = max(1, int(round(wanted)), floor * world.n_counties)
        if seg.programme == "revitalisation_credit":
            w = rural * np.where(pov, 1.3, 1.0) if seg.group == "household" else c["w_industry"].to_numpy()
        elif seg.group == "household" or seg.year >= 2021:
            w = push if seg.year in (2019, 2020) and seg.group == "household" else campaign
        else:
            w = c["w_industry"].to_numpy()
        parts.append(pd.DataFrame({"programme": seg.programme, "year": np.full(n, seg.year), "group": seg.group,
                                   "first_month": seg.first_month, "county_idx": _quota(rng, w, n, floor),
                                   "money_factor": min(1.0, wanted / n)}))
    return pd.concat(parts, ignore_index=True)


# Household borrower types (poor, marginal, farmer) by period: marginal households from 2019.
HOUSEHOLD_MIX = np.array([[0.94, 0.0, 0.06], [0.86, 0.09, 0.05], [0.6, 0.4, 0.0], [0.2, 0.3, 0.5]])


def _borrower_types(rng: np.random.Generator, loans: pd.DataFrame) -> np.ndarray:
    year = loans["year"].to_numpy()
    group = loans["group"].to_numpy()
    ic = loans["programme"].to_numpy() == "industry_credit"
    household = group == "household"
    period = np.select([ic & (year <= 2018), ic & (year <= 2020), ic], [0, 1, 2], 3)
    btype = group.astype(object)
    btype[household] = np.array(HOUSEHOLD_TYPES)[_choice_rows(rng, HOUSEHOLD_MIX[period[household]])]
    return btype


# (median industry credit, median revitalisation credit, min, max, step) in 万元 per borrower type
ORG_LOAN_SIZES = {"new_operator": (60, 80, 20, 300, 5), "leading_enterprise": (250, 220, 100, 2000, 50),
                  "village_collective": (25, 40, 10, 60, 5)}


def _loan_amounts(rng: np.random.Generator, loans: pd.DataFrame) -> np.ndarray:
    """Amounts in yuan at scale 1: households mostly 5万 (average ~5.6万, DOMAIN.md), more for the
    revitalisation credit; organisations log-normal around their median."""
    year = loans["year"].to_numpy()
    group = loans["group"].to_numpy()
    ic = loans["programme"].to_numpy() == "industry_credit"
    household = group == "household"
    amount = np.empty(len(loans))
    for rows, sizes, probs in (
        (household & ic & (year <= 2020), [2, 3, 5, 8, 10], [0.06, 0.12, 0.55, 0.17, 0.10]),
        (household & ic & (year >= 2021), [3, 5], [0.2, 0.8]),
        (household & ~ic, [10, 15, 20, 30], [0.35, 0.3, 0.2, 0.15]),
    ):
        amount[rows] = rng.choice(sizes, size=rows.sum(), p=probs) * 1e4
    for gname, (median_ic, median_rc, lo, hi, step) in ORG_LOAN_SIZES.items():
        rows = group == gname
        median = np.where(ic[rows], np.where(year[rows] >= 2021, median_ic * 7 / 6, median_ic), median_rc)
        raw = np.clip(median * np.exp(rng.normal(0, 0.5, rows.sum())), lo, hi)
        amount[rows] = np.maximum(lo, np.round(raw / step) * step) * 1e4
    return amount


# Term in years (1, 2, 3) by kind of borrower.
LOAN_TERMS = {"household_ic": [0.35, 0.15, 0.50], "household_rc": [0.5, 0.3, 0.2],
              "new_operator": [0.1, 0.15, 0.75], "leading_enterprise": [0.25, 0.3, 0.45],
              "village_collective": [0.3, 0.3, 0.4]}


def _loan_dates(rng: np.random.Generator, loans: pd.DataFrame) -> None:
    """Term, issue date (spring-heavy, working days, 2026 to October) and maturity."""
    n = len(loans)
    year = loans["year"].to_numpy()
    group = loans["group"].to_numpy()
    ic = loans["programme"].to_numpy() == "industry_credit"
    key = np.where(group == "household", np.where(ic, "household_ic", "household_rc"), group)
    term = np.empty(n, dtype=np.int64)
    for name, probs in LOAN_TERMS.items():
        rows = key == name
        term[rows] = rng.choice([1, 2, 3], size=rows.sum(), p=probs)
    month_w = np.tile(MONTH_WEIGHTS, (n, 1))
    month_w[np.arange(12)[None, :] < (loans["first_month"].to_numpy()[:, None] - 1)] = 0
    month_w[(year == 2026)[:, None] & (np.arange(12)[None, :] >= 10)] = 0
    month = _choice_rows(rng, month_w) + 1
    issued = _next_workday(_ymd(year, month, rng.integers(1, 32, n)))
    issued = np.where(issued > _day(LAST_DAY), _previous_workday(np.full(n, _day(LAST_DAY))), issued)
    issued = np.where(_year_of(issued) > year, _previous_workday(_ymd(year, 12, 31)), issued)
    loans["term"] = term
    loans["issued_on"] = issued
    loans["maturity_on"] = _add_years(issued, term)


def _loan_outcomes(world: _World, rng: np.random.Generator, loans: pd.DataFrame) -> None:
    """Repayment and status as last reported before TODAY: mostly repaid at maturity, about 1.6%
    overdue and 0.5% default among households (none among leading agribusinesses); 会昌县 much
    worse (planted L2), 安远县 more defaults."""
    n = len(loans)
    issued = loans["issued_on"].to_numpy().astype("datetime64[D]")
    maturity = loans["maturity_on"].to_numpy().astype("datetime64[D]")
    group = loans["group"].to_numpy()
    last = _day(LAST_DAY)
    p_over = np.select([group == "household", group == "new_operator", group == "village_collective"],
                       [0.016, 0.002, 0.002], 0.0)
    p_def = np.select([group == "household", group == "new_operator", group == "village_collective"],
                      [0.0035, 0.001, 0.0005], 0.0)
    county = loans["county_idx"].to_numpy()
    bad_county = county == world.county_index(HUICHANG)  # planted L2: poor collection, all borrowers
    p_over = np.where(bad_county, 0.07, p_over)
    p_def = np.where(bad_county, 0.015, p_def)
    p_def = np.where(county == world.county_index(ANYUAN), p_def * 2.5, p_def)
    u = rng.random(n)
    defaulted = u < p_def
    overdue = ~defaulted & (u < p_def + p_over)
    matured = maturity <= last
    span = (maturity - issued).astype(int)
    early = rng.random(n) < 0.05
    early_day = issued + (60 + np.floor(rng.random(n) * np.maximum(span - 60, 1))).astype("timedelta64[D]")
    early &= early_day <= last
    status = np.full(n, "current", dtype=object)
    repaid = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    on_time = ~early & matured & ~defaulted & ~overdue
    repaid[early] = early_day[early]
    status[early] = "repaid"
    repaid[on_time] = np.minimum(maturity[on_time] - rng.integers(0, 11, on_time.sum()).astype("timedelta64[D]"), last)
    status[on_time] = "repaid"
    # overdue: recent ones still overdue; older ones repaid late or turned into defaults
    late = ~early & matured & overdue
    window = np.where(bad_county, 1095, 365).astype("timedelta64[D]")  # 会昌县 collects slowly
    recent = late & (maturity > last - window)
    status[recent] = "overdue"
    old = late & ~recent
    cured = old & (rng.random(n) < 0.85)
    cure_day = maturity + rng.integers(30, 301, n).astype("timedelta64[D]")
    repaid[cured] = np.minimum(cure_day[cured], last)
    status[cured] = "repaid"
    lost = (old & ~cured) | (~early & matured & defaulted)
    compensated = maturity + rng.integers(150, 541, n).astype("timedelta64[D]")
    status[lost] = "default"
    paid_off = lost & (compensated <= last)  # compensated from the risk fund: closed, status stays default
    repaid[paid_off] = compensated[paid_off]
    loans["status"] = status
    loans["repaid_on"] = repaid


def _person_names(rng: np.random.Generator, male: np.ndarray) -> np.ndarray:
    n = len(male)
    rank = np.arange(len(SURNAMES))
    sw = 1 / (rank + 3.0)
    surname = np.array(SURNAMES)[rng.choice(len(SURNAMES), size=n, p=sw / sw.sum())]
    m_chars, f_chars = np.array(list(GIVEN_MALE)), np.array(list(GIVEN_FEMALE))
    first = np.where(male, m_chars[rng.integers(0, len(m_chars), n)], f_chars[rng.integers(0, len(f_chars), n)])
    second = np.where(male, m_chars[rng.integers(0, len(m_chars), n)], f_chars[rng.integers(0, len(f_chars), n)])
    two = rng.random(n) < 0.75
    return _cat(surname, first, np.where(two, second, ""))


_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)


def _id_numbers(rng: np.random.Generator, area: np.ndarray, birth: np.ndarray, male: np.ndarray) -> np.ndarray:
    """Valid 18-digit resident ID numbers (GB 11643: area, birth date, sequence with the sex in its
    last digit, ISO 7064 MOD 11-2 check character), unique within the call."""
    n = len(area)
    y, m = _year_of(birth), _month_of(birth)
    d = (birth - birth.astype("datetime64[M]").astype("datetime64[D]")).astype(int) + 1
    head = np.stack([area // 10 ** (5 - k) % 10 for k in range(6)]
                    + [y // 10 ** (3 - k) % 10 for k in range(4)]
                    + [m // 10, m % 10, d // 10, d % 10], axis=1)
    head_key = (area.astype(np.int64) * 100_000_000 + y * 10_000 + m * 100 + d) * 1000
    seq = rng.integers(0, 100, n) * 10 + rng.integers(0, 5, n) * 2 + male  # odd for men
    for _ in range(50):
        dup = pd.Series(head_key + seq).duplicated().to_numpy()
        if not dup.any():
            break
        seq[dup] = rng.integers(0, 100, dup.sum()) * 10 + rng.integers(0, 5, dup.sum()) * 2 + male[dup]
    else:
        raise RuntimeError("could not draw unique ID numbers")
    digits = np.c_[head, seq // 100, seq // 10 % 10, seq % 10]
    check = _ID_CHECK[(digits @ _ID_WEIGHTS) % 11]
    codes = np.c_[(digits + 48).astype(np.uint8), check]
    return np.ascontiguousarray(codes).view("S18").ravel().astype("U18")


_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = np.full(128, -1)
_USCC_VALUE[np.frombuffer(_USCC_CHARS.encode(), dtype=np.uint8)] = np.arange(31)
_USCC_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)])
_ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])


def _credit_codes(rng: np.random.Generator, kind: np.ndarray, area: np.ndarray) -> np.ndarray:
    """Unified social credit codes (GB 32100): 2 registration characters (``91`` company, ``92``
    individual business, ``93`` cooperative, ``N2`` village collective), area, organisation code
    with its GB 11714 check, and the MOD 31 check character."""
    n = len(kind)
    reg = np.frombuffer("".join(kind).encode(), dtype=np.uint8).reshape(n, 2)
    area_digits = np.stack([area // 10 ** (5 - k) % 10 for k in range(6)], axis=1) + 48
    body = rng.integers(0, 10, (n, 8))
    org_check = 11 - (body @ _ORG_WEIGHTS) % 11
    org_char = np.where(org_check == 10, ord("X"), np.where(org_check == 11, 48, org_check + 48))
    chars = np.c_[reg, area_digits, body + 48, org_char].astype(np.uint8)
    check = (31 - (_USCC_VALUE[chars] @ _USCC_WEIGHTS) % 31) % 31
    codes = np.c_[chars, np.frombuffer(_USCC_CHARS.encode(), dtype=np.uint8)[check]]
    return np.ascontiguousarray(codes).view("S18").ravel().astype("U18")


def _county_short(name: str) -> str:
    return {"蓉江新区": "蓉江", "赣州经开区": "赣州经开"}.get(name, name[:-1] if len(name) == 3 else name)


def _loan_parties(world: _World, rng: np.random.Generator, loans: pd.DataFrame) -> None:
    """Village, industry, bank, borrower name and ID number of each loan."""
    v = world.villages
    n = len(loans)
    county = loans["county_idx"].to_numpy()
    group = loans["group"].to_numpy()
    in_village = np.isin(group, ("household", "village_collective")) | (rng.random(n) < 0.7)
    village = np.where(in_village, _pick_villages(world, rng, county, loans["year"].to_numpy(), boost=2.0), -1)
    loans["village_code"] = np.where(village >= 0, v["code"].to_numpy()[np.maximum(village, 0)], None)
    loans["bank"] = _loan_banks(world, rng, county)
    industry = _choice_rows(rng, _industry_probs(world)[county])
    names = np.empty(n, dtype=object)
    ids = np.empty(n, dtype=object)
    area = world.counties["id_area"].to_numpy()
    rows = np.flatnonzero(group == "household")  # one loan per household (seeds/001 一(四))
    male = rng.random(len(rows)) < 0.78
    issued = loans["issued_on"].to_numpy().astype("datetime64[D]")[rows]
    names[rows] = _person_names(rng, male)
    ids[rows] = _id_numbers(rng, area[county[rows]], issued - (rng.uniform(22, 62, len(rows)) * 365.25)
                            .astype("timedelta64[D]"), male)
    rows = np.flatnonzero(group == "village_collective")  # the collective economic organisation
    codes = _credit_codes(_rng(world, "collective-codes"), np.full(len(v), "N2"),
                          area[v["county_idx"].to_numpy()])
    names[rows] = _cat(v["name"].to_numpy()[village[rows]], "股份经济合作社")
    ids[rows] = codes[village[rows]]
    for gname in ("new_operator", "leading_enterprise"):
        rows = np.flatnonzero(group == gname)
        names[rows], ids[rows], industry[rows] = _organisations(world, rng, gname, county[rows])
    loans["industry"] = np.array(INDUSTRIES)[industry]
    loans["borrower_name"] = names
    loans["borrower_id_no"] = ids


def _loan_banks(world: _World, rng: np.random.Generator, county: np.ndarray) -> np.ndarray:
    """Each county's rural commercial bank (农商银行) plus two to four others."""
    bank_sets = np.zeros((world.n_counties, len(BANKS)))
    bank_sets[:, 0] = 1
    for ci in range(world.n_counties):
        bank_sets[ci, 1 + rng.choice(len(BANKS) - 1, size=rng.integers(2, 5), replace=False)] = 1
    return np.array(BANKS)[_choice_rows(rng, bank_sets[county] * BANK_WEIGHTS)]


def _organisations(world: _World, rng: np.random.Generator, kind: str,
                   county: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(name, credit code, industry) of the borrowing operator or enterprise of each loan, drawn
    from a pool per county so that some borrow again in later years."""
    c = world.counties
    counts = np.bincount(county, minlength=world.n_counties)
    pool = np.maximum(3, np.round(counts / 1.5)).astype(np.int64)
    member = np.floor(rng.random(len(county)) * pool[county]).astype(np.int64)
    keys, inverse = np.unique(county * 1_000_000 + member, return_inverse=True)
    k_county = keys // 1_000_000
    k = len(keys)
    k_industry = _choice_rows(rng, _industry_probs(world)[k_county])
    word = np.array(INDUSTRY_WORDS)[k_industry]
    brand = np.array(BRANDS)[rng.integers(0, len(BRANDS), k)]
    short = np.array([_county_short(x) for x in c["name"]])[k_county]
    if kind == "leading_enterprise":
        registration = np.full(k, "91")
        name = _cat(np.where(rng.random(k) < 0.7, short, "江西"), brand, word,
                    np.where(rng.random(k) < 0.8, "有限公司", "股份有限公司"))
    else:
        farm = rng.random(k) < 0.4
        registration = np.where(farm, "92", "93")
        town = _random_township(world, rng, k_county)["name"].str[:2].to_numpy()
        owner = _person_names(rng, rng.random(k) < 0.85)
        trade = np.where(word == "养殖", "养殖", _cat(word, "种植"))
        name = np.where(farm, _cat(short, owner, "家庭农场"), _cat(town, brand, trade, "专业合作社"))
    codes = _credit_codes(rng, registration, c["id_area"].to_numpy()[k_county])
    return name[inverse], codes[inverse], k_industry[inverse]


def _loan_money(world: _World, rng: np.random.Generator, loans: pd.DataFrame) -> None:
    """Amount (divided by the scale), rate, interest subsidy (贴息) and guarantee fee (担保费,
    city:county 5:5 for the revitalisation credit, seeds/000 item 8)."""
    n = len(loans)
    year = loans["year"].to_numpy()
    ic = loans["programme"].to_numpy() == "industry_credit"
    household = loans["group"].to_numpy() == "household"
    btype = loans["borrower_type"].to_numpy()
    amount = _round_to(loans["amount_yuan"].to_numpy() * YUAN / world.scale, YUAN)
    base = pd.Series(year).map(BASE_RATE).to_numpy()
    spread = np.where(household & ic, 0.0, np.round(rng.uniform(0.0, 1.2, n) / 0.05) * 0.05)
    rate = np.round(base + spread, 2)
    interest = amount * rate / 100 * loans["term"].to_numpy()
    subsidy_share = np.where(ic, np.where(household, np.where(btype == "farmer", 0.0, 1.0),
                                          np.where(year >= 2021, 0.5, 0.0)), 0.5)
    fee = np.where(ic, 0, _round_to(amount * 0.01 * loans["term"].to_numpy(), YUAN))
    city = fee // 2
    county_share = fee - city
    # planted L3: 信丰县 2022 split 3:7; 龙南市 2024 shares that do not add up
    for code, year_, n_bad, mode in ((XINFENG, 2022, 5, "split"), (LONGNAN, 2024, 2, "sum")):
        rows = np.flatnonzero(~ic & (loans["county_idx"].to_numpy() == world.county_index(code)) & (year == year_))
        rows = rng.choice(rows, size=min(n_bad, len(rows)), replace=False)
        if mode == "split":
            city[rows] = _round_to(fee[rows] * 0.3, YUAN)
            county_share[rows] = fee[rows] - city[rows]
        else:
            county_share[rows] = np.maximum(fee[rows] - city[rows] - 100 * YUAN, 0)
    loans["amount_fen"] = amount
    loans["rate_pct"] = rate
    loans["interest_subsidy_fen"] = _round_to(interest * subsidy_share, YUAN)
    loans["guarantee_fee_fen"] = fee
    loans["guarantee_bearer"] = "city_county"
    loans["guarantee_city_fen"] = city
    loans["guarantee_county_fen"] = county_share


def _outstanding(loans: pd.DataFrame, n_counties: int, days: np.ndarray) -> np.ndarray:
    """(county, day) outstanding amount in fen: issued by the day and not repaid by then."""
    issued = loans["issued_on"].to_numpy().astype("datetime64[D]")
    repaid = loans["repaid_on"].to_numpy().astype("datetime64[D]")
    amount = loans["amount_fen"].to_numpy().astype(np.float64)
    county = loans["county_idx"].to_numpy()
    out = np.zeros((n_counties, len(days)))
    for j, day in enumerate(days):
        live = (issued <= day) & (np.isnat(repaid) | (repaid > day))
        out[:, j] = np.bincount(county[live], weights=amount[live], minlength=n_counties)
    return out


def _deposit_frame(world: _World, loans: pd.DataFrame) -> pd.DataFrame:
    """Risk-fund deposits (seeds/000 item 7: banks lend up to 8x): 23.9亿 for 产业扶贫信贷通 in
    2016-2020 (seeds/001 一(四)) and 10亿 for 农业产业振兴信贷通 in 2020-2021, topped up as its
    lending grows.  Each county's cover follows its own lending (see :func:`_fund_path`).
    Planted: 于都县 (L1 above 8 in 2019-2020, topped up in March 2021), 崇义县 (idle, ~1.5x) and
    蓉江新区 (Q5: no revitalisation deposit)."""
    rng = _rng(world, "deposits")
    nc = world.n_counties
    yudu, chongyi, rongjiang = (world.county_index(k) for k in (YUDU, CHONGYI, RONGJIANG))
    year_ends = np.minimum(_ymd(YEARS, 12, 31), _day(TODAY))
    ic = loans[loans["programme"] == "industry_credit"]
    out = _outstanding(ic, nc, year_ends)
    planted = np.zeros(nc, bool)
    planted[[yudu, chongyi]] = True
    cum_ic = np.zeros((nc, len(YEARS)))
    push = np.array([5.5, 6.5, 7.5, 9.4, 9.8])  # ever thinner cover, then the 2019-2020 lending push
    cum_ic[yudu, :5] = np.maximum.accumulate(out[yudu, :5] / push)
    later = out[yudu, 5:]
    cum_ic[yudu, 5:] = max(cum_ic[yudu, 4], np.sqrt(later.max() / 7.5 * later.min() / 2.4))
    cum_ic[chongyi, :5] = np.maximum.accumulate(out[chongyi, :5] / 1.5)
    cum_ic[chongyi, 5:] = cum_ic[chongyi, 4]
    normal = ~planted
    target = 3.6 * np.exp(rng.normal(0, 0.06, (normal.sum(), 1)))
    total = TARGETS_YI["industry_credit_risk_fund"] * YI - cum_ic[planted, -1].sum()
    cum_ic[normal] = _fund_path(out[normal], target, total, at=len(YEARS) - 1, flat_from=2020 - FIRST_YEAR)
    rc = loans[loans["programme"] == "revitalisation_credit"]
    out = _outstanding(rc, nc, year_ends)
    lends = out[:, -1] > 0
    lends[rongjiang] = False  # planted Q5
    cum_rc = np.zeros((nc, len(YEARS)))
    first = 2020 - FIRST_YEAR
    target = 4.0 * np.exp(rng.normal(0, 0.06, (lends.sum(), 1)))
    cum_rc[np.ix_(lends, np.arange(first, len(YEARS)))] = _fund_path(
        out[lends, first:], target, TARGETS_YI["revitalisation_risk_fund_2020_2021"] * YI, at=1)
    frame = pd.concat([_deposit_rows(world, rng, ic, "industry_credit", cum_ic),
                       _deposit_rows(world, rng, rc, "revitalisation_credit", cum_rc)], ignore_index=True)
    frame = frame.sort_values(["deposited_on", "county_code", "programme", "bank"], kind="stable")
    frame = frame.reset_index(drop=True)
    frame["id"] = np.arange(1, len(frame) + 1)
    return frame[["id", "county_code", "programme", "bank", "deposited_on", "amount_fen", "document_no"]]


def _fund_path(out: np.ndarray, target: np.ndarray, total: float, at: int,
               flat_from: int | None = None) -> np.ndarray:
    """Cumulative deposits per (county, year) for outstanding loans ``out`` (county, year).

    The path never falls (money is deposited, not withdrawn), keeps each county's leverage
    out/deposits inside [2.4, 7.5] wherever its lending allows it (rule L1 warns above 8 and
    notes idle money below 2), follows ``out / target`` in between, and the counties' sum in
    year ``at`` is ``total`` (one common multiplier, found by bisection).  With ``flat_from``
    the path stops following lending after that year: later deposits only top up a county
    whose lending outgrew 7.5x its cover.
    """
    future_min = np.minimum.accumulate(out[:, ::-1], axis=1)[:, ::-1]
    lo = np.maximum.accumulate(out, axis=1) / 7.5
    hi = np.maximum(future_min / 2.4, lo)  # no room at all: rather idle than over-lent
    base = np.maximum.accumulate(out / target, axis=1)
    if flat_from is not None:
        base[:, flat_from:] = base[:, flat_from:flat_from + 1]

    def path(multiplier: float) -> np.ndarray:
        return np.clip(multiplier * base, lo, hi)

    low, high = 0.0, 1.0
    while path(high)[:, at].sum() < total and high < 1e6:
        high *= 2
    for _ in range(60):
        middle = (low + high) / 2
        low, high = (middle, high) if path(middle)[:, at].sum() < total else (low, middle)
    d = path(high)
    reached = d[:, at].sum()
    return d * (total / reached) if reached > 0 else d


def _deposit_rows(world: _World, rng: np.random.Generator, loans: pd.DataFrame, programme: str,
                  cumulative: np.ndarray) -> pd.DataFrame:
    """Deposits of the yearly increments of ``cumulative`` (county x year, fen), split over the
    county's banks by their lending, dated before the county's first loan of the year."""
    nc = world.n_counties
    bank_idx = pd.Categorical(loans["bank"], categories=BANKS).codes
    share = np.zeros((nc, len(BANKS)))
    np.add.at(share, (loans["county_idx"].to_numpy(), bank_idx), loans["amount_fen"].to_numpy())
    share /= np.maximum(share.sum(axis=1, keepdims=True), 1)
    step = np.diff(np.c_[np.zeros(nc), cumulative], axis=1)
    first_loan = loans.groupby("county_idx")["issued_on"].min()
    first_step = np.argmax(step > 1000 * YUAN, axis=1)
    out = []
    for ci, yi in zip(*np.nonzero(step > 1000 * YUAN), strict=True):
        year = int(YEARS[yi])
        banks = np.flatnonzero(share[ci] > 0)
        amounts = _round_to(step[ci, yi] * share[ci, banks], WAN)
        start, end = (_ymd(year, 4, 1), _ymd(year, 4, 25)) if (programme, year) == ("revitalisation_credit", 2020) \
            else (_ymd(year, 1, 8), _ymd(year, 3, 20))
        day = _next_workday(_uniform_days(rng, np.full(len(banks), start), np.full(len(banks), end)))
        first = first_loan.get(ci)
        if yi == first_step[ci] and first is not None:  # the first deposit precedes the first loan (Q5)
            day = np.minimum(day, _previous_workday(np.array([np.datetime64(first, "D") - 3], dtype="datetime64[D]"))[0])
        no = rng.integers(1, 90)
        out.append(pd.DataFrame({"county_code": world.counties["code"].iat[ci], "programme": programme,
                                 "bank": np.array(BANKS)[banks], "deposited_on": day, "amount_fen": amounts,
                                 "document_no": f"赣市财金〔{year}〕{no}号"}))
    frame = pd.concat(out, ignore_index=True)
    return frame[frame["amount_fen"] > 0]


# =============================================================================================
# Assets (seeds/003 八)
# =============================================================================================

SUBTYPE_BY_CATEGORY = {
    "industry": {"pv_station": 0.15, "workshop": 0.12, "orchard": 0.22, "greenhouse": 0.22, "cold_storage": 0.09,
                 "livestock": 0.12, "equipment": 0.08},
    "roads": {"road": 1.0}, "water": {"water_supply": 1.0}, "power": {"pv_station": 1.0},
    "education": {"school": 1.0}, "health": {"clinic": 1.0}, "housing": {"housing": 1.0},
    "relocation": {"housing": 1.0}, "employment": {"workshop": 1.0}, "other": {"road": 0.5, "equipment": 0.5},
}
SUBTYPE_CLASS = {"road": "public_welfare", "water_supply": "public_welfare", "school": "public_welfare",
                 "clinic": "public_welfare", "pv_station": "operating", "workshop": "operating",
                 "orchard": "operating", "greenhouse": "operating", "cold_storage": "operating",
                 "housing": "household", "livestock": "household", "equipment": "household"}
SUBTYPE_ZH = {"road": "通组公路", "water_supply": "集中供水工程", "school": "村小校舍", "clinic": "村卫生室",
              "pv_station": "村级光伏电站", "workshop": "扶贫车间", "orchard": "产业果园", "greenhouse": "蔬菜大棚",
              "cold_storage": "冷库", "housing": "安居房", "livestock": "能繁母牛", "equipment": "农机具"}
INCOME_YIELD = {"pv_station": 0.09, "workshop": 0.06, "orchard": 0.05, "greenhouse": 0.06, "cold_storage": 0.07}


def _asset_frame(world: _World, project: pd.DataFrame) -> pd.DataFrame:
    """One asset per completed, paid-for project; planted A1, A2 (owner), A4, Q3 and Q4."""
    rng = _rng(world, "assets")
    c, v = world.counties, world.villages
    p = project[(project["status"] == "completed") & project["funded"]].copy()
    # planted Q3: 全南县 2019, four completed projects without an asset
    q3 = np.flatnonzero((p["county_code"] == QUANNAN).to_numpy() & (p["start_year"] == 2019).to_numpy())
    p = p.drop(p.index[rng.choice(q3, size=min(4, len(q3)), replace=False)])
    n = len(p)
    subtype = np.empty(n, dtype=object)
    for cat, mix in SUBTYPE_BY_CATEGORY.items():
        rows = (p["category"] == cat).to_numpy()
        subtype[rows] = rng.choice(list(mix), size=rows.sum(), p=np.array(list(mix.values())))
    a = pd.DataFrame({"project_id": p["id"].to_numpy(), "county_idx": p["county_idx"].to_numpy(),
                      "village_code": p["village_code"].to_numpy(), "township_code": p["township_code"].to_numpy(),
                      "subtype": subtype})
    a["value_fen"] = _round_to(p["paid"].to_numpy() * rng.uniform(0.85, 1.0, n), YUAN)
    last_paid = p["last_paid"].to_numpy().astype("datetime64[D]")
    a["formed_on"] = np.minimum(last_paid + rng.integers(10, 91, n).astype("timedelta64[D]"), _day(LAST_DAY))
    # planted Q4: assets found in the 2021 asset census with no source project
    extra = []
    for code, k in ((CHONGYI, 5), (DINGNAN, 3)):
        ci = world.county_index(code)
        vil = rng.choice(np.flatnonzero(v["county_idx"].to_numpy() == ci), size=k)
        extra.append(pd.DataFrame({
            "project_id": pd.NA, "county_idx": ci, "village_code": v["code"].to_numpy()[vil],
            "township_code": v["township_code"].to_numpy()[vil],
            "subtype": rng.choice(["road", "water_supply"], size=k),
            "value_fen": _round_to(rng.uniform(20, 120, k) * WAN / world.scale, YUAN),
            "formed_on": _uniform_days(rng, np.full(k, _day("2016-03-01")), np.full(k, _day("2019-12-31"))),
        }))
    a = pd.concat([a, *extra], ignore_index=True)
    a["project_id"] = a["project_id"].astype("Int64")
    n = len(a)
    a["asset_class"] = a["subtype"].map(SUBTYPE_CLASS)
    _asset_custody(world, rng, a)
    a["status"] = np.where((_year_of(a["formed_on"].to_numpy().astype("datetime64[D]")) <= 2021)
                           & (rng.random(n) < 0.006), "disposed", "in_use")
    a = a.sort_values(["formed_on", "county_idx"], kind="stable").reset_index(drop=True)
    a["id"] = np.arange(1, n + 1)
    _plant_asset_faults(world, rng, a)
    formed = a["formed_on"].to_numpy().astype("datetime64[D]")
    code = c["code"].to_numpy()[a["county_idx"].to_numpy()]
    seq = _rank_within(a["county_idx"].to_numpy())
    a["code"] = _cat("ZC-", code, "-", _year_of(formed).astype(str), "-", _zfill(seq + 1, 5))
    a["county_code"] = code
    place = _place_of(world, a["village_code"].to_numpy(), a["township_code"].to_numpy(), a["county_idx"].to_numpy())
    label = a["subtype"].map(SUBTYPE_ZH).to_numpy().astype(object)
    above_village = a["village_code"].isna().to_numpy()
    label[above_village & (a["subtype"] == "clinic").to_numpy()] = "卫生院"
    label[above_village & (a["subtype"] == "school").to_numpy()] = "中心小学"
    a["name"] = _cat(place, label)
    return a


def _place_of(world: _World, village_code: np.ndarray, township_code: np.ndarray, county_idx: np.ndarray) -> np.ndarray:
    v_names = dict(zip(world.villages["code"], world.villages["name"], strict=True))
    t_names = dict(zip(world.townships["code"], world.townships["name"], strict=True))
    c_names = world.counties["name"].to_numpy()
    return np.array([v_names[vc] if isinstance(vc, str) else t_names[tc] if isinstance(tc, str) else c_names[ci]
                     for vc, tc, ci in zip(village_code, township_code, county_idx, strict=True)])


def _asset_custody(world: _World, rng: np.random.Generator, a: pd.DataFrame) -> None:
    """Owner (产权) and custodian (管护主体) by class (seeds/003 八)."""
    n = len(a)
    cls = a["asset_class"].to_numpy()
    sub = a["subtype"].to_numpy()
    village = a["village_code"].to_numpy()
    has_village = np.array([isinstance(x, str) for x in village])
    place = _place_of(world, village, a["township_code"].to_numpy(), a["county_idx"].to_numpy())
    county = world.counties["name"].to_numpy()[a["county_idx"].to_numpy()]
    owner = np.where(cls == "household", "household",
                     np.where(has_village & (rng.random(n) < 0.88), "collective", "other"))
    county_body = pd.Series(sub).map({"road": "交通运输局", "water_supply": "水利局", "school": "教育体育局",
                                      "clinic": "卫生健康委员会"}).fillna("农业农村局").to_numpy()
    public = np.where(has_village, np.where(sub == "clinic", _cat(place, "卫生室"),
                                            np.where(sub == "school", _cat(place, "小学"), _cat(place, "村民委员会"))),
                      _cat(county, county_body))
    brand = np.array(BRANDS)[rng.integers(0, len(BRANDS), n)]
    operating = np.where(owner == "collective", _cat(place, "股份经济合作社"),
                         _cat(np.array([_county_short(x) for x in county]), brand, "农业发展有限公司"))
    custodian = np.select([cls == "public_welfare", cls == "operating"], [public, operating], "受益农户自行管护")
    a["owner"] = owner
    a["custodian"] = custodian


def _plant_asset_faults(world: _World, rng: np.random.Generator, a: pd.DataFrame) -> None:
    """A1 安远县 (no custodian), A2 寻乌县 (no owner), A4 兴国县/石城县 idle and 上犹县 damaged."""
    live = (a["status"] != "disposed").to_numpy()
    county = a["county_idx"].to_numpy()
    cls = a["asset_class"].to_numpy()

    def pick(code: str, asset_class: str, k: int) -> np.ndarray:
        rows = np.flatnonzero(live & (county == world.county_index(code)) & (cls == asset_class)
                              & a["project_id"].notna().to_numpy())
        return rows[rng.choice(len(rows), size=min(k, len(rows)), replace=False)] if len(rows) else rows

    a.loc[pick(ANYUAN, "public_welfare", 5), "custodian"] = None
    a.loc[pick(XUNWU, "operating", 4), "owner"] = None
    a.loc[pick(XINGGUO, "operating", 6), "status"] = "idle"
    a.loc[pick(SHICHENG, "operating", 4), "status"] = "idle"
    a.loc[pick(SHANGYOU, "public_welfare", 3), "status"] = "damaged"
    # A2: 会昌县, five operating assets formed before 2023 lose their 2023 income row
    rows = np.flatnonzero(live & (county == world.county_index(HUICHANG)) & (cls == "operating")
                          & (_year_of(a["formed_on"].to_numpy().astype("datetime64[D]")) < 2023))
    a["skip_income_year"] = 0
    a.loc[rows[rng.choice(len(rows), size=min(5, len(rows)), replace=False)], "skip_income_year"] = 2023


def _asset_income_frame(world: _World, assets: pd.DataFrame) -> pd.DataFrame:
    """Yearly income of live operating assets, formed year (if formed by June) to 2025; PV stations
    also report 2026 to September (monthly grid settlement).  Planted A2 (会昌县 2023 gap) and
    A3 (于都县 2024, 兴国县 2022)."""
    rng = _rng(world, "asset-income")
    a = assets
    rows = np.flatnonzero((a["asset_class"] == "operating").to_numpy() & (a["status"] != "disposed").to_numpy())
    formed = a["formed_on"].to_numpy().astype("datetime64[D]")[rows]
    f_year, f_month = _year_of(formed), _month_of(formed)
    subtype = a["subtype"].to_numpy()[rows]
    first = np.where(f_month <= 6, f_year, f_year + 1)
    last = np.where(subtype == "pv_station", 2026, 2025)
    last = np.where(formed > _day("2026-06-30"), 2025, last)
    count = np.maximum(last - first + 1, 0)
    asset_row = np.repeat(rows, count)
    year = np.repeat(first, count) + _rank_within(asset_row)
    sub = a["subtype"].to_numpy()[asset_row]
    value = a["value_fen"].to_numpy()[asset_row].astype(np.float64)
    part = np.where(year == _year_of(a["formed_on"].to_numpy().astype("datetime64[D]")[asset_row]),
                    (13 - _month_of(a["formed_on"].to_numpy().astype("datetime64[D]")[asset_row])) / 12, 1.0)
    part = np.where(year == 2026, 9 / 12, part)
    yield_ = pd.Series(sub).map(INCOME_YIELD).to_numpy()
    spread = np.where(sub == "pv_station", rng.uniform(0.9, 1.1, len(sub)), rng.uniform(0.7, 1.3, len(sub)))
    income = _round_to(value * yield_ * spread * part, YUAN)
    pv = sub == "pv_station"
    to_hh_share = np.where(pv, rng.uniform(0.4, 0.6, len(sub)), rng.uniform(0.1, 0.35, len(sub)))
    to_coll_share = np.where(pv, 1 - to_hh_share, rng.uniform(0.5, 0.85, len(sub)) * (1 - to_hh_share))
    to_households = _round_to(income * to_hh_share, YUAN)
    to_collective = np.where(pv, income - to_households, _round_to(income * to_coll_share, YUAN))
    to_other = income - to_households - to_collective
    f = pd.DataFrame({"asset_id": a["id"].to_numpy()[asset_row], "county_idx": a["county_idx"].to_numpy()[asset_row],
                      "year": year, "income_fen": income, "to_collective_fen": to_collective,
                      "to_households_fen": to_households, "to_other_fen": to_other, "subtype": sub})
    f = f[f["year"] != a["skip_income_year"].to_numpy()[asset_row]].reset_index(drop=True)
    for code, year_, k, mode in ((YUDU, 2024, 2, "nothing"), (XINGGUO, 2022, 1, "short")):
        cand = np.flatnonzero((f["county_idx"] == world.county_index(code)).to_numpy() & (f["year"] == year_).to_numpy()
                              & (f["subtype"] == "pv_station").to_numpy())
        if len(cand) < k:  # make sure the county has PV stations to plant the fault on
            other = np.flatnonzero((f["county_idx"] == world.county_index(code)).to_numpy()
                                   & (f["year"] == year_).to_numpy())
            cand = np.r_[cand, other[: k - len(cand)]]
            f.loc[f["asset_id"].isin(f.loc[cand, "asset_id"]), "subtype"] = "pv_station"
            assets.loc[assets["id"].isin(f.loc[cand, "asset_id"]), "subtype"] = "pv_station"
        chosen = cand[rng.choice(len(cand), size=min(k, len(cand)), replace=False)]
        if mode == "nothing":
            f.loc[chosen, ["to_collective_fen", "to_households_fen", "to_other_fen"]] = 0
        else:
            income = f.loc[chosen, "income_fen"].to_numpy()
            f.loc[chosen, "to_collective_fen"] = _round_to(income * 0.5, YUAN)
            f.loc[chosen, "to_households_fen"] = _round_to(income * 0.3, YUAN)
            f.loc[chosen, "to_other_fen"] = 0
    f = f.sort_values(["year", "asset_id"], kind="stable").reset_index(drop=True)
    f["id"] = np.arange(1, len(f) + 1)
    f["county_code"] = world.counties["code"].to_numpy()[f["county_idx"].to_numpy()]
    return f


# =============================================================================================
# Households under monitoring (seeds/003 二) and their assistance
# =============================================================================================

CATEGORY_CODES = ("unstable", "marginal", "sudden_hardship")
CAUSES = ("illness", "disability", "education", "disaster", "accident", "labour", "industry", "employment", "other")
CAUSE_PROBS = {
    "ordinary": np.array([0.32, 0.15, 0.10, 0.05, 0.04, 0.14, 0.06, 0.12, 0.02]),
    "sudden_hardship": np.array([0.45, 0.0, 0.0, 0.25, 0.30, 0.0, 0.0, 0.0, 0.0]),
}
CHANNELS = ("self_report", "cadre_visit", "big_data")
MEASURES = ("industry", "employment", "dibao", "tekun", "temporary_relief", "medical", "education", "housing")
MEASURE_NOTES = {
    "industry": ("产业奖补", "发展特色种养业奖补", "产业帮扶资金入股分红"),
    "employment": ("开发乡村公益性岗位", "就业帮扶车间务工", "务工交通补助"),
    "dibao": ("纳入农村低保",), "tekun": ("纳入特困人员供养",), "temporary_relief": ("临时救助",),
    "medical": ("医疗救助及大病保险倾斜",), "education": ("教育资助（雨露计划）",), "housing": ("农村危房改造补助",),
}


def _household_frame(world: _World, dibao: np.ndarray) -> pd.DataFrame:
    """60,000 x scale households, 40% of them monitored from 2021 (seeds/003 二)."""
    rng = _rng(world, "households")
    c = world.counties
    n = world.n(HOUSEHOLDS_BASE)
    m = int(round(n * MONITORED_SHARE))
    w = c["w_households"].to_numpy()
    county = rng.choice(world.n_counties, size=n, p=w / w.sum())
    monitored = np.zeros(n, bool)
    monitored[rng.choice(n, size=m, replace=False)] = True
    h = pd.DataFrame({"county_idx": county, "monitored": monitored})
    h["village_row"] = _pick_villages(world, rng, county, np.full(n, 2021))
    h["members"] = rng.choice(np.arange(1, 7), size=n, p=[0.12, 0.22, 0.22, 0.20, 0.14, 0.10])
    h["labour_capable"] = rng.random(n) < np.where(monitored, 0.62, 0.85)
    _monitoring_dates(world, rng, h)
    _plant_household_faults(world, rng, h)
    _household_income(world, rng, h, dibao)
    _household_people(world, rng, h)
    h = h.sort_values(["county_idx", "village_code", "found_on"], kind="stable", na_position="first")
    h = h.reset_index(drop=True)
    h["id"] = np.arange(1, n + 1)
    seq = _rank_within(h["village_row"].to_numpy()) + 1
    sep = np.where(c["zone"].to_numpy()[h["county_idx"].to_numpy()], "-", "")
    h["code"] = _cat(h["village_code"].to_numpy(), sep, _zfill(seq, 4))
    return h


def _monitoring_dates(world: _World, rng: np.random.Generator, h: pd.DataFrame) -> None:
    """Found 2021-2026; identified and entered within 15 official working days; risk eliminated
    6-24 months after identification for most."""
    n = len(h)
    mon = h["monitored"].to_numpy()
    year = rng.choice(np.arange(2021, 2027), size=n, p=[0.22, 0.18, 0.16, 0.16, 0.16, 0.12])
    found = _uniform_days(rng, _ymd(year, 1, 1), np.minimum(_ymd(year, 12, 31), _day(LAST_DAY)))
    found = _next_workday(found)
    found = np.where(found > _day(LAST_DAY), _previous_workday(np.full(n, _day(LAST_DAY))), found)
    n1 = rng.integers(3, 13, n)
    identified, _ = add_workdays_array(found, n1)
    entered, _ = add_workdays_array(found, np.minimum(n1 + rng.integers(0, 4, n), 15))
    last = _day(LAST_DAY)
    eliminate = rng.random(n) < 0.78
    eliminated = identified + rng.integers(183, 731, n).astype("timedelta64[D]")
    h["found_on"] = _dates_or_nat(found, mon)
    h["identified_on"] = _dates_or_nat(identified, mon & (identified <= last))
    h["entered_on"] = _dates_or_nat(entered, mon & (entered <= last))
    h["risk_eliminated_on"] = _dates_or_nat(eliminated, mon & eliminate & (eliminated <= last) & (identified <= last))
    h["returned_to_poverty_on"] = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    # kept by triggers from the measures, which come later: filled once the load ends
    # (fundwatch.data.summaries.suspended rebuilds them with the summaries)
    h["first_measure_on"] = np.full(n, np.datetime64("NaT"), dtype="datetime64[D]")
    h["first_measure_days"] = pd.array([None] * n, dtype="Int64")
    category = rng.choice(len(CATEGORY_CODES), size=n, p=[0.35, 0.45, 0.20])
    sudden = category == 2
    cause = np.where(sudden, rng.choice(len(CAUSES), size=n, p=CAUSE_PROBS["sudden_hardship"]),
                     rng.choice(len(CAUSES), size=n, p=CAUSE_PROBS["ordinary"]))
    h["category"] = np.where(mon, np.array(CATEGORY_CODES)[category], None)
    h["cause"] = np.where(mon, np.array(CAUSES)[cause], None)
    h["channel"] = np.where(mon, np.array(CHANNELS)[rng.choice(3, size=n, p=[0.2, 0.5, 0.3])], None)
    h["planted"] = ""


def _plant_household_faults(world: _World, rng: np.random.Generator, h: pd.DataFrame) -> None:
    """H1 (安远县, 宁都县), H2 (寻乌县 2022, 南康区 2025 late; 于都县 2024 and 2026 open), H3 (石城县 2023,
    大余县 2025) and H4 (兴国县 2022, 宁都县 2024, 会昌县 2025)."""
    county = h["county_idx"].to_numpy()
    mon = h["monitored"].to_numpy()
    taken = np.zeros(len(h), bool)

    def pick(code: str, k: int, monitored: bool) -> np.ndarray:
        rows = np.flatnonzero((county == world.county_index(code)) & (mon == monitored) & ~taken)
        rows = rows[rng.choice(len(rows), size=min(k, len(rows)), replace=False)]
        taken[rows] = True
        return rows

    def refind(rows: np.ndarray, start: str, end: str) -> np.ndarray:
        day = _next_workday(_uniform_days(rng, np.full(len(rows), _day(start)), np.full(len(rows), _day(end))))
        h.loc[rows, "found_on"] = day
        return day

    for code, k in ((ANYUAN, 6), (NINGDU, 3)):
        h.loc[pick(code, k, False), "planted"] = "H1"
    for code, year, k in ((XUNWU, 2022, 8), (NANKANG, 2025, 5)):
        rows = pick(code, k, True)
        found = refind(rows, f"{year}-03-01", f"{year}-10-31")
        late, _ = add_workdays_array(found, rng.integers(18, 31, len(rows)))
        ident, _ = add_workdays_array(found, rng.integers(12, 16, len(rows)))
        h.loc[rows, "identified_on"], h.loc[rows, "entered_on"] = ident, late
        cleared = late + np.timedelta64(300, "D")
        h.loc[rows, "risk_eliminated_on"] = _dates_or_nat(cleared, cleared <= _day(LAST_DAY))
        h.loc[rows, "planted"] = "H2"
    rows = pick(YUDU, 5, True)
    refind(rows, "2026-09-01", "2026-09-20")
    h.loc[rows, ["identified_on", "entered_on", "risk_eliminated_on"]] = np.datetime64("NaT")
    h.loc[rows, "planted"] = "H2-open"
    for code, year, k in ((SHICHENG, 2023, 6), (DAYU, 2025, 3)):
        rows = pick(code, k, True)
        found = refind(rows, f"{year}-02-01", f"{year}-09-30")
        ident, _ = add_workdays_array(found, rng.integers(3, 10, len(rows)))
        entered, _ = add_workdays_array(found, 12)
        h.loc[rows, "identified_on"], h.loc[rows, "entered_on"] = ident, entered
        h.loc[rows, "risk_eliminated_on"] = np.datetime64("NaT")
        h.loc[rows, "planted"] = "H3"
    for code, year, k in ((XINGGUO, 2022, 2), (NINGDU, 2024, 2), (HUICHANG, 2025, 1)):
        rows = pick(code, k, True)
        found = refind(rows, f"{year}-04-01", f"{year}-08-31")
        ident, _ = add_workdays_array(found, 5)
        entered, _ = add_workdays_array(found, 8)
        h.loc[rows, "identified_on"], h.loc[rows, "entered_on"] = ident, entered
        h.loc[rows, "returned_to_poverty_on"] = ident
        h.loc[rows, "risk_eliminated_on"] = np.datetime64("NaT")
        h.loc[rows, ["category", "cause"]] = ("unstable", "illness")
        h.loc[rows, "planted"] = "H4"
    # 于都县 2024: three cases found in the week before the Dragon Boat holiday (10 June) still not
    # identified on 30 June (overdue in working days), one found on 12 June due within 3 working
    # days; all four are entered in July, the first three late (the transition page's clock).
    rows = pick(YUDU, 4, True)
    found = np.array([_day(d) for d in ("2024-06-03", "2024-06-04", "2024-06-05", "2024-06-12")])
    found = found[:len(rows)]
    entered, _ = add_workdays_array(found, np.array([20, 19, 18, 14])[:len(rows)])
    h.loc[rows, "found_on"] = found
    h.loc[rows, "identified_on"], h.loc[rows, "entered_on"] = entered, entered
    h.loc[rows, ["risk_eliminated_on", "returned_to_poverty_on"]] = np.datetime64("NaT")
    h.loc[rows, "planted"] = "H2-open"
    for col in ("found_on", "identified_on", "entered_on", "risk_eliminated_on", "returned_to_poverty_on"):
        h[col] = pd.to_datetime(h[col]).to_numpy().astype("datetime64[D]")


def _household_income(world: _World, rng: np.random.Generator, h: pd.DataFrame, dibao: np.ndarray) -> None:
    """Per-capita income against the alert line, 1.2 x the county's dibao standard (seeds/003 二)."""
    n = len(h)
    county = h["county_idx"].to_numpy()
    mon = h["monitored"].to_numpy()
    found = h["found_on"].to_numpy().astype("datetime64[D]")
    elim = h["risk_eliminated_on"].to_numpy().astype("datetime64[D]")
    eliminated = ~np.isnat(elim)
    year = np.where(rng.random(n) < 0.9, 2025, 2024)
    year = np.where(mon, np.maximum(2020, np.where(np.isnat(found), 2025, _year_of(found)) - 1), year)
    year = np.where(eliminated, np.minimum(2025, np.where(eliminated, _year_of(elim), 2025)), year)
    planted = h["planted"].to_numpy()
    year = np.where(planted == "H1", 2025, year)
    kf = np.flatnonzero((county == world.county_index(JINGKAI)) & ~mon & (planted == ""))
    year[kf[:2]] = 2024  # Q6 needs households with a 2024 income in 赣州经开区
    alert = 1.2 * dibao[county, year - FIRST_YEAR]
    ratio = np.exp(rng.normal(np.log(2.2), 0.35, n)).clip(1.25, 6.0)
    ratio = np.where(mon, rng.uniform(0.6, 1.5, n), ratio)
    ratio = np.where(eliminated, rng.uniform(1.3, 2.6, n), ratio)
    ratio = np.where(np.isin(planted, ("H1", "H4", "H2-open")), rng.uniform(0.75, 1.15, n), ratio)
    h["income_year"] = year
    h["income_per_capita_fen"] = _round_to(alert * ratio, YUAN)
    # the five checks: two assurances, three guarantees and drinking water
    identified = ~np.isnat(h["identified_on"].to_numpy().astype("datetime64[D]"))
    cause = h["cause"].to_numpy()
    checked = ~mon | identified
    at_risk = mon & identified & ~eliminated
    for col, weak, p_weak in (("food_clothing_ok", None, 0.99), ("schooling_ok", "education", 0.75),
                              ("medical_ok", "illness", 0.80), ("housing_ok", "disaster", 0.70),
                              ("water_ok", None, 0.98)):
        p_ok = np.where(at_risk & (cause == weak), p_weak, np.where(at_risk, 0.99, 1.0))
        ok = rng.random(n) < p_ok
        unchecked = ~checked | (~mon & (rng.random(n) < 0.02))
        h[col] = pd.array(np.where(unchecked, None, ok), dtype="boolean")


def _household_people(world: _World, rng: np.random.Generator, h: pd.DataFrame) -> None:
    """Head of household: name, ID number (county area code), village and township."""
    v = world.villages
    n = len(h)
    male = rng.random(n) < 0.8
    birth = _uniform_days(rng, np.full(n, _day("1941-01-01")), np.full(n, _day("1995-12-31")))
    h["head_name"] = _person_names(rng, male)
    h["head_id_no"] = _id_numbers(rng, world.counties["id_area"].to_numpy()[h["county_idx"].to_numpy()], birth, male)
    row = h["village_row"].to_numpy()
    h["village_code"] = v["code"].to_numpy()[row]
    h["township_code"] = v["township_code"].to_numpy()[row]
    h["county_code"] = world.counties["code"].to_numpy()[h["county_idx"].to_numpy()]


def _measure_frame(world: _World, households: pd.DataFrame, dibao: np.ndarray) -> pd.DataFrame:
    """1-3 measures per identified household, by case (seeds/003 二): the first within 25 days of
    identification, none after the risk was eliminated; planted H3 households get none."""
    rng = _rng(world, "measures")
    h = households
    ident = h["identified_on"].to_numpy().astype("datetime64[D]")
    rows = np.flatnonzero(~np.isnat(ident) & (h["planted"] != "H3").to_numpy())
    n = len(rows)
    k = rng.choice([1, 2, 3], size=n, p=[0.45, 0.35, 0.20])
    score = np.full((n, len(MEASURES)), 0.3)
    col = {m: i for i, m in enumerate(MEASURES)}
    labour = h["labour_capable"].to_numpy()[rows]
    members = h["members"].to_numpy()[rows]
    cause = h["cause"].to_numpy()[rows]
    category = h["category"].to_numpy()[rows]
    score[labour, col["industry"]] += 3
    score[labour, col["employment"]] += 3
    score[~labour, col["dibao"]] += 4
    score[~labour, col["tekun"]] += np.where(members[~labour] == 1, 4, 1.5)
    score[category == "sudden_hardship", col["temporary_relief"]] += 5
    for c_name, boosts in {"illness": {"medical": 4}, "accident": {"medical": 3, "temporary_relief": 2},
                           "education": {"education": 4}, "disaster": {"housing": 3, "temporary_relief": 3},
                           "disability": {"dibao": 3}, "labour": {"dibao": 2, "employment": 1},
                           "industry": {"industry": 3}, "employment": {"employment": 3}}.items():
        for measure, plus in boosts.items():
            score[cause == c_name, col[measure]] += plus
    score += rng.gumbel(0, 1, score.shape)
    ranked = np.argsort(-score, axis=1)
    hh = np.repeat(rows, k)
    pos = _rank_within(hh)
    kind = ranked[np.repeat(np.arange(n), k), pos]
    first = ident[hh] + rng.integers(1, 26, len(hh)).astype("timedelta64[D]")
    later = rng.integers(0, 201, len(hh)).astype("timedelta64[D]")
    started = np.where(pos == 0, first, first + later)
    elim = h["risk_eliminated_on"].to_numpy().astype("datetime64[D]")[hh]
    keep = (started <= _day(LAST_DAY)) & (np.isnat(elim) | (started <= elim))
    hh, kind, started = hh[keep], kind[keep], started[keep]
    kinds = np.array(MEASURES)[kind]
    county = h["county_idx"].to_numpy()[hh]
    yr = np.minimum(_year_of(started), LAST_YEAR) - FIRST_YEAR
    dibao_yuan = dibao[county, yr] / YUAN
    m_members = h["members"].to_numpy()[hh]
    lo_hi = {"industry": (2000, 8000), "employment": (1000, 3000), "temporary_relief": (1000, 10000),
             "medical": (2000, 30000), "education": (1000, 5000), "housing": (15000, 40000)}
    amount = np.zeros(len(hh))
    for kind_name, (lo, hi) in lo_hi.items():
        sel = kinds == kind_name
        amount[sel] = rng.uniform(lo, hi, sel.sum())
    amount = np.where(kinds == "dibao", m_members * dibao_yuan, amount)
    amount = np.where(kinds == "tekun", m_members * dibao_yuan * 1.3, amount)
    note = np.empty(len(hh), dtype=object)
    for kind_name, notes in MEASURE_NOTES.items():
        sel = kinds == kind_name
        note[sel] = np.array(notes, dtype=object)[rng.integers(0, len(notes), sel.sum())]
    f = pd.DataFrame({"household_id": h["id"].to_numpy()[hh], "county_code": h["county_code"].to_numpy()[hh],
                      "kind": kinds, "started_on": started,
                      "amount_fen": _round_to(amount * YUAN / world.scale, YUAN), "note": note})
    f = f.sort_values(["started_on", "household_id"], kind="stable").reset_index(drop=True)
    f["id"] = np.arange(1, len(f) + 1)
    # kept by triggers (the earliest of a household's measures of a kind): filled once the load
    # ends (fundwatch.data.summaries.suspended rebuilds it with the summaries)
    f["first_of_kind"] = False
    return f
