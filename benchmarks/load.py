"""Concurrent first loads: many leaders opening their page at the same moment.

:func:`first_loads` starts ``fundwatch serve --num-procs N`` on a free loopback port and sends
``clients`` first loads at once.  A first load is what a browser does before it can draw: the
page's HTML (the server renders it from a shell it keeps, :func:`fundwatch.dashboards.app.reuse_page_sessions`),
then the websocket with the session token from that HTML (the server builds the session's
document for it), the protocol's acknowledgement, and the whole document pulled over
it (``PULL-DOC-REQ`` / ``PULL-DOC-REPLY``).  A load counts as failed when any step errs or times
out, or when the document lacks the page's data (its marker below).  The browser's own drawing
time comes on top; the static JavaScript and CSS are cached by a browser after its first visit
and are not fetched here.

With ``--num-procs`` the worker processes share the listening socket, so a page's HTML and its
websocket may reach different workers; the document is built once, by the worker the websocket
reaches.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import sys
import time
from collections.abc import Sequence
from typing import TextIO
from urllib.parse import parse_qs

from bokeh.client.websocket import WebSocketClientConnectionWrapper
from bokeh.protocol import Protocol
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

from benchmarks import scratch, stats
from benchmarks.served import MB, Served, keep_findings
from fundwatch.data import db
from fundwatch.data.scope import Scope

#: The pages a burst opens, in turn: (path with query, a text the delivered document must hold).
#: Different counties, so the burst also meets cold read caches.
PAGES: tuple[tuple[str, str], ...] = (
    ("/overview?year=2024&as_of=2024-06-30", "fw-kpi"),
    ("/county?year=2024&as_of=2024-06-30&county=360731", "fw-kpi"),
    ("/transition?year=2024&as_of=2024-06-30&county=360732", "fw-"),
    ("/county?year=2024&as_of=2024-06-30&county=360730", "fw-kpi"),
    ("/overview?year=2023&as_of=2023-12-31", "fw-kpi"),
    ("/county?year=2024&as_of=2024-06-30&county=360781", "fw-kpi"),
    ("/transition?year=2024&as_of=2024-06-30&county=360703", "fw-"),
)


def burst_views() -> list[tuple[Scope, int, dt.date]]:
    """The views whose policy findings the burst's pages show: the prefecture's (demo mode: every
    page is a leader's) at each year and date of :data:`PAGES`."""
    dates = set()
    for path, _ in PAGES:
        query = parse_qs(path.partition("?")[2])
        dates.add((int(query["year"][0]), dt.date.fromisoformat(query["as_of"][0])))
    return [(Scope.all(), year, as_of) for year, as_of in sorted(dates)]


TOKEN = re.compile(r'"token"\s*:\s*"([^"]+)"')
TIMEOUT = 300.0  # s: a load slower than this is a failure
MAX_MESSAGE = 64 * 1024 * 1024


class LoadError(RuntimeError):
    """One first load that did not deliver its document."""


async def first_load(http: AsyncHTTPClient, base: str, path: str, marker: str,
                     headers: dict | None = None) -> tuple[float, float]:
    """Seconds from the page request until its HTML arrived, and until the last fragment of the
    document arrived over the websocket."""
    started = time.perf_counter()
    _, html_arrived, document_arrived, content = await _pull_document(http, base, path, headers)
    if marker not in content:
        raise LoadError(f"{path}: the document lacks {marker!r}")
    return html_arrived - started, document_arrived - started


async def page_document(http: AsyncHTTPClient, base: str, path: str, headers: dict | None = None
                        ) -> tuple[str, dict]:
    """What a browser opening ``path`` gets: the page's HTML, then (with the session token in it)
    the document over the websocket: the content of ``PULL-DOC-REPLY``, decoded."""
    page, _, _, content = await _pull_document(http, base, path, headers)
    return page, json.loads(content)


async def _pull_document(http: AsyncHTTPClient, base: str, path: str, headers: dict | None
                         ) -> tuple[str, float, float, str]:
    """The page's HTML and when it arrived, then when the document (``PULL-DOC-REPLY``) arrived
    and its content as the JSON text the server sent.

    The messages are read as Bokeh's protocol sends them (a header, metadata, the content, then
    a header and a payload per buffer) without decoding the document: the client runs on the two
    cores the server's workers share, and decoding the twenty documents (and encoding them again
    to look for the page's marker) as they arrived took the client 0.34-0.37 s of CPU in a burst,
    0.10-0.15 s without, and timed each load after the decoding of those before it.  (The burst's
    p95 moved less than the machine does between runs: 4.9-5.1 against 4.8-5.0 s in turns.)"""
    response = await http.fetch(HTTPRequest(base + path, headers=headers, request_timeout=TIMEOUT,
                                            follow_redirects=False), raise_error=False)
    if response.code != 200:
        raise LoadError(f"{path}: HTTP {response.code}")
    page = response.body.decode("utf-8")
    found = TOKEN.search(page)
    if found is None:
        raise LoadError(f"{path}: no session token in the page")
    html_arrived = time.perf_counter()
    socket_url = "ws" + base.removeprefix("http") + path.split("?")[0].rstrip("/") + "/ws"
    connection = await websocket_connect(HTTPRequest(socket_url, headers=headers, request_timeout=TIMEOUT),
                                         subprotocols=["bokeh", found.group(1)], max_message_size=MAX_MESSAGE)
    try:
        msgtype, content, _ = await _message(connection)
        if msgtype != "ACK":
            raise LoadError(f"{path}: {msgtype} instead of ACK")
        await Protocol().create("PULL-DOC-REQ").send(WebSocketClientConnectionWrapper(connection))
        msgtype, content, arrived = await _message(connection)
        while msgtype == "PATCH-DOC":  # a change the session pushed before the reply (a browser applies it)
            msgtype, content, arrived = await _message(connection)
        if msgtype != "PULL-DOC-REPLY":
            raise LoadError(f"{path}: {msgtype} instead of the document: {content[:200]}")
        return page, html_arrived, arrived, content
    finally:
        await _close(connection)


async def _close(connection, timeout: float = 10.0) -> None:
    """Close the websocket and wait for the server's answer, so that no socket is left open."""
    connection.close()
    try:
        while await asyncio.wait_for(connection.read_message(), timeout) is not None:
            pass
    except (TimeoutError, asyncio.TimeoutError):
        pass


async def _message(connection) -> tuple[str, str, float]:
    """The next message's type and content (JSON text, not decoded) and when its last fragment
    arrived; its buffers are read and dropped."""
    header = json.loads(await _fragment(connection))
    await _fragment(connection)  # the metadata
    content = await _fragment(connection)
    for _ in range(2 * int(header.get("num_buffers") or 0)):  # a header and a payload per buffer
        await _fragment(connection)
    arrived = time.perf_counter()
    if not isinstance(content, str):
        raise LoadError(f"{header.get('msgtype')}: binary content")
    return header["msgtype"], content, arrived


async def _fragment(connection) -> str | bytes:
    fragment = await connection.read_message()
    if fragment is None:
        raise LoadError("the server closed the websocket")
    return fragment


async def burst(base: str, clients: int, pages: Sequence[tuple[str, str]] = PAGES,
                headers: dict | None = None) -> tuple[list[tuple[float, float]], list[str]]:
    """``clients`` first loads started at once: (HTML, whole load) seconds of each that succeeded,
    and the failures' reasons."""
    http = AsyncHTTPClient(force_instance=True, max_clients=max(clients, 10))
    try:
        loads = [asyncio.wait_for(first_load(http, base, *pages[i % len(pages)], headers=headers), TIMEOUT)
                 for i in range(clients)]
        results = await asyncio.gather(*loads, return_exceptions=True)
    finally:
        http.close()
    times = [r for r in results if isinstance(r, tuple)]
    failures = [f"{type(r).__name__}: {r}" for r in results if not isinstance(r, tuple)]
    return times, failures


def first_loads(db_url: str | None, clients: int = 20, num_procs: int = 2, out: TextIO | None = None) -> dict:
    """Serve ``db_url`` (None: ``fundwatch serve``'s own default) with ``--num-procs num_procs``
    and time ``clients`` concurrent first loads of :data:`PAGES`.

    Before the burst, two loads per worker open the overview (the first session of a process
    pays for loading the extensions); the burst's read caches stay cold (the server's read-ahead is
    off: with it, an idle server would have read the pages' opening views before the burst).  The
    policy findings of the burst's pages are kept before the server starts (:func:`burst_views`,
    :func:`benchmarks.served.keep_findings`), as after any earlier visit since the last write: a
    page first opened after a write evaluates its view's rules, seconds at scale 10, which is no
    cost of the burst's twenty pages being served at once.
    Returns the figures and prints one line to ``out``: ``median``, ``p95``, ``min``, ``max`` (seconds per whole first
    load, as :func:`benchmarks.stats.summary` gives them), ``html`` (the same for the HTML alone),
    ``failures`` (warm-up included) with the first ``failure_reasons``, the server's memory before
    and after the burst and the tracebacks in its log."""
    findings = keep_findings(db_url, burst_views())
    with Served(db_url, "--no-read-ahead", num_procs=num_procs).wait() as served:
        warm, warm_failures = asyncio.run(burst(served.base, 2 * num_procs, PAGES[:1]))
        rss_before = served.rss() / MB
        started = time.perf_counter()
        loads, failures = asyncio.run(burst(served.base, clients))
        wall = time.perf_counter() - started
        rss_after = served.rss() / MB
        log = served.stop()
    htmls, times = [html for html, _ in loads], [total for _, total in loads]
    result = {
        "database": scratch.label(db.resolve_url(db_url)),
        "clients": clients,
        "num_procs": num_procs,
        "loads": len(loads),
        "failures": len(failures) + len(warm_failures),
        "failure_reasons": (warm_failures + failures)[:10],
        # seconds per whole first load, as every suite summarises its timings
        **(stats.summary(times) if times else dict.fromkeys(("median", "p95", "min", "max", "runs"))),
        "html": stats.summary(htmls) if htmls else None,  # the HTML alone: the server built the page
        "burst_wall_s": wall,
        "warmup_max_s": max(total for _, total in warm) if warm else None,
        "server_rss_mb_before": rss_before,
        "server_rss_mb_after": rss_after,
        "tracebacks_in_log": log.count("Traceback"),
        "findings_kept": findings,
    }
    if out is not None:
        print(report(result), file=out)
    return result


def report(result: dict) -> str:
    def s(value):
        return "-" if value is None else f"{value:.3f}s"

    html = result["html"] or {}
    return (f"{result['clients']} concurrent first loads, --num-procs {result['num_procs']} "
            f"({result['database']}): median {s(result['median'])}, p95 {s(result['p95'])}, "
            f"max {s(result['max'])} (HTML alone: median {s(html.get('median'))}, p95 "
            f"{s(html.get('p95'))}), failures {result['failures']}, "
            f"server memory {result['server_rss_mb_before']:.0f} -> {result['server_rss_mb_after']:.0f} MB")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", metavar="URL", help="the database to serve (default: fundwatch serve's own)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent first loads (default 20)")
    parser.add_argument("--num-procs", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args(argv)
    result = first_loads(args.db, clients=args.clients, num_procs=args.num_procs, out=sys.stdout)
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    return 1 if result["failures"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
