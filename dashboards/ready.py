"""``/ready``: whether this server can serve pages, for a load balancer or a supervisor.

``GET /ready`` answers ``200 ready`` when the database answers (:func:`fundwatch.data.db.ping`:
the schema version read within two seconds) and ``503 unavailable`` when it does not.  It needs
no login and says nothing else: no database URL, no error text.  The check runs in a worker
thread, so a slow database never holds up the server; its answer also refreshes the process's
database monitor (:mod:`fundwatch.data.health`), which the open pages read.
"""

from __future__ import annotations

from tornado.ioloop import IOLoop
from tornado.web import RequestHandler

from fundwatch.data import db, health

PATH = "/ready"


class ReadyHandler(RequestHandler):
    """``200 ready`` or ``503 unavailable``, as plain text that is never cached."""

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.set_header("X-Content-Type-Options", "nosniff")

    async def get(self) -> None:
        url = db.resolve_url(None)
        ok = await IOLoop.current().run_in_executor(None, db.ping, url)
        monitor = health.monitor(url)
        if ok != monitor.ok:
            monitor.report_failure()  # the pages learn the news at once, not at the next turn
        self.set_status(200 if ok else 503)
        self.finish("ready\n" if ok else "unavailable\n")


def patterns() -> list[tuple]:
    """The extra route of ``pn.serve``."""
    return [(PATH, ReadyHandler)]
