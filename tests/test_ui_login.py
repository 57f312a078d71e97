"""Signing in with Debian's Chromium (Playwright) on a login-mode server with two worker processes:
the Chinese login form, a wrong password, the signed-in navigation bar, signing out, and an open
page that ends itself when its session is ended elsewhere (another tab's logout).  No console
error and no request leaving the machine (the guards of ``test_ui``).
"""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

import pytest
from dashboard_fixtures import Server, _fresh_caches, own_demo_database  # noqa: F401
from test_ui import READY, STATE, browser, screenshot, settle, watched  # noqa: F401

from fundwatch.dashboards import auth

pytestmark = [pytest.mark.ui, pytest.mark.slow]
SECRET = "ui-login-secret-" + "u" * 40
PASSWORD = "Ganzhou-Ui-Pass-2024!"


@pytest.fixture(scope="module")
def login_server(tmp_path_factory):
    """A login-mode server with ``--num-procs 2`` whose open pages re-check their session every second."""
    path = own_demo_database(tmp_path_factory, "ui-login", [("yudu", "county_official", "360731")], PASSWORD)
    served = Server(path, "--num-procs", "2", env={auth.ENV_SECRET: SECRET, auth.ENV_RECHECK: "1"}).wait()
    try:
        yield served
    finally:
        out = served.stop()
        assert "Traceback" not in out, out


def sign_in(page, base: str, password: str = PASSWORD) -> None:
    page.locator("#username").fill("yudu")
    page.locator("#password").fill(password)
    page.get_by_role("button", name="登录").click()


def logout_elsewhere(base: str, cookie: str) -> int:
    """What another tab's 退出登录 does: GET /logout with the same cookie."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    conn.request("GET", "/logout", headers={"Cookie": f"{auth.COOKIE}={cookie}"})
    status = conn.getresponse().status
    conn.close()
    return status


def test_signing_in_and_an_open_page_ends_when_its_session_ends(login_server, watched):
    page = watched.page
    page.goto(f"{login_server.url}/overview?{STATE}", timeout=READY)
    page.wait_for_url("**/login?**", timeout=READY)
    assert page.locator("h1").inner_text() == "登录"
    sign_in(page, login_server.url, password="wrong-password-1")
    assert page.locator(".error").inner_text() == "用户名或密码错误"
    # the refused form comes back with status 401, which Chromium logs as a failed load
    assert watched.errors == ["Failed to load resource: the server responded with a status of 401 (Unauthorized)"]
    watched.errors.clear()
    sign_in(page, login_server.url)
    page.wait_for_url("**/overview?**", timeout=READY)
    settle(page)
    user = page.locator(".fw-user").inner_text()
    assert "测试 yudu" in user and "县级工作人员" in user and "于都县" in user
    assert page.locator(".fw-demo").count() == 0
    screenshot(page, "signed-in")
    (cookie,) = [c for c in watched.context.cookies() if c["name"] == auth.COOKIE]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    assert logout_elsewhere(login_server.url, cookie["value"]) == 302
    page.wait_for_url("**/login?next=%2Foverview**", timeout=30_000)  # the open page noticed
    assert page.locator("h1").inner_text() == "登录"
    # the replayed cookie opens nothing either
    page.context.add_cookies([{"name": auth.COOKIE, "value": cookie["value"], "url": login_server.url}])
    page.goto(f"{login_server.url}/county?{STATE}", timeout=READY)
    page.wait_for_url("**/login?**", timeout=READY)


def test_signing_out_from_the_navigation_bar(login_server, watched):
    page = watched.page
    page.goto(f"{login_server.url}/login?next=%2Ftransition", timeout=READY)
    sign_in(page, login_server.url)
    page.wait_for_url("**/transition**", timeout=READY)
    settle(page, ".fw-user")
    page.locator("a.fw-logout").click()
    page.wait_for_url("**/login**", timeout=READY)
    assert not [c for c in watched.context.cookies() if c["name"] == auth.COOKIE]
    page.goto(f"{login_server.url}/transition", timeout=READY)
    page.wait_for_url("**/login?**", timeout=READY)
