"""What an import found wrong (or noteworthy) in a file, in the uploader's terms.

A :class:`Problem` names the row as the spreadsheet shows it (1-based, counting title, unit and
header rows), the column header as written in the file, the value as read, and the rule broken.
Its message is rendered from :data:`RULES` in Chinese (the default) or English.  ``error``
problems reject the whole file; ``notice`` problems only inform (a neutralised formula, an
ignored column, a skipped total row).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: rule -> (zh title, en title, zh message, en message).  Messages are ``str.format`` templates
#: over the problem's ``params`` (and ``value``).
RULES: dict[str, tuple[str, str, str, str]] = {
    # the file as a whole
    "empty_file": ("空文件", "Empty file", "文件是空的", "the file is empty"),
    "too_large": ("文件过大", "File too large", "文件大小 {size} 超过上限 {limit}",
                  "the file is {size}, more than the limit of {limit}"),
    "too_many_rows": ("行数过多", "Too many rows", "数据行 {rows} 行，超过上限 {limit} 行，请分批导入",
                      "{rows} data rows, more than the limit of {limit}: split the file"),
    "unknown_format": ("文件类型不支持", "Unsupported file type",
                       "只接受 .xlsx 或 .csv 文件，收到「{name}」", "only .xlsx and .csv files are accepted, got {name!r}"),
    "disguised_file": ("文件内容与扩展名不符", "Content does not match the name",
                       "文件名是 {claimed}，内容却是 {actual}，请上传真正的 .xlsx 或 .csv 文件",
                       "the name says {claimed} but the content is {actual}: upload a real .xlsx or .csv file"),
    "legacy_xls": ("旧版 Excel 格式", "Old Excel format",
                   "这是旧版 .xls（或加密的）工作簿，请在 Excel 中另存为 .xlsx（不加密码）后再上传",
                   "this is an old .xls (or encrypted) workbook: save it as .xlsx without a password and upload again"),
    "broken_file": ("文件已损坏", "Broken file", "无法读取 Excel 工作簿：{reason}",
                    "the workbook cannot be read: {reason}"),
    "zip_bomb": ("文件解压后过大", "Expands too much",
                 "工作簿解压后有 {size}，超过上限 {limit}", "the workbook expands to {size}, more than {limit}"),
    "encoding": ("文字编码无法识别", "Unknown text encoding",
                 "CSV 既不是 UTF-8 也不是 GBK/GB18030 编码，请用 Excel 另存为「CSV UTF-8」",
                 "the CSV is neither UTF-8 nor GBK/GB18030: save it as 'CSV UTF-8'"),
    "binary_text": ("CSV 含有二进制内容", "Binary content in a CSV",
                    "CSV 中出现了不可打印的控制字符（第 {row} 行），文件可能损坏或不是文本",
                    "control characters in the CSV (row {row}): the file is broken or not text"),
    "bad_csv": ("CSV 格式错误", "Malformed CSV", "CSV 无法解析：{reason}", "the CSV cannot be parsed: {reason}"),
    "sheet_missing": ("找不到工作表", "No such sheet", "工作簿中没有名为「{sheet}」的工作表（有：{sheets}）",
                      "the workbook has no sheet {sheet!r} (it has: {sheets})"),
    "no_header": ("找不到表头", "No header row",
                  "前 {rows} 行中找不到「{kind}」的表头，请使用导入模板", "no header row of {kind} in the first {rows} rows: use the template"),
    "no_rows": ("没有数据行", "No data rows", "表头下面没有数据", "there are no data rows below the header"),
    # columns
    "missing_column": ("缺少必填列", "Missing column", "缺少必填列「{column}」", "the required column {column!r} is missing"),
    "duplicate_column": ("列重复", "Duplicate column", "「{column}」列出现了不止一次", "the column {column!r} appears more than once"),
    "unknown_column": ("未识别的列", "Column ignored", "不认识的列，已忽略", "not a column of this table; ignored"),
    "unit_missing": ("未声明金额单位", "Amount unit not declared",
                     "请在表头注明单位，如「{column}（元）」或「{column}（万元）」，或在表头上方加一行「单位：元」",
                     "declare the unit in the header, e.g. {column!r} (元) or (万元), or add a row '单位：元' above the header"),
    "unit_conflict": ("金额单位矛盾", "Conflicting units",
                      "表头单位「{header_unit}」与单位行「{sheet_unit}」不一致", "the header says {header_unit} but the unit row says {sheet_unit}"),
    # cells
    "required": ("必填项为空", "Required value missing", "必填，不能为空", "required, must not be empty"),
    "not_a_number": ("不是数字", "Not a number", "应为数字", "expected a number"),
    "not_an_integer": ("不是整数", "Not a whole number", "应为整数", "expected a whole number"),
    "negative": ("金额为负", "Negative amount", "金额不能为负数", "amounts must not be negative"),
    "not_positive": ("应大于零", "Must be positive", "应大于 0", "must be greater than 0"),
    "precision": ("小数位过多", "Too many decimals", "金额最多精确到分（{unit}）", "amounts are exact to the fen ({unit})"),
    "out_of_range": ("超出范围", "Out of range", "应在 {low} 至 {high} 之间", "expected between {low} and {high}"),
    "implausible_amount": ("金额不合常理", "Implausible amount",
                           "单笔金额超过 {limit}，请检查单位（元/万元）", "more than {limit} in one row: check the unit (元 or 万元)"),
    "not_a_date": ("日期格式错误", "Not a date",
                   "应为日期，如 2020-03-31、2020/3/31、2020年3月31日 或 20200331",
                   "expected a date such as 2020-03-31, 2020/3/31, 2020年3月31日 or 20200331"),
    "date_range": ("日期超出范围", "Date out of range", "日期应在 {low} 至 {high} 之间", "the date must lie between {low} and {high}"),
    "future_date": ("日期晚于今天", "Date in the future", "已发生的事项日期不能晚于今天（{today}）",
                    "something that has happened cannot be dated after today ({today})"),
    "not_a_bool": ("应为是或否", "Not yes or no", "应填「是」或「否」", "expected 是/否 (yes/no)"),
    "unknown_code": ("不在取值范围内", "Not an allowed value", "可填：{allowed}", "allowed: {allowed}"),
    "too_long": ("内容过长", "Too long", "最多 {limit} 个字符", "at most {limit} characters"),
    "formula": ("公式已转为文本", "Formula made harmless",
                "以 = + - @ 开头的内容会被电子表格当作公式执行，已在前面加 ' 按文本保存",
                "text starting with = + - @ would run as a formula in a spreadsheet; saved as text with a leading '"),
    "formula_cell": ("单元格是公式", "Formula in a cell", "单元格是公式，请复制后「粘贴为数值」再上传",
                     "the cell holds a formula: paste it as values and upload again"),
    "number_as_text": ("编号被存成数字", "Code stored as a number",
                       "编号被 Excel 存成了数字，超过 15 位的部分已丢失，请把该列设为文本后重新录入",
                       "Excel stored the code as a number and digits beyond the 15th are lost: format the column as text and re-enter"),
    "example_row": ("示例行已跳过", "Example row skipped", "与模板示例行相同，已跳过", "the template's example row; skipped"),
    "total_row": ("合计行已跳过", "Total row skipped", "合计行不是数据，已跳过", "a total row is not data; skipped"),
    # identity numbers
    "id_as_number": ("身份证号被存成数字", "ID number stored as a number",
                     "身份证号被 Excel 存成了数字（如 3.6E+17），后 3 位已丢失，请把该列设为文本后重新录入",
                     "Excel stored the ID number as a number (e.g. 3.6E+17) and its last digits are lost: "
                     "format the column as text and re-enter"),
    "id_truncated": ("身份证号疑被截断", "ID number truncated",
                     "末三位为 000 且校验位不符，疑被 Excel 截断为 15 位有效数字，请把该列设为文本后重新录入",
                     "ends in 000 and fails the check character: Excel probably cut it to 15 significant digits"),
    "id_length": ("身份证号位数不对", "Wrong ID number length", "应为 18 位身份证号（GB 11643），现有 {length} 位",
                  "expected an 18-character ID number (GB 11643), got {length}"),
    "id_format": ("身份证号格式错误", "Malformed ID number", "应为 17 位数字加 1 位数字或 X",
                  "expected 17 digits and a digit or X"),
    "id_birthdate": ("出生日期无效", "Invalid birth date", "身份证号中的出生日期 {birth} 不存在或不合理",
                     "the birth date {birth} inside the ID number is invalid"),
    "id_checksum": ("身份证号校验位错误", "ID check character wrong",
                    "校验位应为 {expected}（GB 11643），请核对号码", "the check character should be {expected} (GB 11643)"),
    "credit_code": ("统一社会信用代码错误", "Invalid credit code",
                    "应为 18 位统一社会信用代码且校验位正确（GB 32100）", "expected an 18-character unified social credit code (GB 32100)"),
    "party_id_kind": ("证件类型与借款人不符", "Wrong kind of identifier",
                      "{borrower}应填{expected}", "a {borrower} needs {expected}"),
    # regions and references
    "unknown_region": ("地区不存在", "Unknown region", "找不到{level}「{value}」", "no {level} {value!r}"),
    "ambiguous_region": ("地区名称重名", "Ambiguous region name", "有多个{level}叫「{value}」（{codes}），请填写区划代码",
                         "several {level} units are called {value!r} ({codes}): give the code"),
    "wrong_level": ("区划级别不对", "Wrong region level", "「{value}」是{actual}，此列应填{level}",
                    "{value!r} is a {actual}; this column needs a {level}"),
    "region_mismatch": ("地区不属于所填上级", "Region outside its parent", "「{value}」不属于{parent}",
                        "{value!r} does not lie in {parent}"),
    "out_of_scope": ("不属于本县", "Outside your county", "这一行属于{county}，您只能导入{scope}的数据",
                     "this row belongs to {county}; you may import data of {scope} only"),
    "unknown_reference": ("引用的记录不存在", "Unknown reference", "找不到{what}「{value}」，请先导入{what}",
                          "no {what} {value!r}: import it first"),
    "reference_county": ("引用的记录属于其他县", "Reference in another county",
                         "{what}「{value}」属于{county}，与本行的县不一致", "{what} {value!r} belongs to {county}, not this row's county"),
    "ambiguous_reference": ("引用不唯一", "Ambiguous reference", "有 {count} 条{what}与「{value}」相符，请补充信息",
                            "{count} {what} records match {value!r}: add details"),
    "key_elsewhere": ("编号已被其他县使用", "Code used by another county", "{what}「{value}」已属于{county}，不能改到本县",
                      "{what} {value!r} already belongs to {county}"),
    "duplicate_key": ("文件内重复", "Duplicate in the file", "与第 {first} 行重复（{key}）",
                      "repeats row {first} ({key})"),
    # cross-field rules
    "over_allocated": ("拨付超过下达", "Disbursed above allocated",
                       "指标文号「{document}」累计拨付 {disbursed} 元，超过下达金额 {allocated} 元",
                       "allocation {document!r} would have {disbursed} yuan disbursed against {allocated} allocated"),
    "paid_before_issued": ("拨付早于下达", "Paid before allocation", "拨付日期早于指标下达日期 {issued}",
                           "paid before the allocation was issued on {issued}"),
    "date_order": ("日期先后矛盾", "Dates out of order", "{later}不能早于{earlier}（{earlier_value}）",
                   "{later} cannot be before {earlier} ({earlier_value})"),
    "inconsistent": ("前后矛盾", "Inconsistent", "{reason}", "{reason}"),
    "distribution": ("分配超过收益", "Distributed above income", "分配合计 {total} 元超过收益 {income} 元",
                     "distributed {total} yuan out of an income of {income} yuan"),
    "guarantee_split": ("担保费分担不符", "Guarantee shares do not add up",
                        "市级 {city} 元 + 县级 {county} 元 应等于担保费 {fee} 元", "city {city} + county {county} must equal the fee {fee}"),
    "subtype_class": ("资产子类与类别不符", "Subtype outside its class", "{cls}只能是：{allowed}", "a {cls} can only be: {allowed}"),
    "rubric_unknown": ("考核方案不存在", "Unknown rubric", "没有名为「{value}」的考核方案（有：{known}）",
                       "no rubric {value!r} (known: {known})"),
    "rubric_item": ("考核指标不存在", "Unknown rubric item", "方案「{rubric}」中没有指标「{value}」", "rubric {rubric!r} has no item {value!r}"),
    "item_not_entered": ("该指标不能人工录入", "Item not entered by hand", "指标「{value}」{why}", "item {value!r} {why}"),
    "score_value": ("分值不合规", "Invalid score", "{reason}", "{reason}"),
    "unit_not_county": ("考核对象不是县级单位", "Not a county-level unit", "考核对象应为县级单位", "the unit must be a county-level unit"),
    "database": ("数据库拒绝写入", "The database refused the data", "{reason}", "{reason}"),
}


@dataclass(frozen=True)
class Problem:
    """One finding about an uploaded file (see the module docstring)."""

    rule: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    params: Mapping[str, Any] = field(default_factory=dict)
    severity: str = "error"

    def __post_init__(self) -> None:
        if self.rule not in RULES:
            raise KeyError(f"no such import rule {self.rule!r}")

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def title(self, lang: str = "zh") -> str:
        zh, en, _, _ = RULES[self.rule]
        return en if lang == "en" else zh

    def message(self, lang: str = "zh") -> str:
        _, _, zh, en = RULES[self.rule]
        template = en if lang == "en" else zh
        params = {k: (v.get(lang, v.get("zh")) if isinstance(v, dict) else v) for k, v in self.params.items()}
        return template.format(value=self.value, **params)

    def as_dict(self, lang: str = "zh") -> dict[str, Any]:
        """A flat record with stable keys (the CLI's JSON and the downloadable report)."""
        return {"row": self.row, "column": self.column, "value": self.value, "rule": self.rule,
                "severity": self.severity, "title": self.title(lang), "message": self.message(lang)}


def shown(value: Any, limit: int = 80) -> str | None:
    """A cell value as the report shows it: text, cut to ``limit`` characters."""
    if value is None:
        return None
    text = value if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
