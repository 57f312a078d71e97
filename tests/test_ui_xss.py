"""Stored XSS: twenty classic payloads imported as project and asset names are shown as text in
Debian's Chromium and never run, and the exports keep spreadsheet formulas from running.

A demo database of its own gets, through ``fundwatch import projects`` and ``fundwatch import
assets`` (all-or-nothing, validated like any county's file), one project and one asset per payload
in a village of 于都县, budgets and values large enough to lead its record lists.  The village's
drill-down (``/county?county=...&township=...&village=...``) then shows them: both pages of the
projects list and the first page of the assets list.  Over the whole page, shadow roots included
(Bokeh and Panel render into shadow DOM): no ``dialog`` (alert, confirm, prompt) opens, no element
or attribute the payloads would inject exists, nothing leaves the machine, no console error
(:class:`test_ui.Watched`), and every payload is visible as the text it is.  The import stores text
as given, except that a value a spreadsheet would run as a formula is kept with a leading ``'``;
the CSV and XLSX exports of the village's projects carry every payload, the formula one still as
text.
"""

from __future__ import annotations

import csv
import io
import json

import openpyxl
import pytest
from cli_run import fundwatch
from dashboard_fixtures import DEMO_SCALE, Server, _fresh_caches  # noqa: F401
from test_ui import READY, browser, screenshot, settle, watched  # noqa: F401

from fundwatch.data import db, demo, schema
from fundwatch.data.reads import regions_frame
from fundwatch.data.scope import Scope

pytestmark = [pytest.mark.ui, pytest.mark.slow]

YUDU = "360731"
PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    '"><iframe src=javascript:alert(1)>',
    "javascript:alert(1)",
    '<a href="javascript:alert(1)">x</a>',
    "{{7*7}}",
    "${alert(1)}",
    "<details open ontoggle=alert(1)>",
    "</script><script>alert(1)</script>",
    "<body onload=alert(1)>",
    "<math><mtext></mtext><mglyph><style><img src=x onerror=alert(1)>",
    "'><img src=x onerror=alert(1)>",
    "<style>*{display:none}</style>",
    "<marquee onstart=alert(1)>",
    "<input autofocus onfocus=alert(1)>",
    "<object data=javascript:alert(1)>",
    "<base href=//evil.example/>",
    '=HYPERLINK("http://evil.example","x")',
    "[x](javascript:alert(1))",
)
#: How the import stores a payload: as given, a formula with a leading ' (docs/imports.md).
STORED = tuple("'" + p if p.startswith(("=", "+", "-", "@")) else p for p in PAYLOADS)
PAGE_ROWS = 15  # rows per page of a record list
CODES = [f"{YUDU}-2024-9{i:04d}" for i in range(len(PAYLOADS))]  # of the projects; ZC- and these for the assets

# The text of every visible cell of the page's tables, shadow roots included.
CELLS_JS = """() => {
  const out = [];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      if (el.classList && el.classList.contains('tabulator-cell') && el.checkVisibility()) out.push(el.textContent);
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return out;
}"""

# What the payloads would leave behind if any were parsed as markup, shadow roots included.
INJECTED_JS = """() => {
  const found = [];
  const tags = new Set(['IFRAME', 'OBJECT', 'EMBED', 'MARQUEE', 'DETAILS', 'MATH', 'MGLYPH', 'BASE']);
  const urlish = ['href', 'src', 'data', 'action', 'formaction', 'xlink:href'];
  const walk = (root) => {
    for (const el of root.querySelectorAll('*')) {
      const tag = (el.tagName || '').toUpperCase();
      if (tags.has(tag)) found.push(tag);
      if (tag === 'IMG' && el.getAttribute('src') === 'x') found.push('IMG src=x');
      if (tag === 'SCRIPT' && el.textContent.includes('alert(1)')) found.push('SCRIPT alert');
      if (tag === 'STYLE' && el.textContent.includes('*{display:none}')) found.push('STYLE display:none');
      if (tag === 'INPUT' && el.hasAttribute('onfocus')) found.push('INPUT onfocus');
      for (const attr of el.attributes || []) {
        const name = attr.name.toLowerCase(), value = attr.value.toLowerCase();
        if (name.startsWith('on') && value.includes('alert')) found.push(tag + ' ' + name);
        if (urlish.includes(name) && (value.startsWith('javascript:') || value.includes('evil.example'))) {
          found.push(tag + ' ' + name + '=' + value);
        }
      }
      if (el.shadowRoot) walk(el.shadowRoot);
    }
  };
  walk(document);
  return found;
}"""


def write_csv(path, header: list[str], rows: list[list[object]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)


@pytest.fixture(scope="module")
def planted(tmp_path_factory):
    """A demo-mode server whose database holds a project and an asset per payload in one village
    of 于都县: (server, database path, township code, village code)."""
    folder = tmp_path_factory.mktemp("xss")
    path = folder / "xss.db"
    engine = db.get_engine(str(path), create=True)
    schema.upgrade(engine)
    demo.load_demo(engine, scale=DEMO_SCALE)
    villages = regions_frame(engine, Scope.county(YUDU), level="village").sort_values("code")
    village = villages.iloc[0]
    townships = regions_frame(engine, Scope.county(YUDU), level="township")
    township = townships.loc[townships["code"] == village["parent_code"]].iloc[0]
    engine.dispose()
    write_csv(folder / "projects.csv",
              ["项目编号", "项目名称", "县（市、区）", "乡镇", "村", "项目类别", "预算金额（元）", "项目状态", "开工年度",
               "完工年度", "已入库", "入库编号"],
              [[code, payload, "于都县", township["name"], village["name"], "产业发展", 90_000_000 - 1000 * i, "在建",
                2024, "", "否", ""] for i, (code, payload) in enumerate(zip(CODES, PAYLOADS, strict=True))])
    write_csv(folder / "assets.csv",
              ["资产编号", "资产名称", "项目编号", "县（市、区）", "村", "资产类别", "资产子类", "资产价值（元）", "形成日期",
               "产权归属", "管护主体", "资产状态"],
              [[f"ZC-{code}", payload, code, "于都县", village["name"], "经营性资产", "扶贫车间", 80_000_000 - 1000 * i,
                "2024-06-30", "村集体", payload, "在用"]
               for i, (code, payload) in enumerate(zip(CODES, PAYLOADS, strict=True))])
    for kind in ("projects", "assets"):
        done = fundwatch("import", kind, str(folder / f"{kind}.csv"), "--county", YUDU, "--format", "json",
                         "--db", str(path))
        summary = json.loads(done.stdout)[0] if done.stdout.startswith("[") else {}
        assert done.returncode == 0 and summary.get("inserted") == len(PAYLOADS), done.stdout + done.stderr
    served = Server(path).wait()
    try:
        yield served, path, township["code"], village["code"]
    finally:
        out = served.stop()
        assert "Traceback" not in out, out


def cells(page) -> list[str]:
    return page.evaluate(CELLS_JS)


def wait_for_cell(page, text: str) -> None:
    page.wait_for_function(f"() => ({CELLS_JS})().includes({json.dumps(text)})", timeout=READY)


def inert(page, dialogs: list[str]) -> None:
    """Nothing ran and nothing was injected (checked after every change of the rows shown: a page
    turn replaces the rows, and anything they had injected with them)."""
    page.wait_for_timeout(300)  # an autofocus, a toggle or an onerror would have fired by now
    assert dialogs == []
    assert page.evaluate(INJECTED_JS) == []


def test_stored_payloads_are_shown_as_text_and_never_run(planted, watched):
    served, _, township, village = planted
    page = watched.page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{served.url}/county?county={YUDU}&township={township}&village={village}&year=2024", timeout=READY)
    settle(page)

    wait_for_cell(page, STORED[0])  # the projects list, highest budgets first
    assert [p for p in STORED[:PAGE_ROWS] if p not in cells(page)] == []
    inert(page, dialogs)
    screenshot(page, "xss-projects")
    page.get_by_role("button", name="下一页").locator("visible=true").first.click()  # the projects' pager
    wait_for_cell(page, STORED[-1])
    assert [p for p in STORED[PAGE_ROWS:] if p not in cells(page)] == []
    inert(page, dialogs)

    page.get_by_role("button", name="资产", exact=True).first.click()
    wait_for_cell(page, f"ZC-{CODES[0]}")  # the assets list is shown
    shown = cells(page)
    assert [p for p in STORED[:PAGE_ROWS] if p not in shown] == []
    assert shown.count(STORED[0]) == 2  # as the name and as the custodian
    inert(page, dialogs)
    assert page.evaluate("() => document.baseURI").startswith(served.url)

    # The checks see what they look for: one payload put into a shadow root as markup runs and is found.
    page.evaluate("""() => {
      const host = [...document.querySelectorAll('*')].find(el => el.shadowRoot);
      const planted = document.createElement('div');
      planted.innerHTML = '<details open ontoggle=alert(1)>x</details>';
      host.shadowRoot.appendChild(planted);
    }""")
    page.wait_for_timeout(300)
    assert dialogs == ["1"]
    assert {"DETAILS", "DETAILS ontoggle"} <= set(page.evaluate(INJECTED_JS))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_exports_keep_the_payloads_as_text(planted, tmp_path, fmt):
    _, path, township, village = planted
    out = tmp_path / f"projects.{fmt}"
    done = fundwatch("export", "projects", "--county", YUDU, "--township", township, "--village", village,
                     "--format", fmt, "--out", str(out), "--db", str(path))
    assert done.returncode == 0, done.stderr
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
        values = [value for row in rows if row and not row[0].startswith("#") for value in row]
    else:
        sheet = openpyxl.load_workbook(out).worksheets[0]
        assert not [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
        values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert [p for p in STORED if p not in values] == []
    assert '\'=HYPERLINK("http://evil.example","x")' in values
    assert not [v for v in values if v[:1] in ("=", "+", "-", "@")]
