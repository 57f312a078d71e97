"""Concurrent first loads: many leaders opening their page at the same moment.

:func:`first_loads` starts ``fundwatch serve --num-procs N`` on a free loopback port and sends
``clients`` first loads at once.  A first load is what a browser does before it can draw: the
page's HTML (the server builds the session's document for it), then the websocket with the
session token from that HTML, the protocol's acknowledgement, and the whole document pulled over
it (``PULL-DOC-REQ`` / ``PULL-DOC-REPLY``).  A load counts as failed when any step errs or times
out, or when the document lacks the page's data (its marker below).  The browser's own drawing
time comes on top; the static JavaScript and CSS are cached by a browser after its first visit
and are not fetched here.

With ``--num-procs`` the worker processes share the listening socket, so a page's websocket may
reach the other worker, which then builds the session afresh from its token: real browsers meet
that too, and it is in the figures.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Sequence
from typing import TextIO

from bokeh.client.websocket import WebSocketClientConnectionWrapper
from bokeh.protocol import Protocol
from bokeh.protocol.receiver import Receiver
from tornado.httpclient import AsyncHTTPClient, HTTPRequest
from tornado.websocket import websocket_connect

from benchmarks import stats
from fundwatch.data import db

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
TOKEN = re.compile(r'"token"\s*:\s*"([^"]+)"')
TIMEOUT = 300.0  # s: a load slower than this is a failure
MAX_MESSAGE = 64 * 1024 * 1024


class LoadError(RuntimeError):
    """One first load that did not deliver its document."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """``fundwatch serve`` in a process group of its own (``--num-procs`` forks), stopped by its id."""

    def __init__(self, db_url: str | None, num_procs: int, *extra: str, env: dict | None = None,
                 port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "fundwatch.dashboards.cli", "serve", "--port", str(self.port),
                   "--num-procs", str(num_procs), "--no-show", *extra]
        if db_url is not None:
            command += ["--db", db_url]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env={**os.environ, **(env or {})}, start_new_session=True)

    def wait(self, timeout: float = 120) -> Served:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"fundwatch serve exited: {self.process.communicate()[0][-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=30) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        out = self.stop()
        raise TimeoutError(f"fundwatch serve did not answer on {self.url} within {timeout} s: {out[-2000:]}")

    def rss_mb(self) -> float:
        """Resident memory of the server and its workers, in MB (Linux ``/proc``)."""
        total = 0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            try:
                with open(f"/proc/{pid}/status") as status:
                    total += next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
            except (OSError, StopIteration):
                continue
        return total / 1024

    def stop(self) -> str:
        if self.process.returncode is not None:
            return ""
        group = os.getpgid(self.process.pid)
        os.killpg(group, signal.SIGTERM)
        try:
            out, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(group, signal.SIGKILL)
            out, _ = self.process.communicate()
        return out


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


async def first_load(http: AsyncHTTPClient, base: str, path: str, marker: str,
                     headers: dict | None = None) -> tuple[float, float]:
    """Seconds from the page request until its HTML arrived (the server built the document), and
    until the whole document has arrived over the websocket."""
    started = time.perf_counter()
    response = await http.fetch(HTTPRequest(base + path, headers=headers, request_timeout=TIMEOUT,
                                            follow_redirects=False), raise_error=False)
    if response.code != 200:
        raise LoadError(f"{path}: HTTP {response.code}")
    found = TOKEN.search(response.body.decode("utf-8"))
    if found is None:
        raise LoadError(f"{path}: no session token in the page")
    html = time.perf_counter() - started
    socket_url = "ws" + base.removeprefix("http") + path.split("?")[0] + "/ws"
    connection = await websocket_connect(HTTPRequest(socket_url, headers=headers, request_timeout=TIMEOUT),
                                         subprotocols=["bokeh", found.group(1)], max_message_size=MAX_MESSAGE)
    try:
        wrapper = WebSocketClientConnectionWrapper(connection)
        protocol = Protocol()
        receiver = Receiver(protocol)
        ack = await _message(connection, receiver)
        if ack.msgtype != "ACK":
            raise LoadError(f"{path}: {ack.msgtype} instead of ACK")
        await protocol.create("PULL-DOC-REQ").send(wrapper)
        reply = await _message(connection, receiver)
        while reply.msgtype == "PATCH-DOC":  # a change the session pushed before the reply (a browser applies it)
            reply = await _message(connection, receiver)
        if reply.msgtype != "PULL-DOC-REPLY":
            raise LoadError(f"{path}: {reply.msgtype} instead of the document: {reply.content}")
        document = json.dumps(reply.content, ensure_ascii=False)
        if marker not in document:
            raise LoadError(f"{path}: the document lacks {marker!r}")
    finally:
        connection.close()
    return html, time.perf_counter() - started


async def _message(connection, receiver: Receiver):
    while True:
        fragment = await connection.read_message()
        if fragment is None:
            raise LoadError("the server closed the websocket")
        message = await receiver.consume(fragment)
        if message is not None:
            return message


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
    pays for loading the extensions); the burst's read caches stay cold.  Returns the figures
    and prints one line to ``out``: ``median``, ``p95``, ``min``, ``max`` (seconds per whole first
    load, as :func:`benchmarks.stats.summary` gives them), ``html`` (the same for the HTML alone),
    ``failures`` (warm-up included) with the first ``failure_reasons``, the server's memory before
    and after the burst and the tracebacks in its log."""
    served = Served(db_url, num_procs).wait()
    try:
        warm, warm_failures = asyncio.run(burst(served.url, 2 * num_procs, PAGES[:1]))
        rss_before = served.rss_mb()
        started = time.perf_counter()
        loads, failures = asyncio.run(burst(served.url, clients))
        wall = time.perf_counter() - started
        rss_after = served.rss_mb()
    finally:
        log = served.stop()
    htmls, times = [html for html, _ in loads], [total for _, total in loads]
    result = {
        "database": _hide_password(db.normalise_url(db.resolve_url(db_url))),
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


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - only for display
        return url


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
