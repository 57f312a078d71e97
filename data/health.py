"""Whether the database answers, watched by one thread per database and process.

A served page must notice a database outage by itself (to say so) and its end (to reload), and
every page of a process asks the same question; so one daemon thread per database URL asks
:func:`fundwatch.data.db.ping` every :func:`period` seconds and keeps the answer in a
:class:`Health`, which the pages read (a plain attribute: reading it costs nothing and never
waits for the database).  A read that fails for want of the database calls
:meth:`Health.report_failure`, which makes the thread check at once instead of at its next turn.

When the database stops answering, the process's pooled connections to it are dropped: they may
point at a server that has gone, or (SQLite) at a file that is no longer where it was; the first
use after the outage opens fresh ones.
"""

from __future__ import annotations

import logging
import os
import threading
import time

from . import db

log = logging.getLogger(__name__)

ENV_PERIOD = "FUNDWATCH_HEALTH_SECONDS"
#: Seconds between two checks of a database that answers (a failed check is repeated as often).
PERIOD = 3.0


def period() -> float:
    """The check period: ``FUNDWATCH_HEALTH_SECONDS`` (0.2 to 30 s), default :data:`PERIOD`."""
    try:
        value = float(os.environ.get(ENV_PERIOD) or PERIOD)
    except ValueError:
        return PERIOD
    return min(max(value, 0.2), 30.0)


class Health:
    """The last known state of one database, kept fresh by a daemon thread.

    ``ok`` is True while the database answers; ``since`` is the ``time.monotonic()`` of the last
    change and ``checks`` the number of checks made (tests and benchmarks wait on it).
    """

    def __init__(self, url: str):
        self.url = url
        self.ok = True
        self.since = time.monotonic()
        self.checks = 0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fundwatch-health", daemon=True)
        self._thread.start()

    def report_failure(self) -> None:
        """A read failed for want of the database: check now rather than at the next turn."""
        self._wake.set()

    def check(self) -> bool:
        """Ask the database now, record and return the answer."""
        ok = db.ping(self.url)
        if ok != self.ok:
            self.ok, self.since = ok, time.monotonic()
            if ok:
                log.warning("the database answers again")
            else:
                log.warning("the database does not answer")
                db.dispose(self.url)
        self.checks += 1
        return ok

    @property
    def watching(self) -> bool:
        """Whether its thread still checks the database."""
        return self._thread.is_alive()

    def stop(self, wait: float = 0) -> None:
        """Stop the thread, waiting up to ``wait`` seconds for a check under way to end."""
        self._stop.set()
        self._wake.set()
        if wait > 0:
            self._thread.join(wait)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.check()
            except Exception:  # noqa: BLE001 - the watcher must outlive anything a check meets
                log.exception("the database check failed")
            self._wake.wait(period())
            self._wake.clear()


#: The longest one check takes (connecting and its statement, each within ``db.PING_TIMEOUT``):
#: what :func:`stop_all` waits for before a database is copied or removed.
CHECK_SECONDS = 2 * db.PING_TIMEOUT + 1

_monitors: dict[str, Health] = {}
_lock = threading.Lock()
_pid = os.getpid()


def monitor(url: str | None = None) -> Health:
    """The :class:`Health` of the database at ``url`` (resolved as in :func:`db.resolve_url`),
    started on first use in this process (a forked worker starts its own)."""
    global _pid
    url = db.normalise_url(db.resolve_url(url))
    with _lock:
        if os.getpid() != _pid:  # threads do not survive a fork: the parent's monitors are dead here
            _monitors.clear()
            _pid = os.getpid()
        health = _monitors.get(url)
        if health is None:
            health = _monitors[url] = Health(url)
        return health


def stop_all(wait: float = 0) -> None:
    """Stop every monitor of this process (tests; before a database is copied or removed),
    waiting up to ``wait`` seconds for each check under way to end.  The next :func:`monitor` of
    a database starts a new one."""
    with _lock:
        monitors = list(_monitors.values())
        _monitors.clear()
    for health in monitors:
        health.stop(wait)


__all__ = ["CHECK_SECONDS", "Health", "monitor", "period", "stop_all"]
