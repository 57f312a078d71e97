"""``fundwatch serve`` in a child process for the benchmarks that need a real server.

The server runs in a process group of its own (``--num-procs`` forks workers into it) on a free
loopback port, its output kept in a file; :meth:`Served.stop` ends the group it started, by its
id.  Memory is read from ``/proc`` for the server and its workers together.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

MB = 1024 * 1024


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status(url: str, timeout: float = 30) -> int | None:
    """The HTTP status of a GET of ``url`` (None when nothing answers)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return None


def keep_findings(url: str | None, views=None, out=None) -> dict:
    """Keep the policy findings of ``views`` (``(scope, year, as_of)`` triples; default: the views
    a served page opens on, today's date for the prefecture and each county) before a server is
    timed, and return ``views``, ``evaluated`` and ``seconds``.

    A server keeps the opening views' findings itself, on a thread of its own
    (:class:`~fundwatch.data.rules.stored.Warmer`), once a day and after every write: at scale 10
    some 7-20 s of rules; a page at another date evaluates its view's findings when it is first
    opened after a write.  A run's first served suite of the day met that work running beside it
    (the load suite's first burst took 22 s; the county page's served second visit measured
    131 ms on PostgreSQL against 74 on SQLite, whose findings an earlier run had kept), and a
    burst after a write met its pages' evaluation (11.5 s instead of 5.7).  The served figures are
    a server's once its views' findings are kept; this work is timed and printed on its own."""
    from fundwatch.dashboards import app
    from fundwatch.data.rules import stored

    previous = os.environ.get(app.ENV_DB)
    if url is not None:  # None: the database fundwatch serve uses by default
        os.environ[app.ENV_DB] = url
    try:
        views = list(app.opening_views() if views is None else views)
        started = time.perf_counter()
        evaluated = stored.warm(app.engine(), views)
        seconds = time.perf_counter() - started
    finally:
        if previous is None:
            os.environ.pop(app.ENV_DB, None)
        else:
            os.environ[app.ENV_DB] = previous
    if out is not None:
        out.write(f"findings of {len(views)} views kept before serving: {evaluated} evaluated in {seconds:.1f} s "
                  f"(a server keeps its opening views' once a day and after a write, beside its pages)\n")
    return {"views": len(views), "evaluated": evaluated, "seconds": seconds}


class Served:
    """``fundwatch serve`` on the database ``url`` (None: the embedded default), with ``extra``
    options; a context manager that stops it and removes its log."""

    def __init__(self, url: str | None, *extra: str, num_procs: int = 1, env: dict | None = None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkstemp(prefix="fundwatch-serve-", suffix=".log")[1])
        self._log = self.log_path.open("w")
        command = [sys.executable, "-m", "fundwatch.dashboards.cli", "serve", "--port", str(self.port),
                   "--num-procs", str(num_procs), "--no-show", *extra]
        if url is not None:
            command += ["--db", url]
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT,
                                        env={**os.environ, **(env or {})}, start_new_session=True)
        self.pid = self.process.pid

    def wait(self, timeout: float = 120) -> Served:
        """Return once ``/ready`` answers 200; raise with the log's end if the server exits or is late."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"fundwatch serve exited: {self.log()[-2000:]}")
            if status(self.base + "/ready") == 200:
                return self
            time.sleep(0.3)
        log = self.stop()
        raise TimeoutError(f"fundwatch serve did not answer on {self.base} within {timeout} s: {log[-2000:]}")

    def rss(self) -> int:
        """Resident memory of the server and its forked workers, in bytes."""
        try:
            server = psutil.Process(self.pid)
            return sum(p.memory_info().rss for p in (server, *server.children()))
        except psutil.NoSuchProcess:
            return 0

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def errors(self) -> list[str]:
        """The log's error lines: tracebacks, ERROR records and failed requests (5xx but /ready's 503)."""
        return [line for line in self.log().splitlines()
                if "Traceback" in line or "ERROR" in line or "Exception" in line
                or re.match(r"^5\d\d (?!GET /ready)", line)]

    def stop(self) -> str:
        """End the server's process group (the one this object started); its log."""
        if self.process.poll() is None:
            group = os.getpgid(self.pid)
            os.killpg(group, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(group, signal.SIGKILL)
                self.process.wait()
        log = self.log()
        self._log.close()
        return log

    def __enter__(self) -> Served:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        self.log_path.unlink(missing_ok=True)
