"""County isolation and masking on everything the server hands out, role by role.

One login-mode server on a demo database of its own, with an account per role made by ``fundwatch
user add``: ``leader`` (city leader), ``analyst``, ``admin`` (data administrator), ``yudu`` and
``xingguo`` (county officials of 于都县 360731 and 兴国县 360732) and ``lost``, a county official
whose county does not exist.  ``user add`` refuses such a county (asserted below), so ``lost`` is
made for 于都县 and its row then pointed at 369999, a code no region has (what a hand-edited row or
a county code later removed from the region table leaves): the application must fail closed.

For every role and every surface (:data:`SURFACES`: the pages of
:data:`fundwatch.dashboards.app.ROUTES`, each with URL parameters that ask for another county's
county, township and village) the test fetches the page over HTTP with the session cookie and
then opens the page's own websocket with the token of that page, as the browser does, and reads
every frame the server sends (the document and anything after it).  Over all of it:

- a page the role may not open (:func:`fundwatch.dashboards.app.role_may_open`) carries the
  refusal and no data: no table, no plot, no region name, no count;
- a county official gets no name of a township or village that exists only in another county, no
  village code of another county and no other county's name; ``lost`` gets nothing of any county;
- the city roles get every county on ``/overview``;
- the record lists of ``/county`` announce exactly the number of records the data layer counts for
  the county shown (the official's own county whatever the URL asks; 于都县 for the city roles);
- no valid 18-digit ID number (GB 11643, :mod:`idscan`) is sent to anybody: pages are masked.

Exports go through ``fundwatch export KIND --user NAME``: each county official gets their own
county's rows and a one-line refusal (audited) for the other county, ``lost`` is refused
everything, and no file, stdout or stderr holds an ID number.  Without a session no route of any
surface (page, ``autoload.js``, websocket) gives data; with one, ``autoload.js`` serves embeddable
pages only; a page's token (readable in the page) opens its websocket for the account that opened
the page and nobody else.  The scanner is proved on a real ID number
unmasked by the data administrator, and the unmasking done through the audit page's websocket
reaches that one session only.  Last, the server's own output holds no ID number.

The embeddable panels (``/embed/<panel>``) are routes of ``ROUTES`` and so surfaces like any
page: every check above runs on each of them for every role (a route served elsewhere would be
listed in :data:`EMBEDS`).  The embed viewer opens them with the prefecture's aggregates only.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import html
import io
import json
import re
import sqlite3
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from urllib.parse import urlencode

import openpyxl
import pytest
from cli_run import fundwatch
from dashboard_fixtures import DEMO_SCALE, Server, _fresh_caches  # noqa: F401
from idscan import find_ids, find_ids_in, masked_ids
from test_auth_serve import PASSWORD, SECRET, Browser, session_cookie, websocket_handshake
from tornado.httpclient import HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from fundwatch.components import audit as audit_desk  # noqa: F401 - registers the audit page's words
from fundwatch.components.i18n import t
from fundwatch.components.present import RECORD_TITLES
from fundwatch.dashboards import app, auth
from fundwatch.data import db, demo, reads, schema
from fundwatch.data.access import audit_frame, get_user, unmask_record
from fundwatch.data.masking import mask_id
from fundwatch.data.reads import regions_frame
from fundwatch.data.scope import Scope

pytestmark = pytest.mark.slow

YUDU, XINGGUO, NOWHERE = "360731", "360732", "369999"
#: username -> (role, county code given to ``user add``)
USERS = {"leader": ("city_leader", None), "analyst": ("analyst", None), "admin": ("data_admin", None),
         "yudu": ("county_official", YUDU), "xingguo": ("county_official", XINGGUO),
         "lost": ("county_official", YUDU),  # then moved to NOWHERE (see the module docstring)
         "embed": ("embed_viewer", None)}
OWN = {"yudu": YUDU, "xingguo": XINGGUO}
CITY = ("leader", "analyst", "admin")
#: Embeddable panels served outside ``ROUTES`` (none yet): one path each, e.g. "/embed/county_map".
EMBEDS: tuple[str, ...] = ()
SURFACES: tuple[str, ...] = (*app.ROUTES, *EMBEDS)
#: The county whose places a user's URLs ask for: another county for the officials and ``lost``.
ASKS = {"yudu": XINGGUO, "xingguo": YUDU, "lost": YUDU, "leader": YUDU, "analyst": YUDU, "admin": YUDU,
        "embed": YUDU}
RECORD_READS = {"projects": reads.projects_frame, "loans": reads.loans_frame, "assets": reads.assets_frame,
                "households": reads.households_frame}
REFUSED = t("auth.refused_role", "zh")
TOKEN = re.compile(r'"token":\s*"([^"]+)"')
WS_MAX = 64 * 1024 * 1024
LOCATION = "panel.models.location.Location"


# -- the server's websocket, as the browser speaks it ------------------------------------------

async def _receive(conn, frames: list) -> tuple[dict, dict]:
    """One Bokeh protocol message (header, metadata, content, buffers), its frames kept."""
    raw = await conn.read_message()
    if raw is None:
        raise ConnectionError("the server closed the websocket")
    header = json.loads(raw)
    parts = [raw, await conn.read_message(), await conn.read_message()]
    for _ in range(2 * header.get("num_buffers", 0)):
        parts.append(await conn.read_message())
    frames.extend(parts)
    if header["msgtype"] == "ERROR":
        raise RuntimeError(f"the server answered with an error: {parts[2]}")
    return header, json.loads(parts[2])


async def _send(conn, msgid: str, msgtype: str, content: dict) -> None:
    for part in ({"msgid": msgid, "msgtype": msgtype}, {}, content):
        await conn.write_message(json.dumps(part))


class Wire:
    """A page's websocket opened with the page's token (and a cookie), as the browser opens it."""

    def __init__(self, conn, timeout: float):
        self.conn, self.timeout = conn, timeout
        self.frames: list = []  # up to the document
        self.later: list = []  # after it
        self.doc: dict = {}
        self.ended = False  # the server closed the connection

    @classmethod
    async def open(cls, url: str, token: str, cookie: str | None, timeout: float) -> Wire:
        """Connect, wait for the ACK and pull the document (ConnectionError if the server closes)."""
        headers = {"Cookie": cookie} if cookie else {}
        conn = await websocket_connect(HTTPRequest(url, headers=headers, request_timeout=timeout),
                                       subprotocols=["bokeh", token], max_message_size=WS_MAX)
        wire = cls(conn, timeout)
        try:
            header, _ = await wire.receive(wire.frames)
            assert header["msgtype"] == "ACK"
            await wire.send("pull", "PULL-DOC-REQ", {})
            while True:
                header, content = await wire.receive(wire.frames)
                if header["msgtype"] == "PULL-DOC-REPLY":
                    wire.doc = content["doc"]
                    return wire
        except BaseException:
            await wire.close()
            raise

    async def receive(self, frames: list) -> tuple[dict, dict]:
        return await asyncio.wait_for(self._receive(frames), self.timeout)

    async def _receive(self, frames: list) -> tuple[dict, dict]:
        try:
            return await _receive(self.conn, frames)
        except ConnectionError:
            self.ended = True
            raise

    async def send(self, msgid: str, msgtype: str, content: dict) -> None:
        await _send(self.conn, msgid, msgtype, content)

    async def act(self, events: list, until: Callable[[list], bool]) -> None:
        """Send ``events`` as the browser's PATCH-DOC and read what follows until ``until(later)``."""
        await self.send("act", "PATCH-DOC", {"events": events})
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while not until(self.later):
            await asyncio.wait_for(self._receive(self.later), max(0.1, deadline - loop.time()))

    async def close(self) -> None:
        """Close, and wait for the server's answer: no socket is left to the garbage collector."""
        self.conn.close()
        try:
            while not self.ended and await asyncio.wait_for(self.conn.read_message(), self.timeout) is not None:
                pass
        except (TimeoutError, asyncio.TimeoutError):
            pass
        self.ended = True


async def _exchange(url: str, token: str, cookie: str | None, act: Callable[[dict], list] | None,
                    until: Callable[[list], bool] | None, timeout: float) -> tuple[list, dict, list]:
    """Open the page's websocket, pull its document, optionally act on it; everything received."""
    wire = await Wire.open(url, token, cookie, timeout)
    try:
        if act is not None:
            await wire.act(act(wire.doc), until)
    finally:
        await wire.close()
    return wire.frames, wire.doc, wire.later


def models(doc) -> list[dict]:
    """Every model of a serialised Bokeh document (or part of one)."""
    found = []

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "object" and "id" in node and "name" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)
    return found


def _without_echo(node):
    """``node`` without the page's own URL (``href`` and ``search`` of Panel's Location model): the
    parameters the viewer typed come back there, whatever the page made of them."""
    if isinstance(node, dict):
        if node.get("name") == LOCATION and isinstance(node.get("attributes"), dict):
            node = {**node, "attributes": {k: v for k, v in node["attributes"].items() if k not in ("href", "search")}}
        return {key: _without_echo(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_without_echo(value) for value in node]
    return node


def readable(items) -> str:
    """What was sent, as a person would read it: JSON decoded (Chinese as characters), HTML entities
    resolved, the page's own URL left out (:func:`_without_echo`); binary buffers left out (the ID
    scan reads every frame raw)."""
    out = []
    for item in items:
        if isinstance(item, bytes):
            continue
        try:
            out.append(json.dumps(_without_echo(json.loads(item)), ensure_ascii=False))
        except ValueError:
            out.append(item)
    return html.unescape("\n".join(out))


@dataclass
class Sent:
    """What one page load gave a browser: the HTTP answer and every websocket frame after it."""

    status: int
    body: bytes
    frames: list
    doc: dict
    later: list = field(default_factory=list)

    @functools.cached_property
    def text(self) -> str:
        return readable([self.body.decode("utf-8", errors="replace"), *self.frames, *self.later])

    @property
    def raw(self) -> list:
        return [self.body, *self.frames, *self.later]

    @functools.cached_property
    def model_names(self) -> set[str]:
        return {m["name"] for m in models(self.doc)}


class Matrix:
    """The server, its database, the region tree and a signed-in client per user."""

    def __init__(self, served: Server, path, places: Places):
        self.served, self.url, self.db, self.places = served, served.url, path, places
        self._browsers: dict[str, Browser] = {}
        self._sent: dict[tuple[str, str], Sent] = {}
        self.exports: dict = {}  # (user, kind, county, format) -> the future of its run (see EXPORTS)

    def browser(self, user: str) -> Browser:
        if user not in self._browsers:
            browser = Browser(self.url)
            status, _, _ = browser.login(user)
            assert status == 302, f"{user} could not sign in"
            self._browsers[user] = browser
        return self._browsers[user]

    def open(self, user: str, target: str, *, act=None, until=None, timeout: float = 120) -> Sent:
        """GET ``target`` (a page, or its ``autoload.js``) with ``user``'s cookie, then open the
        websocket of the session that answer created, as the browser would."""
        browser = self.browser(user)
        status, _, body = browser.get(target)
        assert status == 200, (user, target, status)
        path = target.split("?")[0].removesuffix("/autoload.js")
        ws = self.url.replace("http://", "ws://") + ("" if path == "/" else path) + "/ws"
        token = TOKEN.search(body.decode()).group(1)
        frames, doc, later = asyncio.run(_exchange(ws, token, session_cookie(browser), act, until, timeout))
        return Sent(status, body, frames, doc, later)

    def page(self, user: str, path: str) -> Sent:
        """``path`` as ``user`` opens it, asking for the places of :data:`ASKS` (fetched once)."""
        if (user, path) not in self._sent:
            self._sent[user, path] = self.open(user, f"{path}?{urlencode(self.query(user))}")
        return self._sent[user, path]

    def query(self, user: str) -> dict:
        """The URL parameters of ``user``'s pages: the county of :data:`ASKS` and, for the county
        roles, one of its townships and villages."""
        county = ASKS[user]
        values = {"year": "2024", "county": county}
        if user not in CITY and user != "embed":
            values["township"], values["village"] = self.places.ask[county]
        return values

    def leaks(self, text: str, county: str | None) -> dict[str, list[str]]:
        """Names and codes of regions outside ``county`` (of every region for None) in ``text``."""
        places = self.places
        townships = set().union(*(c for code, c in places.township_codes.items() if code != county))
        return {
            "counties": [name for code, name in places.county_names.items() if code != county and name in text],
            "places": sorted(name for name in places.foreign_names(county) if name in text),
            "village codes": sorted(code for code in places.foreign_codes(county) if code in text),
            "township codes": sorted(set(re.findall(r"(?<!\d)\d{9}(?:\d{2})?(?!\d)", text)) & townships),
        }


@dataclass(frozen=True)
class Places:
    """The region tree as the data layer reads it."""

    names: dict[str, set[str]]  # county code -> names of its townships and villages
    county_names: dict[str, str]  # county code -> name
    village_codes: dict[str, set[str]]  # county code -> codes of its villages
    township_codes: dict[str, set[str]]
    ask: dict[str, tuple[str, str]]  # county code -> (a township, one of its villages)

    def foreign_names(self, county: str | None) -> set[str]:
        """Township and village names that exist only outside ``county`` (every one for None),
        leaving out the few contained in a name the county may show."""
        own = (self.names[county] | {self.county_names[county]}) if county else set()
        others = set().union(*(n for code, n in self.names.items() if code != county)) - own
        return {name for name in others if not any(name in mine for mine in own)}

    def foreign_codes(self, county: str | None) -> set[str]:
        return set().union(*(c for code, c in self.village_codes.items() if code != county))


#: (user, kind, county, format) -> the county whose rows the file holds, or None for a refusal.
EXPORTS = {
    **{(user, "household_records", YUDU, "csv"): YUDU for user in CITY},
    **{(user, "county_ranking", None, "csv"): "*" for user in CITY},
    ("yudu", "household_records", YUDU, "csv"): YUDU,
    ("yudu", "household_records", YUDU, "xlsx"): YUDU,
    ("yudu", "household_records", XINGGUO, "csv"): None,
    ("yudu", "county_ranking", None, "csv"): YUDU,
    ("xingguo", "household_records", XINGGUO, "csv"): XINGGUO,
    ("xingguo", "subregions", YUDU, "csv"): None,
    ("lost", "household_records", YUDU, "csv"): None,
    ("lost", "county_ranking", None, "csv"): None,
}


@dataclass
class Exported:
    """One ``fundwatch export`` run: the command's result and the file it wrote (None: no file)."""

    done: object
    data: bytes | None


def export(database, folder, key) -> Exported:
    """``fundwatch export KIND --user NAME [--county C]`` into a file of ``folder``."""
    user, kind, county, fmt = key
    where = ("--county", county) if county else ()
    out = folder / f"{'-'.join(filter(None, key))}.{fmt}"
    done = fundwatch("export", kind, "--user", user, *where, "--format", fmt, "--out", str(out), "--db", str(database))
    return Exported(done, out.read_bytes() if out.exists() else None)


@pytest.fixture(scope="module")
def exports(matrix):
    return {key: future.result() for key, future in matrix.exports.items()}


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    path = tmp_path_factory.mktemp("matrix") / "matrix.db"
    engine = db.get_engine(str(path), create=True)
    schema.upgrade(engine)
    demo.load_demo(engine, scale=DEMO_SCALE)
    places = read_places(engine)
    engine.dispose()

    for name, (role, county) in USERS.items():  # one at a time: SQLite takes one writer
        extra = ("--county", county) if county else ()
        done = fundwatch("user", "add", name, "--role", role, *extra, "--display-name", f"测试 {name}",
                         "--db", str(path), password=PASSWORD)
        assert done.returncode == 0, done.stderr
        assert find_ids(done.stdout + done.stderr) == []
    refused = fundwatch("user", "add", "nowhere", "--role", "county_official", "--county", NOWHERE,
                        "--db", str(path), password=PASSWORD)
    assert refused.returncode == 1 and NOWHERE in refused.stderr
    with closing(sqlite3.connect(path)) as conn, conn:  # foreign keys are off on a plain connection
        assert conn.execute("UPDATE app_user SET county_code = ? WHERE username = 'lost'", (NOWHERE,)).rowcount == 1
    served = Server(path, env={auth.ENV_SECRET: SECRET}).wait()
    matrix = Matrix(served, path, places)
    # The exports run one after another beside the page loads (the server takes one core).
    pool = ThreadPoolExecutor(max_workers=1)
    folder = tmp_path_factory.mktemp("exports")
    matrix.exports = {key: pool.submit(export, path, folder, key) for key in EXPORTS}
    try:
        yield matrix
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        out = served.stop()
        assert "Traceback" not in out, out


def read_places(engine) -> Places:
    counties = regions_frame(engine, Scope.all(), level="county")
    names, villages, townships, ask = {}, {}, {}, {}
    for code in counties["code"]:
        regions = regions_frame(engine, Scope.county(code))
        below = regions[regions["level"].isin(["township", "village"])]
        names[code] = set(below["name"])
        villages[code] = set(below.loc[below["level"] == "village", "code"])
        townships[code] = set(below.loc[below["level"] == "township", "code"])
        parents = below.loc[below["level"] == "village"].sort_values("code")
        if len(parents):
            first = parents.iloc[0]
            ask[code] = (first["parent_code"], first["code"])
    return Places(names, dict(zip(counties["code"], counties["name"], strict=True)), villages, townships, ask)


@pytest.fixture(scope="module")
def engine(matrix):
    engine = db.get_engine(str(matrix.db))
    yield engine
    engine.dispose()


def county_of(user: str) -> str | None:
    """The county whose data ``user`` may see (None: every county for city roles, none for lost)."""
    return OWN.get(user)


def record_totals(text: str) -> dict[str, int]:
    """The totals the record lists of ``/county`` announce (第1/N页 · 共T条), by list.  A list off
    screen is read only when it is opened, so the page announces the total of the list shown."""
    totals = {}
    for kind, key in RECORD_TITLES.items():
        # a card's title is sent inside its heading's JSON (quotes escaped) or as a text pane's HTML
        found = re.findall(rf'class=\\?"fw-card-title\\?">{re.escape(t(key, "zh"))}</div>.*?共([\d,]+)条', text, re.S)
        assert len(found) <= 1, (kind, found)
        if found:
            totals[kind] = int(found[0].replace(",", ""))
    assert totals, "no record list announced its total"
    return totals


def expected_totals(engine, county: str, scope: Scope, kinds=RECORD_READS) -> dict[str, int]:
    return {kind: RECORD_READS[kind](engine, scope, region=county, limit=1)[1] for kind in kinds}


NONE = {"counties": [], "places": [], "village codes": [], "township codes": []}


# -- every role x every surface ----------------------------------------------------------------

@pytest.mark.parametrize("path", SURFACES)
@pytest.mark.parametrize("user", list(USERS))
def test_every_role_is_sent_its_own_regions_only(matrix, engine, user, path):
    sent = matrix.page(user, path)
    text = sent.text
    assert matrix.browser(user).cookies[auth.COOKIE] not in text  # the cookie never reaches a script
    assert find_ids_in(sent.raw) == [], "an unmasked ID number was sent"
    if not app.role_may_open(USERS[user][0], path):
        assert REFUSED in text
        assert not {n for n in sent.model_names if "Tabulator" in n or "Figure" in n or "Plot" in n}
        assert not re.search(r"共[\d,]+条", text) and not masked_ids(text)
        assert matrix.leaks(text, None) == NONE
        return
    assert REFUSED not in text
    if user == "embed":  # the embed viewer: the prefecture's aggregates, never a household list
        assert path in ("/", "/overview") or path in app.EMBEDDABLE
        assert not masked_ids(text) and not re.search(r"共[\d,]+条", text)
        if path == "/":  # the landing page offers the overview alone
            assert "/overview" in text and "/county" not in text and "/transition" not in text
        elif path in ("/overview", "/embed/map"):
            assert [name for name in matrix.places.county_names.values() if name not in text] == []
            assert path != "/overview" or "<5" in text
        return
    if user in CITY:
        if path == "/overview":
            assert [name for name in matrix.places.county_names.values() if name not in text] == []
        if path == "/county":
            shown = record_totals(text)
            assert shown == expected_totals(engine, YUDU, Scope.all(), shown)
        return
    county = county_of(user)  # None for lost: nothing of any county
    assert matrix.leaks(text, county) == NONE
    if path == "/county":
        shown = record_totals(text)
        if county is None:
            assert shown == dict.fromkeys(shown, 0)
        else:
            assert shown == expected_totals(engine, county, Scope.county(county), shown)
            assert shown == expected_totals(engine, county, Scope.all(), shown)  # all of the county, not a part
            assert all(total > 0 for total in shown.values())
            assert matrix.places.county_names[county] in text
            assert matrix.places.names[county] & set(re.findall(r"[\u4e00-\u9fff]+", text))  # the county's own places


def test_the_region_scan_finds_another_countys_places(matrix):
    """The same scan run on what the other county's official got (a control of the check itself)."""
    seen_by_xingguo = matrix.page("xingguo", "/county").text
    found = matrix.leaks(seen_by_xingguo, YUDU)
    assert found["counties"] == ["兴国县"] and found["places"]
    # the code detectors, on codes of 兴国县 (the county page shows codes only in lists opened later)
    village = sorted(matrix.places.village_codes[XINGGUO])[0]
    township = sorted(matrix.places.township_codes[XINGGUO])[0]
    codes = matrix.leaks(f"<td>{village}</td><td>{township}</td>", YUDU)
    assert codes["village codes"] == [village] and codes["township codes"] == [township]
    assert matrix.leaks(matrix.page("leader", "/overview").text, None)["counties"]


@pytest.mark.parametrize("path", SURFACES)
def test_the_autoload_route_with_a_session_obeys_the_scope(matrix, path):
    """``<page>/autoload.js`` embeds a page into another site.  With a session: a page that is not
    embeddable answers 404 without a token; an embeddable one (:data:`fundwatch.dashboards.app.EMBEDDABLE`)
    gives a document of the viewer's own county only, whatever its arguments ask."""
    prefix = "" if path == "/" else path
    for user in ("yudu", "lost"):
        arguments = {"bokeh-autoload-element": "x", "bokeh-absolute-url": f"{matrix.url}{prefix}/",
                     **matrix.query(user)}
        target = f"{prefix}/autoload.js?{urlencode(arguments)}"
        if path not in getattr(app, "EMBEDDABLE", ()):
            status, _, body = matrix.browser(user).get(target)
            assert status == 404 and b"token" not in body.lower(), (user, status)
            continue
        sent = matrix.open(user, target)
        assert matrix.leaks(sent.text, county_of(user)) == NONE
        assert find_ids_in(sent.raw) == []


def test_a_stolen_page_token_without_the_cookie_opens_nothing(matrix):
    """The Bokeh token is readable in the page; without the session cookie it opens no websocket."""
    browser = matrix.browser("yudu")
    _, _, body = browser.get("/county?" + urlencode(matrix.query("yudu")))
    token = TOKEN.search(body.decode()).group(1)
    ws = matrix.url.replace("http://", "ws://") + "/county/ws"
    with pytest.raises(HTTPClientError) as refused:
        asyncio.run(_exchange(ws, token, None, None, None, 30))
    assert refused.value.code == 403


def test_a_page_token_with_another_accounts_cookie_opens_nothing(matrix):
    """A session belongs to the account that opened it: while 于都县's official has her page open,
    another signed-in account presenting its token (readable in the page: a shared screen, a proxy
    log) gets no ACK and no document."""
    _, _, body = matrix.browser("yudu").get("/county?" + urlencode(matrix.query("yudu")))
    token = TOKEN.search(body.decode()).group(1)
    ws = matrix.url.replace("http://", "ws://") + "/county/ws"

    async def attempt():
        owner = await Wire.open(ws, token, session_cookie(matrix.browser("yudu")), 60)
        try:
            for intruder in ("lost", "xingguo", "leader"):
                with pytest.raises(ConnectionError):
                    await Wire.open(ws, token, session_cookie(matrix.browser(intruder)), 30)
        finally:
            await owner.close()
        return readable(owner.frames)

    seen = asyncio.run(attempt())
    assert "于都县" in seen and matrix.leaks(seen, YUDU) == NONE  # the owner got her page


# -- without a session -------------------------------------------------------------------------

@pytest.mark.parametrize("path", SURFACES)
def test_without_a_session_no_route_of_a_surface_gives_data(matrix, path):
    browser = Browser(matrix.url)
    status, headers, body = browser.get(f"{path}?{urlencode(matrix.query('leader'))}")
    assert status == 302 and body == b"" and "/login" in headers["Location"]
    prefix = "" if path == "/" else path
    status, _, body = browser.get(f"{prefix}/autoload.js?" + urlencode({
        "bokeh-autoload-element": "x", "bokeh-absolute-url": f"{matrix.url}{prefix}/", "county": YUDU}))
    assert status == 403 and b"token" not in body.lower() and b"bokeh" not in body.lower()
    status, body = websocket_handshake(matrix.url, f"{prefix}/ws")
    assert status == 403 and body == b""


# -- exports ----------------------------------------------------------------------------------

def table_rows(data: bytes, fmt: str) -> list[list[str]]:
    """The table of an export: its rows under the column titles (a CSV's header lines left out;
    an XLSX has its filters on a second sheet)."""
    if fmt == "xlsx":
        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        rows = [["" if v is None else str(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    else:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    rows = [row for row in rows if any(row) and not str(row[0]).startswith("#")]
    return rows[1:]


@pytest.mark.parametrize("key", list(EXPORTS), ids=["-".join(filter(None, key)) for key in EXPORTS])
def test_an_export_holds_what_the_role_may_see(matrix, engine, exports, key):
    user, kind, county, fmt = key
    done, data = exports[key].done, exports[key].data
    assert find_ids(done.stdout) == [] and find_ids(done.stderr) == []
    holds = EXPORTS[key]
    if holds is None:
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1 and len(lines) == 1 and lines[0].startswith("fundwatch: error:"), done.stderr
        assert data is None and done.stdout == ""
        refusals = audit_frame(engine, Scope.all(), action="export", actor=user, limit=None)
        assert f"export:{kind}" in set(refusals.loc[refusals["result"] == "refused", "target"])
        return
    assert done.returncode == 0, done.stderr
    assert find_ids(data) == [], "an unmasked ID number in an export"
    rows = table_rows(data, fmt)
    if kind == "household_records":
        assert len(rows) == reads.households_frame(engine, Scope.county(holds), region=holds, limit=1)[1] > 0
        assert {row[0][:6] for row in rows} == {holds}  # household codes start with the county code
        assert len(masked_ids("\n".join(",".join(row) for row in rows))) == len(rows)  # the column is there
    else:  # the ranking of the counties
        names = matrix.places.county_names
        assert sorted(row[0] for row in rows) == (sorted(names.values()) if holds == "*" else [names[holds]])


def test_an_xlsx_export_is_scanned_inside(exports):
    """The scan opens the XLSX: its XML holds the masked numbers, and no ID number."""
    data = exports["yudu", "household_records", YUDU, "xlsx"].data
    assert data[:2] == b"PK" and find_ids(data) == []
    with zipfile.ZipFile(io.BytesIO(data)) as book:
        xml = "".join(book.read(name).decode("utf-8") for name in book.namelist() if name.endswith(".xml"))
    assert masked_ids(xml)


# -- the ID-number scanner ---------------------------------------------------------------------

def test_the_scanner_finds_a_real_unmasked_id_number(matrix, engine):
    """A household's ID number unmasked by the data administrator (audited) is found wherever it
    is planted; its masked form, a wrong check character and a credit code are not."""
    admin = get_user(engine, "admin")
    rows = reads.households_frame(engine, Scope.county(YUDU), region=YUDU, limit=1)[0]
    record = unmask_record(engine, admin, "household", int(rows["id"].iloc[0]), "核对身份证号扫描（测试）")
    number = record.id_no
    assert number and find_ids(number) == [number]
    book = openpyxl.Workbook()
    book.active.append(["户主", "证件号码"])
    book.active.append([record.name, number])
    book.active.append(["粘连", f"3607311001020001{number}"])
    xlsx = io.BytesIO()
    book.save(xlsx)
    planted = [f"<td>{number}</td>", json.dumps({"id_no": number}), f"户主,{number}\r\n".encode("utf-8-sig"),
               f"证件号码：{number}".encode("gb18030"), f"{number}".encode("utf-16"), xlsx.getvalue(),
               f"log: unmask {number.lower()}"]
    for item in planted:
        assert number in find_ids(item), item
    assert find_ids(mask_id(number)) == []
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    assert find_ids(wrong) == [] and find_ids("91360732332926758C") == []
    assert find_ids("19000101" + "0" * 10) == []  # digits but no valid number


def test_an_unmasking_reaches_the_admins_own_session_only(matrix, engine):
    """The data administrator unmasks a household on ``/audit`` through the page's websocket (the
    messages the browser sends for the id, the reason and the button): the number comes back in
    that session's messages, and nowhere else: not in a second session, not in the audit log."""
    rows = reads.households_frame(engine, Scope.county(XINGGUO), region=XINGGUO, limit=1)[0]
    record_id = int(rows["id"].iloc[0])

    def act(doc):
        found = models(doc)
        spin = next(m for m in found if m["name"] == "Spinner" and m["attributes"].get("mode") == "int")
        reason = next(m for m in found if m["name"].endswith("TextInput") and m["attributes"].get("max_length") == 200)
        button = next(m for m in found if m["name"].endswith(".Button")
                      and m["attributes"].get("label") == t("audit.unmask.submit", "zh"))
        click = {"type": "event", "name": "button_click", "values": {"type": "map", "entries": [["model",
                                                                                                   {"id": button["id"]}]]}}
        return [{"kind": "ModelChanged", "model": {"id": spin["id"]}, "attr": "value", "new": record_id},
                {"kind": "ModelChanged", "model": {"id": reason["id"]}, "attr": "value", "new": "核实监测对象身份（扫描测试）"},
                {"kind": "MessageSent", "msg_type": "bokeh_event", "msg_data": click}]

    sent = matrix.open("admin", "/audit", act=act, until=lambda frames: bool(find_ids_in(frames)), timeout=60)
    assert find_ids_in([sent.body, *sent.frames]) == []  # nothing before the request
    (number,) = set(find_ids_in(sent.later))
    assert number in readable(sent.later) and mask_id(number) == rows["head_id_no"].iloc[0]
    rows = audit_frame(engine, Scope.all(), action="unmask", actor="admin", limit=None)
    assert f"household:{record_id}" in set(rows["target"])
    assert find_ids(rows.to_csv()) == []
    again = matrix.open("admin", "/audit")  # the administrator's next session starts masked
    assert find_ids_in(again.raw) == [] and f"household:{record_id}" in again.text
    refused = matrix.open("leader", "/audit")
    assert REFUSED in refused.text and find_ids_in(refused.raw) == [] and f"household:{record_id}" not in refused.text


def test_the_audit_log_and_the_server_output_hold_no_id_number(matrix, engine):
    """Runs last: it stops the server to read everything it printed."""
    log = audit_frame(engine, Scope.all(), limit=None)
    assert len(log) and find_ids(log.to_csv()) == []
    out = matrix.served.stop()
    assert out is not None and "Traceback" not in out
    assert find_ids(out) == [] and matrix.browser("yudu").cookies[auth.COOKIE] not in out
