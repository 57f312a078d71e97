"""Server memory against live sessions, and a database outage seen from open sessions.

Each function starts a real ``fundwatch serve`` on a free loopback port over the database ``url``
and talks to it as a browser does, without the browser: an HTTP GET of a page (the server builds
the page's document) and then the page's websocket (the Bokeh protocol: the document is pulled,
as a browser's first message does; an interaction changes the URL's ``search`` on the page's
location model, which moves the page to another county).  Closing the websocket ends the
session: the server discards it at its next check for unused sessions, every second
(``fundwatch.dashboards.app.release_when_closed``), which the figures wait for.

- :func:`per_session`: memory per additional live session (RSS with N sessions open minus with
  none, over N).  Target: 5 MB or less.
- :func:`churn`: 1,000 sessions opened and closed one after another; the server's RSS growth
  once the discarded sessions are gone, and its RSS every 100 cycles.  Target: under 20 MB.
- :func:`soak`: 30 sessions held for 10 minutes, each moved to another county every 30 s; RSS
  samples, their trend (MB per minute, least squares) and the error lines of the server's log.
  Target: no upward trend, no errors.
- :func:`served_changes`: a county change on a rendered page, from the message sent to the last
  of the server's answer, for a county seen for the first time and for one seen before.
- :func:`outage`: open sessions during a 60 s outage of the database (a SQLite file moved away
  and back, PostgreSQL cut off behind a loopback forwarder): when ``/ready`` turns 503 and 200,
  whether the sessions still answer, and whether the server logged a traceback.

Every function returns a dict of figures and prints a line per figure to ``out``; none asserts
anything about time.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TextIO

from sqlalchemy.engine import make_url
from tornado.websocket import websocket_connect

from benchmarks import stats
from benchmarks.served import MB, Served, status
from benchmarks.tcp_proxy import TcpProxy
from fundwatch.data import db

COUNTIES = ("360731", "360732", "360733", "360734", "360735", "360781", "360702", "360703")
PAGE = "/county"
STATE = "year=2024&as_of=2024-06-30"
#: Seconds after the last close until Bokeh has discarded every closed session and the memory has
#: settled (a served process discards a closed page's session within a second; one whose
#: websocket never arrived keeps Bokeh's 15 s lifetime).
SETTLE = 40.0
#: The memory figures measure sessions: the server's read-ahead (fundwatch.components.warming),
#: which reads whenever the server is idle, would add its one-off pass to whichever interval it
#: fell in (its own cost is the pages suite's "read-ahead" line).  The outage keeps it on.
QUIET = ("--no-read-ahead",)
#: The churn samples the server's RSS every this many cycles.
SAMPLE_EVERY = 100


class PageVisit:
    """One page's session: the GET that creates it, its websocket, the page's location model."""

    def __init__(self, base: str, path: str, query: str):
        self.base, self.path, self.query = base, path, query
        self.ws = None
        self.location: str | None = None
        self._pending: asyncio.Future | None = None  # a read a drain left waiting for its frame

    async def open(self) -> PageVisit:
        loop = asyncio.get_running_loop()
        html = await loop.run_in_executor(None, _get, f"{self.base}{self.path}?{self.query}")
        token = re.search(r'"token":\s*"([^"]+)"', html)
        if token is None:
            raise RuntimeError(f"no session token in {self.path}")
        ws_url = self.base.replace("http://", "ws://") + f"{self.path}/ws"
        self.ws = await websocket_connect(ws_url, subprotocols=["bokeh", token.group(1)],
                                          max_message_size=256 * MB)
        self.ws.protocol.set_nodelay(True)  # as a browser's socket: a small frame is sent at once
        await self._receive()  # ACK
        await self._send("PULL-DOC-REQ", {})
        reply = await self._receive()
        self.location = _find_model(reply.get("doc", {}), "Location")
        county = re.search(r"county=([^&]+)", self.query)
        self.county_select = _find_model(reply.get("doc", {}), "Select", county.group(1)) if county else None
        return self

    async def move(self, county: str) -> None:
        """Move the page to ``county`` as a browser's address change does."""
        if self.location is None:
            raise RuntimeError("the page has no location model")
        event = {"kind": "ModelChanged", "model": {"id": self.location}, "attr": "search",
                 "new": f"?{STATE}&county={county}"}
        await self._send("PATCH-DOC", {"events": [event]})

    async def ready(self) -> None:
        """Say the document is rendered, as a browser does once it has built the page: until then
        Panel holds the page as not loaded and sends each change of a load as a message of its
        own; after it, a load's changes go as one message."""
        event = {"kind": "MessageSent", "msg_type": "bokeh_event",
                 "msg_data": {"type": "event", "name": "document_ready", "values": {"type": "map", "entries": []}}}
        await self._send("PATCH-DOC", {"events": [event]})

    async def choose(self, county: str) -> None:
        """Choose ``county`` in the page's county selector, as a leader does."""
        if self.county_select is None:
            raise RuntimeError("the page has no county selector showing its county")
        event = {"kind": "ModelChanged", "model": {"id": self.county_select}, "attr": "value", "new": county}
        await self._send("PATCH-DOC", {"events": [event]})

    async def timed_choice(self, county: str, quiet: float = 0.5) -> float:
        """Seconds from choosing ``county`` (:meth:`choose`) to the last message the server sent
        for it (the first pause of ``quiet`` seconds ends it).  Frames are read, not parsed."""
        started = time.perf_counter()
        await self.choose(county)
        last = started
        while True:
            try:
                await asyncio.wait_for(self.ws.read_message(), timeout=quiet)
            except TimeoutError:
                return last - started
            last = time.perf_counter()

    async def drain(self) -> None:
        """Read whatever the server sent (patches of the page after a move) without waiting.

        A read that found nothing yet is kept for the next call rather than cancelled: a read
        cancelled at the moment its frame arrives loses that frame (``asyncio.wait_for`` on
        Python 3.11), and every later message would be read out of step."""
        while True:
            if self._pending is None:
                self._pending = asyncio.ensure_future(self.ws.read_message())
            done, _ = await asyncio.wait({self._pending}, timeout=0.05)
            if not done:
                return
            await self._receive(await self._frame())

    async def close(self, wait: float = 5) -> None:
        """Close the websocket as a browser does and wait (up to ``wait`` s) for the server's closing
        reply, so that the socket is released here and not left for the garbage collector to find."""
        if self.ws is None:
            return
        ws, self.ws = self.ws, None
        protocol = ws.protocol
        pending, self._pending = self._pending, None
        ws.close()
        try:
            async with asyncio.timeout(wait):
                if pending is not None and await pending is None:
                    return
                while await ws.read_message() is not None:
                    pass  # patches still in flight
        except TimeoutError:
            pass
        finally:
            if protocol is not None and protocol.stream is not None:
                protocol.stream.close()  # no reply in time: torn down from this side

    async def _send(self, kind: str, content: dict) -> None:
        header = {"msgid": uuid.uuid4().hex, "msgtype": kind}
        for part in (header, {}, content):
            await self.ws.write_message(json.dumps(part))

    async def _receive(self, header_frame=None) -> dict:
        """One whole message (header, metadata, content and buffers); its content."""
        header = json.loads(header_frame if header_frame is not None else await self._frame())
        await self._frame()  # metadata
        content = json.loads(await self._frame())
        for _ in range(header.get("num_buffers", 0)):
            await self._frame()
            await self._frame()
        return content

    async def _frame(self):
        """The next frame: the one a :meth:`drain` started reading, if any."""
        if self._pending is not None:
            read, self._pending = self._pending, None
        else:
            read = self.ws.read_message()
        message = await read
        if message is None:
            raise ConnectionError("the server closed the websocket")
        return message


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=120) as response:
        return response.read().decode("utf-8")


def _find_model(node, name: str, value: str | None = None) -> str | None:
    """The id of the first serialized model whose type name ends with ``name`` (and, with
    ``value``, whose ``value`` property is ``value``: a drop-down showing it)."""
    if isinstance(node, dict):
        if (node.get("type") == "object" and str(node.get("name", "")).endswith(name) and "id" in node
                and (value is None or node.get("attributes", {}).get("value") == value)):
            return node["id"]
        values: Iterable = node.values()
    elif isinstance(node, list):
        values = node
    else:
        return None
    for item in values:
        found = _find_model(item, name, value)
        if found is not None:
            return found
    return None


def _query(i: int) -> str:
    return f"{STATE}&county={COUNTIES[i % len(COUNTIES)]}"


def _settle(served: Served, seconds: float = SETTLE) -> int:
    time.sleep(seconds)
    return served.rss()


def _say(out: TextIO | None, text: str) -> None:
    if out is not None:
        print(text, file=out, flush=True)


def per_session(url: str, sessions: int = 20, out: TextIO | None = sys.stdout, path: str = PAGE) -> dict:
    """Memory per additional live session: RSS with ``sessions`` open minus with none, over N."""
    with Served(url, *QUIET).wait() as served:
        async def run() -> dict:
            warm = await PageVisit(served.base, path, _query(0)).open()  # imports and caches out of the figure
            await warm.close()
            before = _settle(served)
            opened = [await PageVisit(served.base, path, _query(i)).open() for i in range(sessions)]
            await asyncio.sleep(3)
            during = served.rss()
            for session in opened:
                await session.close()
            return {"sessions": sessions, "rss_before_mb": before / MB, "rss_open_mb": during / MB,
                    "per_session_mb": (during - before) / MB / sessions, "errors": served.errors()}

        figures = asyncio.run(run())
    _say(out, f"memory per live session ({path}, {sessions} open): {figures['per_session_mb']:.2f} MB "
              f"(RSS {figures['rss_before_mb']:.0f} -> {figures['rss_open_mb']:.0f} MB; target <= 5 MB)")
    return figures


def churn(url: str, cycles: int = 1000, out: TextIO | None = sys.stdout, path: str = PAGE,
          warmup: int = 20) -> dict:
    """Open and close ``cycles`` sessions one after another; the server's RSS growth once the
    closed sessions are discarded (after ``warmup`` cycles, which fill the shared caches)."""
    with Served(url, *QUIET).wait() as served:
        async def run() -> dict:
            for i in range(warmup):
                await (await PageVisit(served.base, path, _query(i)).open()).close()
            before = _settle(served)
            started = time.monotonic()
            samples = []  # (cycles done, RSS MB): whether the growth is a step or a climb
            for i in range(cycles):
                await (await PageVisit(served.base, path, _query(i)).open()).close()
                if (i + 1) % SAMPLE_EVERY == 0:
                    samples.append((i + 1, round(served.rss() / MB, 1)))
            elapsed = time.monotonic() - started
            after = _settle(served)
            return {"cycles": cycles, "seconds": elapsed, "rss_before_mb": before / MB, "rss_after_mb": after / MB,
                    "growth_mb": (after - before) / MB, "rss_samples_mb": samples, "errors": served.errors()}

        figures = asyncio.run(run())
    _say(out, f"session churn ({path}, {cycles} open/close in {figures['seconds']:.0f} s): RSS growth "
              f"{figures['growth_mb']:+.1f} MB ({figures['rss_before_mb']:.0f} -> {figures['rss_after_mb']:.0f} MB; "
              f"target < 20 MB), {len(figures['errors'])} error lines in the log")
    if figures["rss_samples_mb"]:
        _say(out, "  RSS while cycling (cycles: MB): "
                  + ", ".join(f"{n}: {mb:.0f}" for n, mb in figures["rss_samples_mb"]))
    return figures


def served_changes(url: str, paths: Sequence[str] = ("/county", "/transition"), counties: Sequence[str] = COUNTIES,
                   out: TextIO | None = sys.stdout, pause: float = 1.5) -> dict:
    """A county change as a leader's browser sees it from the server, over loopback: a page opened
    and rendered (:meth:`PageVisit.ready`), then its county selector set from county to county,
    each choice timed from the message sent to the last message of the server's answer (the loading indicator, then the
    load's changes).  Every county twice: the first visit finds nothing of it cached (the server
    runs without its read-ahead), the second finds its reads cached, as a change does once the
    read-ahead has read it.  ``pause`` seconds between moves, a leader's pace (the collection after
    a load comes a second after it).  Returns summaries in seconds per page and visit."""
    figures = {}
    with Served(url, *QUIET).wait() as served:
        async def run(path: str) -> dict:
            visit = await PageVisit(served.base, path, f"{STATE}&county={counties[0]}").open()
            await visit.ready()
            await asyncio.sleep(pause)
            times = {"first visit": [], "second visit": []}
            try:
                for name in times:
                    for county in counties[1:]:
                        times[name].append(await visit.timed_choice(county))
                        await asyncio.sleep(pause)
            finally:
                await visit.close()
            return {name: stats.summary(values) for name, values in times.items()}

        for path in paths:
            for visit, figure in asyncio.run(run(path)).items():
                figures[f"{path.strip('/')} county change served, {visit}"] = figure
        figures_errors = served.errors()
    for name, figure in figures.items():
        _say(out, f"{name}: median {figure['median'] * 1000:.0f} ms, p95 {figure['p95'] * 1000:.0f} ms "
                  f"(loopback websocket, {figure['runs']} moves)")
    return {"changes": figures, "errors": figures_errors}


def slope(times: Sequence[float], values: Sequence[float]) -> float:
    """The least-squares slope of ``values`` over ``times``."""
    n = len(times)
    if n < 2:
        return 0.0
    mean_t, mean_v = sum(times) / n, sum(values) / n
    var = sum((t - mean_t) ** 2 for t in times)
    return sum((t - mean_t) * (v - mean_v) for t, v in zip(times, values, strict=True)) / var if var else 0.0


def soak(url: str, sessions: int = 30, minutes: float = 10, interval: float = 30, out: TextIO | None = sys.stdout,
         path: str = PAGE) -> dict:
    """Hold ``sessions`` for ``minutes``, moving each to another county every ``interval`` s; RSS
    sampled after each round.  The trend is the slope of the samples after the first round (MB
    per minute), when every session and cache has been built once."""
    with Served(url, *QUIET).wait() as served:
        async def run() -> dict:
            opened = [await PageVisit(served.base, path, _query(i)).open() for i in range(sessions)]
            started = time.monotonic()
            samples: list[tuple[float, float]] = []
            failures = 0
            round_ = 0
            while time.monotonic() - started < minutes * 60:
                round_ += 1
                for i, session in enumerate(opened):
                    try:
                        await session.move(COUNTIES[(i + round_) % len(COUNTIES)])
                    except Exception:  # noqa: BLE001 - counted: a websocket that broke is a failure
                        failures += 1
                deadline = started + round_ * interval
                while time.monotonic() < deadline:
                    for session in opened:
                        try:
                            await session.drain()
                        except Exception:  # noqa: BLE001
                            failures += 1
                    await asyncio.sleep(0.5)
                samples.append(((time.monotonic() - started) / 60, served.rss() / MB))
            for session in opened:
                await session.close()
            steady = samples[1:] if len(samples) > 2 else samples
            trend = slope([t for t, _ in steady], [m for _, m in steady])
            late = samples[len(samples) // 2:]  # whether a rise goes on or levels off
            return {"sessions": sessions, "minutes": minutes, "interval_s": interval, "rounds": round_,
                    "rss_mb": [round(m, 1) for _, m in samples], "trend_mb_per_min": trend,
                    "second_half_trend_mb_per_min": slope([t for t, _ in late], [m for _, m in late]),
                    "failures": failures, "errors": served.errors()}

        figures = asyncio.run(run())
    rss = figures["rss_mb"]
    _say(out, f"soak ({sessions} sessions, {minutes:g} min, a move every {interval:g} s): RSS "
              f"{rss[0] if rss else 0:.0f} -> {rss[-1] if rss else 0:.0f} MB, trend "
              f"{figures['trend_mb_per_min']:+.2f} MB/min (target: none), {figures['failures']} failures, "
              f"{len(figures['errors'])} error lines in the log")
    _say(out, f"  RSS after each round (MB): {', '.join(f'{m:.0f}' for m in rss)}; trend over the second half "
              f"{figures['second_half_trend_mb_per_min']:+.2f} MB/min")
    return figures


class FileAway:
    """A SQLite database's outage: its file (with its WAL and shared-memory files) moved away and
    back, as an unmounted disk or a file restored from a backup would do to a server."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.url = str(self.path)
        self.kind = "the SQLite file moved away"

    def _move(self, there: str, back: str) -> None:
        for suffix in ("", "-wal", "-shm"):
            part = Path(f"{self.path}{suffix}{there}")
            if part.exists():
                part.rename(f"{self.path}{suffix}{back}")

    def begin(self) -> None:
        self._move("", ".away")

    def end(self) -> None:
        self._move(".away", "")

    close = end


class ServerCut:
    """A PostgreSQL database's outage: the server reaches it through a loopback forwarder
    (:class:`~benchmarks.tcp_proxy.TcpProxy`) that is cut and mended.  Cut, the server's open
    connections end and new ones are refused, as when the database is stopped; the database
    itself, which other runs may share, keeps running."""

    def __init__(self, url: str):
        target = make_url(db.normalise_url(url))
        if not target.host or target.host.startswith("/") or "host" in target.query:
            raise ValueError("the outage reaches PostgreSQL over TCP: name its host in the URL "
                             "(postgresql://user:password@host:port/database)")
        self.proxy = TcpProxy(target.port or 5432, target.host)
        self.url = target.set(host="127.0.0.1", port=self.proxy.port).render_as_string(hide_password=False)
        self.kind = "PostgreSQL cut off"

    def begin(self) -> None:
        self.proxy.cut()

    def end(self) -> None:
        if self.proxy.cut_off:
            self.proxy.mend()

    def close(self) -> None:
        self.proxy.close()


def outage(url: str, seconds: float = 60, sessions: int = 5, out: TextIO | None = sys.stdout) -> dict:
    """Open ``sessions`` county pages on the database ``url`` and take the database away for
    ``seconds``: a SQLite file is moved away and back (:class:`FileAway`), PostgreSQL is cut off
    behind a loopback forwarder (:class:`ServerCut`).  Viewers keep moving to other counties
    meanwhile.  Reports when ``/ready`` said 503 and 200 again, how many sessions still answer a
    move once the database is back, and the server's tracebacks."""
    away = FileAway(url) if db.sqlite_path(db.normalise_url(url)) is not None else ServerCut(url)
    try:
        with Served(away.url).wait() as served:
            async def run() -> dict:
                opened = [await PageVisit(served.base, PAGE, _query(i)).open() for i in range(sessions)]
                away.begin()
                began = time.monotonic()
                down_after = None
                try:
                    while time.monotonic() - began < seconds:
                        if down_after is None and await asyncio.to_thread(status, served.base + "/ready", 10) == 503:
                            down_after = time.monotonic() - began
                        for i, session in enumerate(opened):  # viewers keep clicking
                            await session.move(COUNTIES[(i + int(time.monotonic())) % len(COUNTIES)])
                            await session.drain()
                        await asyncio.sleep(1)
                finally:
                    away.end()
                back = time.monotonic()
                up_after = None
                while up_after is None and time.monotonic() - back < 60:
                    if await asyncio.to_thread(status, served.base + "/ready", 10) == 200:
                        up_after = time.monotonic() - back
                    await asyncio.sleep(0.2)
                alive = 0
                for i, session in enumerate(opened):
                    try:
                        await session.move(COUNTIES[i % len(COUNTIES)])
                        await session.drain()
                        alive += 1
                    except Exception:  # noqa: BLE001 - a session the outage broke
                        pass
                    await session.close()
                log = served.log()
                return {"seconds": seconds, "sessions": sessions, "how": away.kind,
                        "ready_503_after_s": down_after, "ready_200_after_s": up_after, "sessions_alive": alive,
                        "tracebacks": log.count("Traceback")}

            figures = asyncio.run(run())
    finally:
        away.close()
    _say(out, f"database outage of {seconds:g} s ({figures['how']}, {sessions} open sessions): /ready 503 after "
              f"{figures['ready_503_after_s']} s, 200 again {figures['ready_200_after_s']} s after the return, "
              f"{figures['sessions_alive']}/{sessions} sessions alive, {figures['tracebacks']} tracebacks in the log")
    return figures


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.sessions URL [churn|soak|per_session|outage|served_changes]``: one figure at a
    time."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m benchmarks.sessions")
    parser.add_argument("url", help="the database (for outage: a SQLite file is moved away and back, "
                                    "PostgreSQL is cut off behind a loopback forwarder)")
    parser.add_argument("what", choices=("per_session", "churn", "soak", "outage", "served_changes"))
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--interval", type=float, default=30)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    if args.what == "per_session":
        figures = per_session(args.url, sessions=args.sessions)
    elif args.what == "churn":
        figures = churn(args.url, cycles=args.cycles)
    elif args.what == "served_changes":
        figures = served_changes(args.url)
    elif args.what == "soak":
        figures = soak(args.url, sessions=args.sessions, minutes=args.minutes, interval=args.interval)
    else:
        figures = outage(args.url, seconds=args.seconds)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
