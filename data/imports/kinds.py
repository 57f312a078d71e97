"""The importable tables: their columns, natural keys, and the checks that need the database.

Each :class:`Kind` is one template (``fundwatch template KIND``).  Its ``finish`` turns the parsed
records into rows of the target table: regions and references resolved, the importer's scope
enforced, cross-column rules checked (seeds cited beside them).  Policy faults that the rules
engine reports as warnings (a guarantee fee split other than 5:5, money idle too long ...) are
*not* refused here: the data must be able to show them.  What is refused is data that cannot be
true or cannot be used: negative money, a payment above what was allocated, a date order that
cannot happen, a reference to nothing.

Natural keys (``key``) make an import idempotent: a row whose key exists is compared and updated
only where it differs; a row never seen is inserted; nothing is ever deleted by an import.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Table

from .. import vocab as V
from ..models import (
    Allocation, Asset, AssetIncome, AssistanceMeasure, DibaoStandard, Disbursement, Household, Loan, Project,
    RiskFundDeposit, Score,
)
from .context import Context, Record
from .fields import Field
from .identity import is_valid_id, is_valid_uscc


@dataclass(frozen=True)
class Kind:
    """One importable table (see the module docstring)."""

    name: str
    zh: str
    en: str
    table: Table
    fields: tuple[Field, ...]
    key: tuple[str, ...]
    lookup: str
    columns: dict[str, str]
    finish: Callable[[Context, Sequence[Record]], list[dict[str, Any]]]
    note_zh: str = ""
    note_en: str = ""
    what: dict[str, str] = field(default_factory=dict)

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def title(self, lang: str = "zh") -> str:
        return self.en if lang == "en" else self.zh

    def insert_defaults(self) -> dict[str, Any]:
        """Columns of absent optional fields and the value a new row gets for them."""
        return {self.columns[f.name]: f.default for f in self.fields
                if f.default is not None and f.name in self.columns}


def _copy(kind: Kind, record: Record, row: dict[str, Any]) -> dict[str, Any]:
    """Copy the fields stored as they are (``kind.columns``) that the file has; a blank cell of a
    field with a default takes the default."""
    for f in kind.fields:
        column = kind.columns.get(f.name)
        if column is not None and f.name in record:
            value = record[f.name]
            row[column] = f.default if value is None and f.default is not None else value
    row["_record"] = record
    return row


def _order(ctx: Context, record: Record, kind: Kind, earlier: str, later: str) -> None:
    """``later`` may not be before ``earlier`` (both optional dates)."""
    a, b = record.get(earlier), record.get(later)
    if a is not None and b is not None and b < a:
        f_early, f_late = kind.field(earlier), kind.field(later)
        ctx.error("date_order", record, f_late, later={"zh": f_late.zh, "en": f_late.name},
                  earlier={"zh": f_early.zh, "en": f_early.name}, earlier_value=a.isoformat())


def _reason(zh: str, en: str) -> dict[str, str]:
    return {"reason": {"zh": zh, "en": en}}


# --------------------------------------------------------------------------------------------
# Columns shared by several templates
# --------------------------------------------------------------------------------------------

def _county(note_zh: str = "县级单位的名称或 6 位区划代码", note_en: str = "county name or 6-digit division code") -> Field:
    return Field("county", "县（市、区）", "county", required=True, example="于都县", note_zh=note_zh, note_en=note_en,
                 aliases=("县", "县区", "县市区", "county_code", "所属县"))


def _money(name: str, zh: str, required: bool = True, example: Any = None, **extra: Any) -> Field:
    return Field(name, zh, "money", required=required, example=example,
                 note_zh="金额，单位在表头注明（元或万元）；可带千分位", note_en="amount; unit in the header (元 or 万元)",
                 **extra)


def _vocab(name: str, zh: str, vocab, required: bool = True, **extra: Any) -> Field:
    terms = "、".join(t.zh for t in vocab.values())
    return Field(name, zh, "vocab", required=required, vocab=vocab, example=next(iter(vocab.values())).zh,
                 note_zh=f"填写以下之一：{terms}", note_en="one of: " + ", ".join(vocab), **extra)


def _date(name: str, zh: str, required: bool = True, event: bool = True, example: str = "2024-03-31",
          **extra: Any) -> Field:
    return Field(name, zh, "date", required=required, event=event, example=example,
                 note_zh="日期，如 2024-03-31、2024/3/31、2024年3月31日 或 20240331"
                         + ("；不能晚于今天" if event else ""),
                 note_en="a date such as 2024-03-31" + ("; not after today" if event else ""), **extra)


def _bool(name: str, zh: str, default: bool | None, **extra: Any) -> Field:
    return Field(name, zh, "bool", default=default, example="是", note_zh="填「是」或「否」",
                 note_en="是/否 (yes/no)", **extra)


# --------------------------------------------------------------------------------------------
# allocations
# --------------------------------------------------------------------------------------------

ALLOCATION_FIELDS = (
    _county(),
    Field("year", "年度", "year", required=True, example=2024, note_zh="资金所属预算年度", note_en="budget year"),
    _vocab("source_level", "资金级次", V.SOURCE_LEVELS, aliases=("级次", "资金来源")),
    _vocab("programme", "资金项目", V.PROGRAMMES, aliases=("资金类别", "资金名称")),
    _money("amount", "下达金额", example="1,200,000.00", positive=True, aliases=("金额",)),
    Field("document_no", "文号", "text", required=True, limit=64, example="于财农指〔2024〕3号",
          note_zh="下达资金的文件文号", note_en="document number of the allocation", aliases=("指标文号", "下达文号")),
    _date("issued_on", "下达日期", example="2024-01-20"),
    _bool("integrable", "纳入整合范围", False, aliases=("可整合",)),
    _bool("integrated", "已整合", False, aliases=("已纳入整合方案",)),
    _date("published_on", "公开公示日期", required=False, example="2024-02-05"),
)


def _finish_allocations(ctx: Context, records: Sequence[Record]) -> list[dict[str, Any]]:
    kind = KINDS["allocations"]
    out = []
    for r in records:
        row = {"county_code": ctx.county(r, kind.field("county"))}
        year, issued = r.get("year"), r.get("issued_on")
        if year is not None and issued is not None and not year - 1 <= issued.year <= year:
            ctx.error("inconsistent", r, "issued_on", **_reason(
                f"{year} 年度资金的下达日期应在 {year - 1} 年或 {year} 年内（可提前下达）",
                f"funds of {year} are issued in {year - 1} (in advance) or {year}"))
        if r.get("integrated") and r.get("integrable") is False:
            ctx.error("inconsistent", r, "integrated", **_reason(
                "只有纳入整合范围的资金才能整合（seeds/000 item 4）", "only integrable funds can be integrated"))
        _order(ctx, r, kind, "issued_on", "published_on")
        out.append(_copy(kind, r, row))
    return out


# --------------------------------------------------------------------------------------------
# projects
# --------------------------------------------------------------------------------------------

PROJECT_FIELDS = (
    Field("code", "项目编号", "code", required=True, limit=32, example="360731-2024-00001",
          note_zh="项目库编号或本县项目编号，全市唯一", note_en="project-pool number, unique in the city", aliases=("项目代码",)),
    Field("name", "项目名称", "text", required=True, limit=128, example="车溪乡坳脑村脐橙基地提升项目",
          note_zh="项目全称", note_en="project name"),
    _county(),
    Field("township", "乡镇", "township", example="车溪乡", note_zh="乡镇名称或 9 位代码；可空（县级项目）",
          note_en="township name or 9-digit code; blank for a county-wide project"),
    Field("village", "村", "village", example="坳脑村", note_zh="行政村名称或 12 位代码；可空",
          note_en="village name or 12-digit code; may be blank", aliases=("行政村",)),
    _vocab("category", "项目类别", V.PROJECT_CATEGORIES),
    _money("budget", "预算金额", example="850000", aliases=("项目预算", "总投资")),
    _vocab("status", "项目状态", V.PROJECT_STATUSES),
    Field("start_year", "开工年度", "year", required=True, example=2024, note_zh="开工（或计划开工）年度",
          note_en="year work starts"),
    Field("end_year", "完工年度", "year", example=2024, note_zh="完工年度；可空", note_en="year work ended; may be blank"),
    _bool("in_pool", "已入库", True, aliases=("入库",)),
    Field("pool_entry_no", "入库编号", "code", limit=32, example="RK-2024-0001", note_zh="项目库入库编号；可空",
          note_en="pool entry number; may be blank"),
)


def _place(ctx: Context, kind: Kind, r: Record, county: str | None) -> tuple[str | None, str | None]:
    """Township and village of a row, each inside its parent (both optional)."""
    township = village = None
    if county is not None and r.get("township") is not None:
        township = ctx.region(r, kind.field("township"), "township", parent=county)
    if county is not None and r.get("village") is not None and not (r.get("township") and township is None):
        village = ctx.region(r, kind.field("village"), "village", parent=township or county)
    return township, village


def _finish_projects(ctx: Context, records: Sequence[Record]) -> list[dict[str, Any]]:
    kind = KINDS["projects"]
    out = []
    for r in records:
        county = ctx.county(r, kind.field("county"))
        township, village = _place(ctx, kind, r, county)
        row: dict[str, Any] = {"county_code": county}
        if "township" in r:
            row["township_code"] = township
        if "village" in r:
            row["village_code"] = village
        if village is not None and township is None:  # no township column, or a blank one
            row["township_code"] = ctx.places()[village].parent
        start, end = r.get("start_year"), r.get("end_year")
        if start is not None and end is not None and end < start:
            ctx.error("date_order", r, "end_year", later={"zh": "完工年度", "en": "end_year"},
                      earlier={"zh": "开工年度", "en": "start_year"}, earlier_value=str(start))
        if r.get("status") == "completed" and "end_year" in r and not r.written("end_year"):
            ctx.error("inconsistent", r, "end_year", **_reason("已完工的项目要填完工年度",
                                                               "a completed project needs its end year"))
        out.append(_copy(kind, r, row))
    return out


# --------------------------------------------------------------------------------------------
# disbursements
# --------------------------------------------------------------------------------------------

DISBURSEMENT_FIELDS = (
    _county(),
    Field("project_code", "项目编号", "code", required=True, limit=32, example="360731-2024-00001",
          note_zh="已导入的项目编号", note_en="code of a project already imported"),
    Field("document_no", "指标文号", "text", limit=64, example="于财农指〔2024〕3号",
          note_zh="所用资金指标的下达文号；填了才能核对「拨付不超过下达」", note_en="document number of the allocation drawn on",
          aliases=("文号", "资金文号")),
    _vocab("source_level", "资金级次", V.SOURCE_LEVELS, aliases=("级次",)),
    _vocab("programme", "资金项目", V.PROGRAMMES, aliases=("资金类别",)),
    _date("paid_on", "拨付日期", example="2024-04-15", aliases=("支付日期",)),
    _money("amount", "拨付金额", example="300000", positive=True, aliases=("金额", "支付金额")),
    Field("voucher_no", "凭证号", "code", required=True, limit=40, example="PZ202400000123",
          note_zh="支付凭证号，本县内唯一", note_en="payment voucher number, unique in the county", aliases=("支付凭证号",)),
)


def _finish_disbursements(ctx: Context, records: Sequence[Record]) -> list[dict[str, Any]]:
    kind = KINDS["disbursements"]
    a = Allocation.__table__
    projects = _parents(ctx, records, Project, "project_code")
    allocations: dict[tuple, list[Any]] = defaultdict(list)
    for row in ctx.fetch(a, "document_no", (r.get("document_no") for r in records),
                         ("id", "county_code", "year", "document_no", "programme", "source_level", "amount_fen",
                          "issued_on")):
        allocations[(row.county_code, row.document_no, row.programme, row.source_level)].append(row)
    out = []
    for r in records:
        county = ctx.county(r, kind.field("county"))
        row: dict[str, Any] = {"county_code": county}
        project_id = _project_id(ctx, r, projects, county)
        if project_id is not None:
            row["project_id"] = project_id
        if r.get("paid_on") is not None:
            row["year"] = r["paid_on"].year
            row["ym"] = r["paid_on"].year * 100 + r["paid_on"].month
        if "document_no" in r:
            row["allocation_id"] = None
            doc = r.get("document_no")
            if doc is not None and county is not None:
                found = allocations.get((county, doc, r.get("programme"), r.get("source_level")), [])
                if len(found) > 1 and r.get("paid_on") is not None:
                    found = [x for x in found if x.year == r["paid_on"].year] or found
                if not found:
                    ctx.error("unknown_reference", r, "document_no", what=_WHAT["allocation"])
                elif len(found) > 1:
                    ctx.error("ambiguous_reference", r, "document_no", what=_WHAT["allocation"], count=len(found))
                else:
                    row["allocation_id"] = found[0].id
                    row["_allocation"] = found[0]
                    if r.get("paid_on") is not None and r["paid_on"] < found[0].issued_on:
                        ctx.error("paid_before_issued", r, "paid_on", issued=found[0].issued_on.isoformat())
        out.append(_copy(kind, r, row))
    _check_over_allocation(ctx, kind, out)
    return out


def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:,.2f}"


def _check_over_allocation(ctx: Context, kind: Kind, rows: list[dict[str, Any]]) -> None:
    """Disbursed never above allocated (seeds/000 item 13): per allocation, what stays in the
    database (vouchers not in the file) plus the file's payments, in file order."""
    touched = {row["_allocation"].id: row["_allocation"] for row in rows if row.get("_allocation") is not None}
    if not touched:
        return
    in_file = {(row["county_code"], row.get("voucher_no")) for row in rows}
    total: dict[int, int] = defaultdict(int)
    d = Disbursement.__table__
    for old in ctx.fetch(d, "allocation_id", touched, ("allocation_id", "county_code", "voucher_no", "amount_fen")):
        if (old.county_code, old.voucher_no) not in in_file:
            total[old.allocation_id] += old.amount_fen
    reported: set[int] = set()
    for row in rows:
        allocation = row.get("_allocation")
        if allocation is None or row.get("amount_fen") is None:
            continue
        total[allocation.id] += row["amount_fen"]
        if total[allocation.id] > allocation.amount_fen and allocation.id not in reported:
            reported.add(allocation.id)
            ctx.error("over_allocated", row["_record"], "amount", document=allocation.document_no,
                      disbursed=_yuan(total[allocation.id]), allocated=_yuan(allocation.amount_fen))


# --------------------------------------------------------------------------------------------
# loans and risk funds
# --------------------------------------------------------------------------------------------

LOAN_FIELDS = (
    Field("contract_no", "合同编号", "code", required=True, limit=40, example="CYXD-360731-2024-0000001",
          note_zh="借款合同编号，全市唯一", note_en="loan contract number, unique in the city", aliases=("借款合同号",)),
    _vocab("programme", "贷款产品", V.LOAN_PROGRAMMES, aliases=("信贷通产品",)),
    Field("bank", "贷款银行", "text", required=True, limit=40, example="赣州银行", note_zh="合作银行名称",
          note_en="partner bank", aliases=("银行", "合作银行")),
    _vocab("borrower_type", "借款人类型", V.BORROWER_TYPES),
    Field("borrower_name", "借款人", "text", required=True, limit=64, example="刘某某", note_zh="借款人姓名或单位名称（个人信息，仅存于服务器）",
          note_en="borrower's name (personal data, kept on the server)", aliases=("借款人姓名", "借款人名称")),
    Field("borrower_id_no", "证件号码", "party_id", example="360731199001011234",
          note_zh="农户填 18 位身份证号（GB 11643），企业、合作社、村集体填统一社会信用代码（GB 32100）；请把该列设为文本",
          note_en="an 18-character ID number for households, a unified social credit code otherwise; format as text",
          aliases=("身份证号", "身份证号码", "统一社会信用代码")),
    _county(),
    Field("village", "村", "village", example="坳脑村", note_zh="借款人所在行政村；可空", note_en="village; may be blank",
          aliases=("行政村",)),
    _money("amount", "贷款金额", example="50000", positive=True, aliases=("金额",)),
    # at least 0.5: a rate typed as 4.35% into a percent-formatted Excel cell arrives as 0.0435
    Field("rate_pct", "年利率（%）", "number", required=True, low=Decimal("0.5"), high=Decimal(24), example="4.35",
          note_zh="年利率，百分数，如 4.35", note_en="annual interest rate in percent", aliases=("年利率", "利率")),
    _date("issued_on", "发放日期", example="2024-03-01", aliases=("放款日期",)),
    _date("maturity_on", "到期日期", event=False, example="2027-03-01"),
    _date("repaid_on", "结清日期", required=False, example="", aliases=("还清日期",)),
    _vocab("industry", "产业", V.INDUSTRIES, aliases=("贷款用途", "行业")),
    _vocab("status", "贷款状态", V.LOAN_STATUSES, aliases=("状态",)),
    _money("interest_subsidy", "贴息金额", required=False, example="2175", default=0),
    _money("guarantee_fee", "担保费", required=False, example="500", default=0),
    _vocab("guarantee_bearer", "担保费承担", V.GUARANTEE_BEARERS, required=False, default="city_county"),
    _money("guarantee_city", "市级承担担保费", required=False, example="250", default=0),
    _money("guarantee_county", "县级承担担保费", required=False, example="250", default=0),
)


def _finish_loans(ctx: Context, records: Sequence[Record]) -> list[dict[str, Any]]:
    kind = KINDS["loans"]
    out = []
    for r in records:
        county = ctx.county(r, kind.field("county"))
        row: dict[str, Any] = {"county_code": county}
        if "village" in r:
            row["village_code"] = (ctx.region(r, kind.field("village"), "village", parent=county)
                                   if county is not None and r.get("village") is not None else None)
        party, borrower = r.get("borrower_id_no"), r.get("borrower_type")
        if party is not None and borrower is not None:
            household = borrower in V.HOUSEHOLD_BORROWERS
            if household and not is_valid_id(party, ctx.today):
                ctx.error("party_id_kind", r, "borrower_id_no", borrower=_label(V.BORROWER_TYPES, borrower),
                          expected={"zh": "18 位身份证号", "en": "an ID number"})
            elif not household and (not is_valid_uscc(party) or is_valid_id(party, ctx.today)):
                ctx.error("party_id_kind", r, "borrower_id_no", borrower=_label(V.BORROWER_TYPES, borrower),
                          expected={"zh": "统一社会信用代码", "en": "a unified social credit code"})
        _order(ctx, r, kind, "issued_on", "maturity_on")
        _order(ctx, r, kind, "issued_on", "repaid_on")
        if "repaid_on" in r and r.get("status") is not None:
            if r.get("status") == "repaid" and not r.written("repaid_on"):
                ctx.error("inconsistent", r, "repaid_on", **_reason("已结清的贷款要填结清日期", "a repaid loan needs its repayment date"))
            elif r.get("status") != "repaid" and r.written("repaid_on"):
                ctx.error("inconsistent", r, "status", **_reason("填了结清日期，贷款状态应为「已结清」",
                                                                 "a loan with a repayment date has status 'repaid'"))
        fee = r.get("guarantee_fee")
        if fee is not None and "guarantee_city" not in r and "guarantee_county" not in r:
            # shares not given: split the fee as the bearer says (city:county 5:5, seeds/000 item 8)
            bearer = r.get("guarantee_bearer") or "city_county"
            city = {"city_county": fee // 2, "city": fee}.get(bearer, 0)
            row["guarantee_city_fen"] = city
            row["guarantee_county_fen"] = (fee - city) if bearer in ("city_county", "county") else 0
        out.append(_copy(kind, r, row))
    return out


def _label(vocab, code: str) -> dict[str, str]:
    return {"zh": V.label(vocab, code, "zh"), "en": V.label(vocab, code, "en")}


RISK_FUND_FIELDS = (
    _county(),
    _vocab("programme", "贷款产品", V.LOAN_PROGRAMMES, aliases=("信贷通产品",)),
    Field("bank", "存入银行", "text", required=True, limit=40, example="赣州银行", note_zh="存放风险缓释金的合作银行",
          note_en="partner bank holding the deposit", aliases=("银行", "合作银行")),
    _date("deposited_on", "存入日期", example="2024-01-10"),
    _money("amount", "存入金额", example="2000000", positive=True, aliases=("金额", "风险缓释金")),
    Field("document_no", "文号", "text", limit=64, example="于财金〔2024〕2号", note_zh="拨付文件文号；可空",
          note_en="document number; may be blank"),
)


def _county_rows(name: str) -> Callable[[Context, Sequence[Record]], list[dict[str, Any]]]:
    """The finisher of a kind whose only reference is its county (risk funds, dibao standards)."""
    def finish(ctx: Context, records: Sequence[Record]) -> list[dict[str, Any]]:
        kind = KINDS[name]
        return [_copy(kind, r, {"county_code": ctx.county(r, kind.field("county"))}) for r in records]
    return finish


# --------------------------------------------------------------------------------------------
# assets and their income
# --------------------------------------------------------------------------------------------

ASSET_FIELDS = (
    Field("code", "资产编号", "code", required=True, limit=32, example="ZC-360731-2024-00001",
          note_zh="资产编号，全市唯一", note_en="asset code, unique in the city"),
    Field("name", "资产名称", "text", required=True, limit=128, example="坳脑村光伏电站", note_zh="资产名称",
          note_en="asset name"),
    Field("project_code", "项目编号", "code", limit=32, example="360731-2024-00001",
          note_zh="形成该资产的项目编号；可空", note_en="code of the project that built it; may be blank", aliases=("来源项目",)),
    _county(),
    Field("village", "村", "village", example="坳脑村", note_zh="所在行政村；可空", note_en="village; may be blank",
          aliases=("行政村",)),
    _vocab("asset_class", "资产类别", V.ASSET_CLASSES),
    _vocab("subtype", "资产子类", V.ASSET_SUBTYPES),
    _money("value", "资产价值", example="600000", aliases=("资产原值", "价值")),
    _date("formed_on", "形成日期", example="2024-06-30"),
    _vocab("owner", "产权归属", V.ASSET_OWNERS, required=False, aliases=("所有权",)),
    Field("custodian", "管护主体", "text", limit=64, example="坳脑村股份经济合作社", note_zh="管护责任单位；可空",
          note_en="custodian; may be blank", aliases=("管护单位",)),
    _vocab("status", "资产状态", V.ASSET_STATUSES, aliases=("状态",)),
)


def _finish_assets(ctx: Context, records: Sequence[Record]) -> list[dict[str, Any]]:
    kind = KINDS["assets"]
    projects = _parents(ctx, records, Project, "project_code")
    out = []
    for r in records:
        county = ctx.county(r, kind.field("county"))
        row: dict[str, Any] = {"county_code": county}
        if "village" in r:
            row["village_code"] = (ctx.region(r, kind.field("village"), "village", parent=county)
                                   if county is not None and r.get("village") is not None else None)
        if "project_code" in r:
            row["project_id"] = _project_id(ctx, r, projects, county)
        cls, sub = r.get("asset_class"), r.get("subtype")
        if cls is not None and sub is not None and sub not in V.ASSET_SUBTYPES_BY_CLASS[cls]:
            allowed = V.ASSET_SUBTYPES_BY_CLASS[cls]
            ctx.error("subtype_class", r, "subtype", cls=_label(V.ASSET_CLASSES, cls),
                      allowed={"zh": "、".join(V.ASSET_SUBTYPES[s].zh for s in allowed), "en": ", ".join(allowed)})
        out.append(_copy(kind, r, row))
    return out


ASSET_INCOME_FIELDS = (
    Field("asset_code", "资产编号", "code", required=True, limit=32, example="ZC-360731-2024-00001",
          note_zh="已导入的经营性资产编号", note_en="code of an asset already imported"),
    Field("year", "年度", "year", required=True, example=2024, note_zh="收益所属年度", note_en="year of the income"),
    _money("income", "年收益", example="48000", aliases=("收益", "收益金额")),
    _money("to_collective", "分配给村集体", required=False, example="20000", default=0),
    _money("to_households", "分配给农户", required=False, example="25000", default=0),
    _money("to_other", "其他分配", required=False, example="0", default=0),
)


def _parents(ctx: Context, records: Sequence[Record], model, field: str) -> dict[str, Any]:
    """The records (code, id, county) that ``field`` of the rows names, by code."""
    return {row.code: row for row in ctx.fetch(model.__table__, "code", (r.get(field) for r in records),
                                               ("code", "id", "county_code"))}


def _belongs_to(ctx: Context, record: Record, parents: dict[str, Any], field: str, what: dict[str, str],
                id_column: str) -> dict[str, Any]:
    """The row's parent (an asset, a household) as its id and county; the county must lie in the
    scope.  Empty, with a problem recorded, when the code names nothing or a record outside it."""
    code = record.get(field)
    if code is None:
        return {}
    parent = parents.get(code)
    if parent is None:
        ctx.error("unknown_reference", record, field, what=what)
        return {}
    if not ctx.in_scope(record, field, parent.county_code):
        return {}
    return {id_column: parent.id, "county_code": parent.county_code}


def _project_id(ctx: Context, record: Record, projects: dict[str, Any], county: str | None) -> int | None:
    """The id of the project ``project_code`` names, which must lie in the row's own county."""
    code = record.get("project_code")
    if code is None:
        return None
    project = projects.get(code)
    if project is None:
        ctx.error("unknown_reference", record, "project_code", what=_WHAT["project"])
    elif county is not None and project.county_code != county:
        ctx.error("reference_county", record, "project_code", what=_WHAT["project"],
                  county=ctx.place_name(project.county_code))
    else:
        return project.id
    return None


def _finish_asset_income(ctx: Context, records: Sequence[Record]) -> list[dict[str, Any]]:
    kind = KINDS["asset_income"]
    assets = _parents(ctx, records, Asset, "asset_code")
    out = []
    for r in records:
        row = _belongs_to(ctx, r, assets, "asset_code", _WHAT["asset"], "asset_id")
        parts = [r.get(n) or 0 for n in ("to_collective", "to_households", "to_other")]
        if r.get("income") is not None and sum(parts) > r["income"]:
            ctx.error("distribution", r, "income", total=_yuan(sum(parts)), income=_yuan(r["income"]))
        out.append(_copy(kind, r, row))
    return out


# --------------------------------------------------------------------------------------------
# households, measures, dibao standards
# --------------------------------------------------------------------------------------------

HOUSEHOLD_FIELDS = (
    Field("code", "户编号", "code", required=True, limit=32, example="3607310012010001",
          note_zh="户编号，全市唯一；请把该列设为文本", note_en="household code, unique in the city; format as text"),
    _county(),
    Field("township", "乡镇", "township", required=True, example="车溪乡", note_zh="乡镇名称或 9 位代码",
          note_en="township name or 9-digit code"),
    Field("village", "村", "village", required=True, example="坳脑村", note_zh="行政村名称或 12 位代码",
          note_en="village name or 12-digit code", aliases=("行政村",)),
    Field("head_name", "户主姓名", "text", required=True, limit=64, example="刘某某",
          note_zh="个人信息，仅存于服务器，页面与导出一律脱敏", note_en="personal data: masked on every page and export",
          aliases=("户主",)),
    Field("head_id_no", "户主身份证号", "id_number", required=True, example="360731199001011234",
          note_zh="18 位身份证号（GB 11643 校验）；请把该列设为文本，否则 Excel 会截断后 3 位",
          note_en="18-character ID number (GB 11643 check); format the column as text", aliases=("身份证号", "身份证号码")),
    Field("members", "家庭人口", "int", required=True, low=1, high=30, example=4, note_zh="家庭人口数（1-30）",
          note_en="household members (1-30)", aliases=("人口数", "家庭人数")),
    _bool("labour_capable", "有劳动能力", True, aliases=("有劳动力",)),
    Field("income_year", "收入年度", "year", required=True, example=2024, note_zh="人均纯收入所属年度",
          note_en="year of the income"),
    _money("income_per_capita", "人均纯收入", example="9800", aliases=("人均收入",)),
    _vocab("category", "监测对象类别", V.HOUSEHOLD_CATEGORIES, required=False, aliases=("监测类别",)),
    _vocab("cause", "主要风险", V.RISK_CAUSES, required=False, aliases=("风险类型", "致贫返贫风险")),
    _vocab("channel", "发现渠道", V.DISCOVERY_CHANNELS, required=False),
    _date("found_on", "发现日期", required=False, example="2024-05-06"),
    _date("identified_on", "识别日期", required=False, example="2024-05-20"),
    _date("entered_on", "录入日期", required=False, example="2024-05-22", aliases=("纳入监测日期",)),
    _date("risk_eliminated_on", "风险消除日期", required=False, example=""),
    _date("returned_to_poverty_on", "返贫日期", required=False, example=""),
    _bool("food_clothing_ok", "吃穿不愁", None),
    _bool("schooling_ok", "义务教育有保障", None),
    _bool("medical_ok", "基本医疗有保障", None),
    _bool("housing_ok", "住房安全有保障", None),
    _bool("water_ok", "饮水安全有保障", None),
)


def _finish_households(ctx: Context, records: Sequence[Record]) -> list[dict[str, Any]]:
    kind = KINDS["households"]
    out = []
    for r in records:
        county = ctx.county(r, kind.field("county"))
        township = village = None
        if county is not None and r.get("township") is not None:
            township = ctx.region(r, kind.field("township"), "township", parent=county)
        if township is not None and r.get("village") is not None:
            village = ctx.region(r, kind.field("village"), "village", parent=township)
        row = {"county_code": county, "township_code": township, "village_code": village}
        for earlier, later in (("found_on", "identified_on"), ("identified_on", "entered_on"),
                               ("found_on", "entered_on"), ("found_on", "risk_eliminated_on")):
            _order(ctx, r, kind, earlier, later)
        monitored = r.written("found_on")
        if "category" in r and r.written("category") != monitored and "found_on" in r:
            ctx.error("inconsistent", r, "category" if monitored else "found_on", **_reason(
                "监测对象类别与发现日期要同时填写（seeds/003 二）", "a monitored household has both a category and a found date"))
        for later in ("identified_on", "entered_on", "risk_eliminated_on"):
            if r.written(later) and "found_on" in r and not monitored:
                ctx.error("inconsistent", r, later, **_reason("未填发现日期却填了后续监测日期",
                                                              "monitoring dates without a found date"))
                break
        out.append(_copy(kind, r, row))
    return out


MEASURE_FIELDS = (
    Field("household_code", "户编号", "code", required=True, limit=32, example="3607310012010001",
          note_zh="已导入的户编号；请把该列设为文本", note_en="code of a household already imported"),
    _vocab("kind", "帮扶措施", V.MEASURE_KINDS, aliases=("措施类型",)),
    _date("started_on", "落实日期", example="2024-06-01", aliases=("开始日期",)),
    _money("amount", "帮扶金额", required=False, example="3000", default=0, aliases=("金额",)),
    Field("note", "备注", "text", limit=200, example="", note_zh="可空", note_en="may be blank"),
)


def _finish_measures(ctx: Context, records: Sequence[Record]) -> list[dict[str, Any]]:
    kind = KINDS["measures"]
    households = _parents(ctx, records, Household, "household_code")
    out = []
    for r in records:
        row = _belongs_to(ctx, r, households, "household_code", _WHAT["household"], "household_id")
        out.append(_copy(kind, r, row))
    return out


DIBAO_FIELDS = (
    _county(),
    Field("year", "年度", "year", required=True, example=2024, note_zh="标准执行年度", note_en="year"),
    Field("annual", "农村低保标准", "money", required=True, positive=True, example="6840",
          note_zh="每人每年金额（元/人·年）；监测收入预警线为其 1.2 倍（seeds/003 二）",
          note_en="per person per year; the income alert line is 1.2 times it", aliases=("低保标准",)),
)


# --------------------------------------------------------------------------------------------
# scores (manual assessment input)
# --------------------------------------------------------------------------------------------

SCORE_FIELDS = (
    Field("rubric", "考核方案", "code", required=True, limit=64, example="chaoyang-2020-sector",
          note_zh="考核方案名称，如 chaoyang-2020-sector", note_en="rubric name, e.g. chaoyang-2020-sector"),
    Field("unit", "考核对象", "county", required=True, example="于都县", note_zh="县级单位名称或区划代码",
          note_en="county-level unit: name or code", aliases=("被考核单位",)),
    Field("year", "年度", "year", required=True, example=2024, note_zh="考核年度", note_en="assessment year"),
    Field("item", "指标编号", "code", required=True, limit=32, example="1.1",
          note_zh="方案中的指标编号（只能是人工录入的指标）", note_en="item code (entered items only)", aliases=("指标",)),
    Field("value", "得分或计量值", "number", required=True, example="2.5",
          note_zh="人工评分项填得分；按次计分/扣分项填次数；一票否决填 1 或 0", note_en="points for a manual item, a count, or 1/0 for a veto",
          aliases=("得分", "分值")),
    Field("evidence", "佐证材料", "text", required=True, limit=4000, example="2024 年度自评报告第 3 页",
          note_zh="依据或佐证材料名称", note_en="evidence"),
    Field("assessor", "考核人", "text", required=True, limit=64, example="市考核组", note_zh="评分人", note_en="assessor"),
)


def _finish_scores(ctx: Context, records: Sequence[Record]) -> list[dict[str, Any]]:
    from ..rubric.engine import ScoreInputError, coerce_value  # noqa: PLC0415 - only scores need the rubric engine
    from ..rubric.loader import load_rubric, looks_like_path  # noqa: PLC0415
    from ..rubric.model import RubricError  # noqa: PLC0415
    from ..rubric.store import rubric_from_db  # noqa: PLC0415

    kind = KINDS["scores"]
    rubrics: dict[str, Any] = {}
    for name in {r.get("rubric") for r in records if r.get("rubric") is not None}:
        try:
            # a stored or shipped rubric only: a file path in an upload must not read the server's files
            rubrics[name] = rubric_from_db(ctx.conn, name) or (None if looks_like_path(name) else load_rubric(name))
        except (RubricError, FileNotFoundError, OSError, ValueError):
            rubrics[name] = None
    known = "、".join(sorted(SHIPPED_RUBRICS))
    out = []
    for r in records:
        unit = ctx.county(r, kind.field("unit"))
        row: dict[str, Any] = {"unit_code": unit, "county_code": unit}
        name, item, value = r.get("rubric"), r.get("item"), r.get("value")
        rubric = rubrics.get(name) if name is not None else None
        if name is not None and rubric is None:
            ctx.error("rubric_unknown", r, "rubric", known=known)
        elif rubric is not None and item is not None:
            if not rubric.has_item(item):
                ctx.error("rubric_item", r, "item", rubric=name)
            else:
                spec = rubric.item(item)
                if spec.is_group or spec.is_computed:
                    why = ({"zh": "是分组，得分由下级指标合计", "en": "is a group: its points add up its items"} if spec.is_group
                           else {"zh": "由系统根据数据自动计算，不能人工录入", "en": "is computed from the data"})
                    ctx.error("item_not_entered", r, "item", why=why)
                elif value is not None:
                    try:
                        row["value"] = coerce_value(spec, value)
                    except ScoreInputError as exc:
                        ctx.error("score_value", r, "value", **_reason(_score_reason_zh(spec, value), str(exc)))
                    row["_spec"] = spec
        row["rubric"] = name
        out.append(_copy(kind, r, row))
    return out


def _score_reason_zh(spec, value: Decimal) -> str:
    if spec.kind == "manual":
        return f"得分应在 0 至 {spec.max_points} 之间，最多两位小数"
    if spec.kind == "veto":
        return "一票否决项填 1（否决）或 0（不否决）"
    if spec.kind in ("per_occurrence", "deduction"):
        return "应填次数（不小于 0 的整数）"
    return f"数值 {value} 不符合该指标的要求"


SHIPPED_RUBRICS = ("chaoyang-2020-sector", "chaoyang-2020-village")

_WHAT = {
    "project": {"zh": "项目", "en": "project"},
    "allocation": {"zh": "资金指标", "en": "allocation"},
    "asset": {"zh": "资产", "en": "asset"},
    "household": {"zh": "农户", "en": "household"},
    "loan": {"zh": "贷款合同", "en": "loan contract"},
}


# --------------------------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------------------------

def _columns(*pairs: str) -> dict[str, str]:
    return {p.split(":")[0]: p.split(":")[-1] for p in pairs}


KINDS: dict[str, Kind] = {k.name: k for k in (
    Kind("allocations", "资金下达", "Allocations", Allocation.__table__, ALLOCATION_FIELDS,
         key=("county_code", "year", "document_no", "programme", "source_level"), lookup="document_no",
         columns=_columns("year", "source_level", "programme", "amount:amount_fen", "document_no", "issued_on",
                          "integrable", "integrated", "published_on"),
         finish=_finish_allocations,
         note_zh="上级和本级下达到县的扶贫（衔接）资金，一个文号、一个资金项目、一个级次一行。",
         note_en="Funds allocated to a county: one row per document, programme and source level.",
         what={"zh": "资金指标", "en": "allocation"}),
    Kind("projects", "项目库", "Projects", Project.__table__, PROJECT_FIELDS, key=("code",), lookup="code",
         columns=_columns("code", "name", "category", "budget:budget_fen", "status", "start_year", "end_year",
                          "in_pool", "pool_entry_no"),
         finish=_finish_projects, note_zh="项目库中的项目，一个项目一行。只有入库项目才能安排资金（seeds/004 (六)）。",
         note_en="Projects of the pool, one per row.", what=_WHAT["project"]),
    Kind("disbursements", "资金拨付", "Disbursements", Disbursement.__table__, DISBURSEMENT_FIELDS,
         key=("county_code", "voucher_no"), lookup="voucher_no",
         columns=_columns("source_level", "programme", "paid_on", "amount:amount_fen", "voucher_no"),
         finish=_finish_disbursements,
         note_zh="拨付到项目的每一笔资金，一张凭证一行。项目须先导入；填了指标文号的，累计拨付不得超过下达金额。",
         note_en="Each payment to a project, one voucher per row; the project must exist.",
         what={"zh": "拨付凭证", "en": "voucher"}),
    Kind("loans", "信贷通贷款", "Loans", Loan.__table__, LOAN_FIELDS, key=("contract_no",), lookup="contract_no",
         columns=_columns("contract_no", "programme", "bank", "borrower_type", "borrower_name", "borrower_id_no",
                          "amount:amount_fen", "rate_pct", "issued_on", "maturity_on", "repaid_on", "industry", "status",
                          "interest_subsidy:interest_subsidy_fen", "guarantee_fee:guarantee_fee_fen", "guarantee_bearer",
                          "guarantee_city:guarantee_city_fen", "guarantee_county:guarantee_county_fen"),
         finish=_finish_loans,
         note_zh="信贷通贷款，一份合同一行。借款人姓名、证件号码是个人信息，只保存在服务器，页面和导出一律脱敏。",
         note_en="Credit-programme loans, one contract per row; borrower names and ID numbers are masked everywhere.",
         what=_WHAT["loan"]),
    Kind("risk_funds", "风险缓释金", "Risk-fund deposits", RiskFundDeposit.__table__, RISK_FUND_FIELDS,
         key=("county_code", "programme", "bank", "deposited_on"), lookup="county_code",
         columns=_columns("programme", "bank", "deposited_on", "amount:amount_fen", "document_no"),
         finish=_county_rows("risk_funds"),
         note_zh="存入合作银行的风险缓释金，同一县、产品、银行、日期的存入合为一行。",
         note_en="Risk-mitigation fund deposits; one row per county, programme, bank and date.",
         what={"zh": "存入记录", "en": "deposit"}),
    Kind("assets", "扶贫项目资产", "Assets", Asset.__table__, ASSET_FIELDS, key=("code",), lookup="code",
         columns=_columns("code", "name", "asset_class", "subtype", "value:value_fen", "formed_on", "owner",
                          "custodian", "status"),
         finish=_finish_assets, note_zh="项目形成的资产，一项资产一行（seeds/003 八）。", note_en="Project assets, one per row.",
         what=_WHAT["asset"]),
    Kind("asset_income", "资产收益", "Asset income", AssetIncome.__table__, ASSET_INCOME_FIELDS,
         key=("asset_id", "year"), lookup="asset_id",
         columns=_columns("year", "income:income_fen", "to_collective:to_collective_fen",
                          "to_households:to_households_fen", "to_other:to_other_fen"),
         finish=_finish_asset_income, note_zh="经营性资产的年度收益及分配，一项资产一年一行。",
         note_en="Yearly income of operating assets and its distribution.",
         what={"zh": "资产收益", "en": "asset income"}),
    Kind("households", "农户与监测对象", "Households", Household.__table__, HOUSEHOLD_FIELDS, key=("code",),
         lookup="code",
         columns=_columns("code", "head_name", "head_id_no", "members", "labour_capable", "income_year",
                          "income_per_capita:income_per_capita_fen", "category", "cause", "channel", "found_on",
                          "identified_on", "entered_on", "risk_eliminated_on", "returned_to_poverty_on",
                          "food_clothing_ok", "schooling_ok", "medical_ok", "housing_ok", "water_ok"),
         finish=_finish_households,
         note_zh="农户及防止返贫监测信息，一户一行（seeds/003 二）。户主姓名、身份证号只保存在服务器，页面和导出一律脱敏。",
         note_en="Households and their monitoring record, one per row; names and ID numbers are masked everywhere.",
         what=_WHAT["household"]),
    Kind("measures", "帮扶措施", "Assistance measures", AssistanceMeasure.__table__, MEASURE_FIELDS,
         key=("household_id", "kind", "started_on"), lookup="household_id",
         columns=_columns("kind", "started_on", "amount:amount_fen", "note"),
         finish=_finish_measures, note_zh="监测户落实的帮扶措施，一户一项措施一个日期一行。",
         note_en="Assistance measures for monitored households.", what={"zh": "帮扶措施", "en": "measure"}),
    Kind("dibao_standards", "农村低保标准", "Dibao standards", DibaoStandard.__table__, DIBAO_FIELDS,
         key=("county_code", "year"), lookup="county_code",
         columns=_columns("year", "annual:annual_fen"), finish=_county_rows("dibao_standards"),
         note_zh="各县每年的农村低保标准（元/人·年）。", note_en="Each county's rural dibao standard per year.",
         what={"zh": "低保标准", "en": "dibao standard"}),
    Kind("scores", "考核人工评分", "Manual scores", Score.__table__, SCORE_FIELDS,
         key=("rubric", "unit_code", "year", "item_code"), lookup="unit_code",
         columns=_columns("year", "item:item_code", "evidence", "assessor"), finish=_finish_scores,
         note_zh="考核方案中人工录入指标的得分、次数或否决，每条附佐证材料和考核人；计算指标由系统自动评分。",
         note_en="Assessors' input for the entered items of a rubric, with evidence and assessor.",
         what={"zh": "评分", "en": "score"}),
)}
