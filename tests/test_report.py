"""The printable county report (``fundwatch report`` and the county page's download).

One demo database of the module's own (reports write audit rows) with a county official of
于都县.  The PDF is rendered once for the whole module (the county official's own report of
于都县 2020) and read back with poppler's ``pdftotext -layout`` and ``pdfinfo``; the HTML variants
are cheap and rendered per test.  The first page is kept as ``test-artifacts/report-yudu-2020.png``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import re
import shutil
import subprocess
import sys

import pytest
from dashboard_fixtures import ARTIFACTS, _fresh_caches, own_demo_database  # noqa: F401

from fundwatch.components import i18n, report, report_charts
from fundwatch.components.stores import CountyStore
from fundwatch.dashboards import cli, cli_report
from fundwatch.data import db
from fundwatch.data.access import add_user, audit_frame
from fundwatch.data.scope import Scope

pytestmark = pytest.mark.slow

YUDU, XINGGUO = "360731", "360732"
YEAR, AS_OF = 2020, dt.date(2020, 12, 31)
PASSWORD = "Ganzhou-Report-2020!"
POPPLER = shutil.which("pdftotext") and shutil.which("pdfinfo") and shutil.which("pdftoppm")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdfinfo, pdftoppm) not installed")


# ---------------------------------------------------------------------------------------------
# Fixtures and helpers
# ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report_db(tmp_path_factory):
    """A demo database of this module's own, with a county official of 于都县."""
    path = own_demo_database(tmp_path_factory, "report")
    engine = db.get_engine(str(path))
    add_user(engine, "yudu.li", PASSWORD, "county_official", county_code=YUDU, display_name="于都县 李",
             actor="test")
    return path


@pytest.fixture(scope="module")
def engine(report_db):
    return db.get_engine(str(report_db))


def run_report(*args: str) -> tuple[int, str, str]:
    """``fundwatch report ARGS`` in this process as ``cli.main`` runs a command (a parser of the
    report command alone, one-line errors): (exit status, stdout, stderr)."""
    import contextlib
    import io

    parser = cli._Parser(prog="fundwatch")
    sub = parser.add_subparsers(dest="command", parser_class=cli._Parser)
    cli_report.add_parser(sub)
    parsed = parser.parse_args(["report", *args])
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            status = parsed.handler(parsed)
        except (cli.CliError, ValueError) as exc:
            print(f"fundwatch: error: {exc}", file=sys.stderr)
            status = 1
    return status, out.getvalue(), err.getvalue()


def one_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fundwatch: error:"), err
    assert "Traceback" not in err
    return lines[0]


def reports_audited(engine) -> list[dict]:
    """The audit rows of reports, oldest first."""
    frame = audit_frame(engine, Scope.all(), action="export", limit=None)
    frame = frame[frame["target"] == "export:report"]
    return frame.iloc[::-1].to_dict(orient="records")


def _poppler(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, check=True, timeout=60).stdout


def flat(text: str) -> str:
    """``text`` without any whitespace (table cells wrap across lines in the PDF)."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def yudu_pdf(report_db, engine, tmp_path_factory):
    """The county official's own report of 于都县 2020, rendered once: (path, pdfinfo, text as laid out,
    text in reading order)."""
    if not POPPLER:
        pytest.skip("poppler-utils (pdftotext, pdfinfo, pdftoppm) not installed")
    out = tmp_path_factory.mktemp("pdf") / "于都县-2020.pdf"
    status, stdout, stderr = run_report("--county", YUDU, "--year", str(YEAR), "--user", "yudu.li",
                                        "--db", str(report_db), "--out", str(out))
    assert status == 0, stderr
    assert "wrote the PDF report" in stdout
    info = _poppler("pdfinfo", str(out))
    text = _poppler("pdftotext", "-layout", str(out), "-")
    raw = _poppler("pdftotext", "-raw", str(out), "-")  # a table cell's lines stay together
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / "report-yudu-2020"
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", str(out), str(target)],
                   check=True, timeout=60)
    return out, info, text, raw


@pytest.fixture(scope="module")
def yudu_store(engine):
    """The county official's view of 于都县 2020, as the report was built from it."""
    return CountyStore(engine=engine, scope=Scope.county(YUDU), county=YUDU, year=YEAR, as_of=AS_OF)


# ---------------------------------------------------------------------------------------------
# The PDF
# ---------------------------------------------------------------------------------------------


def test_pdf_is_a4_with_several_numbered_pages(yudu_pdf):
    path, info, text, raw = yudu_pdf
    assert path.read_bytes().startswith(b"%PDF")
    size = re.search(r"Page size:\s+([\d.]+) x ([\d.]+) pts", info)
    assert size and round(float(size[1])) == 595 and round(float(size[2])) == 842, info
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
    assert pages > 1
    assert "第 1 页" in raw and f"共 {pages} 页" in raw
    assert all(f"第 {n} 页 / 共 {pages} 页" in raw for n in range(1, pages + 1))
    assert "第1页" in text  # the layout mode drops the narrow spaces
    assert (ARTIFACTS / "report-yudu-2020.png").stat().st_size > 10_000


def test_pdf_fonts_are_embedded(yudu_pdf):
    path, _, _, _ = yudu_pdf
    fonts = _poppler("pdffonts", str(path)).splitlines()[2:]
    assert fonts and all(" yes yes " in line for line in fonts), fonts  # embedded, subset


def test_pdf_names_the_county_year_and_data_date(yudu_pdf):
    _, _, text, _ = yudu_pdf
    assert "于都县" in text and "2020年度" in text
    assert "数据截至" in text and "2020年12月31日" in text
    assert "生成时间" in text and re.search(r"20\d\d年\d+月\d+日 \d\d:\d\d:\d\d", text)


def test_pdf_shows_the_headline_figures_of_the_store(yudu_pdf, yudu_store):
    _, _, text, _ = yudu_pdf
    h = yudu_store.headline
    shown = report.kpi_values(yudu_store)
    assert shown["funds_total"] == i18n.money(h["funds_total"], "zh")
    assert shown["rate"] == i18n.pct(h["rate"])
    for key in ("kpi.pace", "kpi.loans", "kpi.assets", "kpi.households", "kpi.warnings"):
        assert i18n.t(key, "zh") in text, key
    assert i18n.t("kpi.funds", "zh", year=YEAR) in text
    for key in ("funds_total", "rate", "outstanding", "asset_value", "households"):
        assert shown[key] in text, (key, shown[key])


def test_pdf_has_every_section(yudu_pdf):
    _, _, text, _ = yudu_pdf
    for heading in ("资金", "贷款", "资产", "农户", "考核得分", "预警"):
        assert re.search(rf"^\s*[一二三四五六]、\S*{heading}", text, re.M), heading
    assert "拨付节点" in text and "放大倍数" in text and "管护" in text


def test_pdf_shows_the_score_of_the_rubric(yudu_pdf, engine):
    from fundwatch.data.rubric import unit_scores

    _, _, text, _ = yudu_pdf
    _, scores = unit_scores(engine, Scope.county(YUDU), "chaoyang-2020-sector", YEAR)
    (yudu,) = scores
    assert f"总分{yudu.total:.2f}分" in flat(text)
    assert "年度目标任务完成情况" in text
    assert "排第" not in text  # a county official's scope ranks one unit: no rank is printed


def test_pdf_lists_each_warning_with_its_rule_and_basis(yudu_pdf, yudu_store):
    _, _, text, raw = yudu_pdf
    findings = yudu_store.warnings
    assert len(findings), "the demo data plants findings in 于都县 2020"
    body = flat(raw)
    for rule, basis in zip(findings["rule"], findings["basis_zh"], strict=True):
        assert rule in text
        assert flat(f"依据：{basis}") in body, basis


def test_pdf_holds_no_personal_data(yudu_pdf, engine):
    """Counts and sums only: no valid ID number and no name of a household head or borrower."""
    from sqlalchemy import select

    from fundwatch.data import models as m
    from fundwatch.data.imports.identity import is_valid_id

    _, _, text, _ = yudu_pdf
    h, loan = m.Household.__table__, m.Loan.__table__
    with engine.connect() as conn:
        people = [*conn.execute(select(h.c.head_name, h.c.head_id_no).where(h.c.county_code == YUDU)),
                  *conn.execute(select(loan.c.borrower_name, loan.c.borrower_id_no).where(loan.c.county_code == YUDU))]
    names = {name for name, _ in people if name and len(name) > 1}
    assert names and any(is_valid_id(number) for _, number in people if number)  # the check has something to find
    assert not [n for n in re.findall(r"(?<![0-9A-Za-z])\d{17}[\dX](?![0-9A-Za-z])", text) if is_valid_id(n)]
    assert not names & set(text.split())


def test_the_county_officials_report_is_audited(yudu_pdf, engine):
    rows = [r for r in reports_audited(engine) if r["actor"] == "yudu.li" and r["result"] == "ok"]
    assert len(rows) == 1
    (row,) = rows
    assert row["county_code"] == YUDU
    assert "format=pdf" in row["detail"] and "surface=cli" in row["detail"]


# ---------------------------------------------------------------------------------------------
# HTML, English, refusals and errors
# ---------------------------------------------------------------------------------------------


URL_ATTRIBUTES = re.compile(r"""(?:\bsrc|\bhref|\bxlink:href)\s*=\s*["']([^"']*)["']|url\(\s*['"]?([^'")]*)""", re.I)


def test_html_is_self_contained_with_svg_charts(report_db, engine, tmp_path):
    out = tmp_path / "yudu.html"
    status, _, stderr = run_report("--county", YUDU, "--year", str(YEAR), "--db", str(report_db), "--out", str(out))
    assert status == 0, stderr
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "于都县" in page
    assert page.count("<svg ") >= 4 and "<image" not in page
    for match in URL_ATTRIBUTES.finditer(page):
        target = match[1] if match[1] is not None else match[2]
        assert target.startswith("#"), target  # only references inside the document
    without_namespaces = re.sub(r'\sxmlns(?::\w+)?="[^"]*"', "", page)
    assert "http://" not in without_namespaces and "https://" not in without_namespaces
    assert "<link" not in page and "<script" not in page and "@import" not in page
    assert "排第" in page  # the operator sees the prefecture: the county's rank among the 20 units
    (row,) = [r for r in reports_audited(engine) if r["actor"] == f"cli:{getpass.getuser()}"
              and "format=html" in r["detail"]]
    assert row["county_code"] == YUDU and row["result"] == "ok"


def test_english_report_has_english_headings(report_db, tmp_path):
    out = tmp_path / "yudu-en.html"
    status, _, stderr = run_report("--county", YUDU, "--year", "2024", "--as-of", "2024-06-30", "--lang", "en",
                                   "--db", str(report_db), "--out", str(out))
    assert status == 0, stderr
    page = out.read_text(encoding="utf-8")
    for heading in ("Headline figures", "1. Funds allocated and disbursed", "2. Loans", "3. Project assets",
                    "4. Households under monitoring", "5. Assessment score", "6. Warnings and their policy basis"):
        assert f">{heading}" in page, heading
    assert "一、资金" not in page and "考核得分" not in page
    assert 'lang="en"' in page and "Page {page}" not in page and '"Page " counter(page) " of " counter(pages)' in page
    assert "Data as of" in page and "2024-06-30" in page


def test_a_county_official_cannot_get_another_countys_report(report_db, engine, tmp_path):
    out = tmp_path / "xingguo.pdf"
    status, _, stderr = run_report("--county", XINGGUO, "--year", str(YEAR), "--user", "yudu.li",
                                   "--db", str(report_db), "--out", str(out))
    assert status == 1 and not out.exists()
    line = one_line(stderr)
    assert "yudu.li" in line and XINGGUO in line
    refused = [r for r in reports_audited(engine) if r["result"] == "refused"]
    assert [(r["actor"], r["county_code"]) for r in refused] == [("yudu.li", XINGGUO)]


@pytest.mark.parametrize(("args", "message"), [
    (("--county", "999999"), "no county '999999'"),
    (("--county", YUDU, "--out", "report.docx"), ".pdf or .html"),
    (("--county", YUDU, "--as-of", "2021-03-31"), "not in 2020"),
    (("--county", YUDU, "--user", "nobody"), "no user nobody"),
])
def test_errors_are_one_line_and_write_nothing(report_db, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    if "--out" not in args:
        args = (*args, "--out", str(tmp_path / "r.html"))
    status, _, stderr = run_report("--year", str(YEAR), "--db", str(report_db), *args)
    assert status == 1 and message in one_line(stderr)
    assert list(tmp_path.iterdir()) == []


def test_missing_pango_is_one_line(report_db, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint now fails as without pango
    out = tmp_path / "r.pdf"
    status, _, stderr = run_report("--county", YUDU, "--year", str(YEAR), "--db", str(report_db), "--out", str(out))
    assert status == 1 and not out.exists()
    assert "libpango-1.0-0" in one_line(stderr)


def test_a_cjk_font_installed_after_matplotlib_cached_its_font_list_is_found(monkeypatch):
    manager = report_charts.font_manager.fontManager
    monkeypatch.setattr(manager, "ttflist", [e for e in manager.ttflist if e.name not in report_charts.CJK_FAMILIES])
    report_charts.cjk_font.cache_clear()
    try:
        assert report_charts.cjk_font() in report_charts.CJK_FAMILIES
        assert {e.name for e in manager.ttflist} & set(report_charts.CJK_FAMILIES)
    finally:
        monkeypatch.undo()
        report_charts.cjk_font.cache_clear()


def test_missing_cjk_font_is_one_line(report_db, tmp_path, monkeypatch):
    monkeypatch.setattr(report_charts.font_manager.fontManager, "ttflist", [])
    monkeypatch.setattr(report_charts.font_manager, "findSystemFonts", lambda *_a, **_k: [])  # none on disk either
    report_charts.cjk_font.cache_clear()
    try:
        out = tmp_path / "r.html"
        status, _, stderr = run_report("--county", YUDU, "--year", str(YEAR), "--db", str(report_db),
                                       "--out", str(out))
    finally:
        monkeypatch.undo()
        report_charts.cjk_font.cache_clear()
    assert status == 1 and not out.exists()
    assert "fonts-noto-cjk" in one_line(stderr)


def test_no_report_without_its_audit_row(report_db, tmp_path, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the audit table is locked")

    monkeypatch.setattr(report, "record_export", broken)
    out = tmp_path / "r.html"
    status, _, stderr = run_report("--county", YUDU, "--year", str(YEAR), "--db", str(report_db), "--out", str(out))
    assert status == 1 and not out.exists()
    assert "audit row could not be written" in one_line(stderr)


# ---------------------------------------------------------------------------------------------
# The county page's download
# ---------------------------------------------------------------------------------------------


def test_download_button_builds_an_audited_pdf(engine):
    store = CountyStore(engine=engine, scope=Scope.county(YUDU), actor="yudu.li", county=YUDU, year=YEAR,
                        as_of=AS_OF)
    store.township = store.townships["code"].iloc[0]  # the page shows a township: the report is the county's
    download = report.ReportDownload(store=store)
    button = download.__panel__()
    assert button.label == "⤓ 下载报告（PDF）"
    before = len(reports_audited(engine))
    data = button.callback().getvalue()
    assert data.startswith(b"%PDF")
    assert button.filename == "于都县-2020-报告.pdf"
    rows = reports_audited(engine)
    assert len(rows) == before + 1
    row = rows[-1]
    assert row["actor"] == "yudu.li" and row["county_code"] == YUDU and row["result"] == "ok"
    assert "format=pdf" in row["detail"] and "surface=page" in row["detail"]
    store.lang = "en"
    assert button.label == "⤓ Download report (PDF)"


def test_download_refuses_without_its_audit_row(engine, monkeypatch):
    from fundwatch.components.export import ExportNotAudited

    monkeypatch.setattr(report, "record_export", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("locked")))
    monkeypatch.setattr(report, "report_pdf", lambda document: b"%PDF-stub")  # the rendering is not under test
    store = CountyStore(engine=engine, scope=Scope.county(YUDU), actor="yudu.li", county=YUDU, year=YEAR,
                        as_of=AS_OF)
    button = report.ReportDownload(store=store).__panel__()
    with pytest.raises(ExportNotAudited):
        button.callback()
    assert store.notice == i18n.t("export.not_audited", "zh")


def test_parser_follows_the_cli_contract():
    parser = argparse.ArgumentParser()
    cli_report.add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", "--county", YUDU, "--year", "2020"])
    assert args.handler is cli_report.cmd_report and args.lang == "zh" and args.db is None and args.out is None
