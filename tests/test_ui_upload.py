"""The upload page in Debian's Chromium (Playwright): a file with errors is refused with its rows
and Chinese messages, a valid one is confirmed, and the progress bar moves while a 50,000-row file
is checked; no console error and no request leaving the machine (the guards of ``test_ui``).
The screenshot goes to ``test-artifacts/upload.png``.
"""

from __future__ import annotations

import csv
import io
import time

import pytest
from dashboard_fixtures import _fresh_caches, own_server  # noqa: F401
from test_ui import READY, browser, screenshot, settle, wait_for_text, watched  # noqa: F401

from fundwatch.data.imports import KINDS

pytestmark = [pytest.mark.ui, pytest.mark.slow]


@pytest.fixture(scope="module")
def upload_server(tmp_path_factory):
    """A server on a demo database of its own: the test imports into it."""
    with own_server(tmp_path_factory, "upload-ui") as served:
        yield served


def csv_file(path, kind: str, rows: list[list]) -> str:
    """A CSV of ``kind`` with the template's Chinese headers, as Excel saves it (UTF-8 with BOM)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([f.header("zh") for f in KINDS[kind].fields])
    writer.writerows(rows)
    path.write_bytes(("\ufeff" + out.getvalue()).encode("utf-8"))
    return str(path)


def open_upload(page, url: str) -> None:
    page.goto(url + "/upload", timeout=READY)
    settle(page, "input[type=file]")


def summary(page, tone: str, text: str) -> str:
    found = page.locator(f".fw-upload-summary.{tone}", has_text=text).first
    found.wait_for(timeout=READY)
    return found.inner_text()


def test_a_bad_file_is_refused_row_by_row_and_a_good_one_is_imported(upload_server, watched, tmp_path):
    page = watched.page
    open_upload(page, upload_server.url)
    wait_for_text(page, ".fw-nav a.active", "数据导入")  # the navigation marks the page (it may draw after the form)
    page.locator("select").first.select_option(label="农村低保标准")
    wait_for_text(page, ".fw-note", "各县每年的农村低保标准")

    bad = csv_file(tmp_path / "低保标准-有错.csv", "dibao_standards",
                   [["于都县", 2029, "9000"], ["于都县", 2028, "abc"], ["不存在县", 2029, "9000"]])
    page.locator("input[type=file]").set_input_files(bad)
    assert "未导入" in summary(page, "bad", "农村低保标准")
    problems = page.locator(".tabulator-row")
    problems.first.wait_for(timeout=READY)
    rows = [(row.locator('[tabulator-field="row"]').inner_text().strip(),
             row.locator('[tabulator-field="message"]').inner_text().strip()) for row in problems.all()]
    assert ("3", "应为数字") in rows and ("4", "找不到县（市、区）「不存在县」") in rows
    assert page.get_by_role("button", name="确认导入").is_disabled()

    good = csv_file(tmp_path / "低保标准.csv", "dibao_standards",
                    [["于都县", 2029, "9,000.00"], ["360732", 2029, "9100"]])
    page.locator("input[type=file]").set_input_files(good)
    assert "将新增 2 行" in summary(page, "ok", "检查通过")
    confirm = page.get_by_role("button", name="确认导入")
    confirm.click(timeout=READY)  # waits until the passing check has enabled it
    wait_for_text(page, ".fw-upload-status", "导入成功")
    assert "已导入" in summary(page, "ok", "已导入")
    assert confirm.is_disabled()
    screenshot(page, "upload")


def test_the_progress_bar_moves_while_a_large_file_is_checked(upload_server, watched, tmp_path):
    page = watched.page
    open_upload(page, upload_server.url)
    rows = [["于都县", 2024, "县级", "财政专项扶贫资金", "1000", f"于财农指〔2024〕UI-{i + 1}号", "2024-03-01", "否", "否", ""]
            for i in range(50_000)]
    large = csv_file(tmp_path / "资金下达-5万行.csv", "allocations", rows)
    page.locator("input[type=file]").set_input_files(large)
    bar = page.locator("progress").first
    bar.wait_for(timeout=READY)
    seen = []
    deadline = time.monotonic() + READY / 1000
    while time.monotonic() < deadline:
        seen.append(bar.evaluate("e => e.value"))
        if page.locator(".fw-upload-summary.ok").count():
            break
        time.sleep(0.1)
    assert "读取 50000 行，将新增 50000 行" in summary(page, "ok", "检查通过")
    assert bar.evaluate("e => e.value") == 100
    assert any(0 < value < 100 for value in seen), f"the bar only showed {sorted(set(seen))}"
    assert len({value for value in seen if 0 < value < 100}) >= 3, "several steps reached the browser"
