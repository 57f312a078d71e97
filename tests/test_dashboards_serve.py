"""``fundwatch serve`` as a browser meets it: every page over HTTP, then its document over the
websocket (a URL with state included), with the real numbers of the demo database."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
from urllib.parse import parse_qsl, urlsplit

import panel.models.tabulator  # noqa: F401 - the client must know Panel's models to read a document
import pytest
from sqlalchemy import select
from bokeh.client import pull_session
from tornado.httpclient import AsyncHTTPClient
from dashboard_fixtures import Server, _fresh_caches, demo_db, engine, fetch, server  # noqa: F401
from idscan import find_ids

from benchmarks import load
from fundwatch.components import cards, i18n  # noqa: F401 - cards: the client must know the custom models too
from fundwatch.components.stores import CountyStore, OverviewStore
from fundwatch.components.transition import TransitionStore
from fundwatch.data.models import Household
from fundwatch.data.scope import Scope

pytestmark = pytest.mark.slow
PAGES = ("/", "/overview", "/county", "/transition", "/scoring", "/upload", "/audit")
YUDU = "360731"


def document_text(base: str, url: str) -> str:
    """The session document a browser opening ``url`` gets, as readable JSON text."""
    parts = urlsplit(url)
    with pull_session(url=base + parts.path, arguments=dict(parse_qsl(parts.query))) as session:
        return json.dumps(session.document.to_json(), ensure_ascii=False, default=str)


def opened(base: str, path: str) -> tuple[str, dict]:
    """The HTML and the document (``PULL-DOC-REPLY``) a browser opening ``path`` gets."""
    async def open_page():
        http = AsyncHTTPClient(force_instance=True)
        try:
            return await load.page_document(http, base, path)
        finally:
            http.close()

    return asyncio.run(open_page())


def external_references(html: str) -> list[str]:
    """src/href attributes that leave the machine (anything but relative or loopback URLs)."""
    urls = re.findall(r'(?:src|href)="((?:https?:)?//[^"]*)"', html)
    return [u for u in urls if not re.match(r"(https?:)?//(127\.0\.0\.1|localhost)[:/]", u)]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_is_served_without_web_resources(server, path):
    status, html = fetch(server.url + path)
    assert status == 200
    assert external_references(html) == []
    assert "<title>赣州市扶贫资金监管平台</title>" in html


def test_the_overview_carries_the_prefectures_numbers(server, engine):
    text = document_text(server.url, "/overview?year=2024&as_of=2024-06-30")
    store = OverviewStore(engine=engine, scope=Scope.all(), year=2024, as_of=dt.date(2024, 6, 30))
    assert i18n.money(store.headline["funds_total"], "zh") in text
    assert i18n.pct(store.headline["rate"]) in text
    assert "各县（市、区）排名" in text and "于都县" in text


def test_a_url_with_state_reproduces_the_drill_down(server, engine):
    township = CountyStore(engine=engine, scope=Scope.all(), county=YUDU).townships["code"].iloc[0]
    url = f"/county?year=2020&as_of=2020-06-30&county={YUDU}&township={township}&lang=en"
    text = document_text(server.url, url)
    store = CountyStore(engine=engine, scope=Scope.all(), year=2020, as_of=dt.date(2020, 6, 30), county=YUDU,
                        township=township, lang="en")
    assert store.level == "township"
    assert "County drill-down" in text and "Villages" in text
    assert i18n.pct(store.headline["rate"]) in text
    assert i18n.money(store.headline["funds_total"], "en") in text
    assert store.name_of(township) in text


def test_the_scoring_page_shows_the_clis_ranking(server, engine):
    from fundwatch.data.rubric import unit_scores

    text = document_text(server.url, "/scoring?rubric=chaoyang-2020-sector&year=2020&unit=360731&lang=en")
    _, scores = unit_scores(engine, Scope.all(), "chaoyang-2020-sector", 2020)
    yudu = next(s for s in scores if s.unit_code == YUDU)
    assert "Assessment of sector poverty-alleviation work · ranking 2020" in text
    assert "于都县 · scorecard 2020" in text
    assert f"{yudu.total:.2f}" in text and f"rank {yudu.rank} of 20" in text
    for s in scores:
        assert f"{s.total:.2f}" in text


def test_several_worker_processes_serve_the_same_pages(demo_db):
    served = Server(demo_db, "--num-procs", "2").wait()
    try:
        for path in ("/", "/", "/county?county=360732"):
            assert fetch(served.url + path)[0] == 200
        assert "兴国县" in document_text(served.url, "/county?county=360732")
    finally:
        output = served.stop()
    assert output.count("fundwatch: serving") == 1, output


def test_the_transition_url_reproduces_yudu_without_personal_data(server, engine):
    url = f"/transition?county={YUDU}&year=2024&as_of=2024-06-30"
    text = document_text(server.url, url)
    store = TransitionStore(engine=engine, scope=Scope.all(), year=2024, as_of=dt.date(2024, 6, 30), county=YUDU)
    assert "过渡期监测" in text and "于都县" in text
    assert "未完成识别录入的监测对象" in text and "已逾期" in text
    masked = set(store.open_cases["head_id_no"])
    assert masked and all(m in text for m in masked)
    assert "衔接资金用于产业发展的比例" in text
    with engine.connect() as conn:
        rows = conn.execute(select(Household.head_name, Household.head_id_no).where(Household.county_code == YUDU)).all()
    assert rows
    assert [i for _, i in rows if i in text] == []
    assert [n for n, _ in rows if len(n) > 1 and n in text] == []
    assert find_ids(text) == []  # any valid ID number, not just those on record
    again = document_text(server.url, url)  # the same link, a new session: the same view
    assert "已逾期" in again and all(m in again for m in masked)


@pytest.mark.parametrize("path", PAGES)
def test_a_pages_html_is_a_shell_with_a_place_for_each_root(server, path):
    """The HTML comes from a kept shell, never from a viewer's session: no data in it, and one
    placeholder for each root of the document the websocket then brings, in either language."""
    for query in ("", "?lang=en"):
        html, content = opened(server.url, path + query)
        placeholders = json.loads(re.search(r'"roots":(\{[^}]*\})', html).group(1))
        assert len(placeholders) == len(content["doc"]["roots"]) == 3
        assert "fw-" not in html and "于都县" not in html
        assert "fw-" in json.dumps(content, ensure_ascii=False)


def test_a_page_opened_from_its_html_shows_what_its_url_asks(server, engine):
    """The session is built when the websocket arrives, from the token the HTML carried: the page
    still opens on the URL's year, county and language, and knows its own address."""
    html, content = opened(server.url, f"/county?year=2020&as_of=2020-06-30&county={YUDU}&lang=en")
    text = json.dumps(content, ensure_ascii=False)
    store = CountyStore(engine=engine, scope=Scope.all(), year=2020, as_of=dt.date(2020, 6, 30), county=YUDU,
                        lang="en")
    assert "County drill-down" in text and "year=2020&amp;as_of=2020-06-30" in text
    assert i18n.money(store.headline["funds_total"], "en") in text
    location = next(r["attributes"] for r in content["doc"]["roots"] if r["name"].endswith(".Location"))
    assert location["pathname"] == "/county"
    assert dict(parse_qsl(location["search"].removeprefix("?"))) == {
        "year": "2020", "as_of": "2020-06-30", "county": YUDU, "lang": "en"}
