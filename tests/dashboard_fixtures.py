"""Fixtures of the component, dashboard and browser tests: one small demo database per test run,
and a ``fundwatch serve`` process on a free loopback port.

Import the fixtures a test module uses (``from dashboard_fixtures import demo_db, ...``).  The
demo database is built once per process whichever module asks first and is read-only for tests;
a test that writes (an export writes its audit row) takes ``demo_copy`` or ``writable_engine``.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

import pytest
from cli_run import fundwatch

from fundwatch.components import clear_caches
from fundwatch.data import db, demo, schema

DEMO_SCALE = 0.02
ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
_built: dict[str, Path] = {}


def build_demo_database(base: Path) -> Path:
    """A demo database at :data:`DEMO_SCALE` (built once per process)."""
    if "path" not in _built:
        path = base / "dashboards-demo.db"
        engine = db.get_engine(str(path), create=True)
        schema.upgrade(engine)
        # data/demo.py divides by zero outstanding loans at small scales (reported); numpy only warns.
        demo.load_demo(engine, scale=DEMO_SCALE)
        _built["path"] = path
    return _built["path"]


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory) -> Path:
    """The path of the shared demo database (read-only for tests)."""
    return build_demo_database(tmp_path_factory.getbasetemp())


@pytest.fixture(scope="session")
def engine(demo_db):
    return db.get_engine(str(demo_db))


def copy_database(source: Path, target: Path) -> Path:
    """A consistent copy of the SQLite file ``source`` (its WAL included) at ``target``."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
    return target


@pytest.fixture
def demo_copy(demo_db, tmp_path) -> Path:
    """A fresh copy of the demo database for a test that writes (exports write audit rows)."""
    return copy_database(demo_db, tmp_path / "demo-copy.db")


@pytest.fixture
def writable_engine(demo_copy):
    """An engine on :func:`demo_copy`."""
    engine = db.get_engine(str(demo_copy))
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Every test starts from empty read caches (they are shared per process in production)."""
    clear_caches()
    yield
    clear_caches()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def served_in_thread(routes: dict, database: Path, monkeypatch, **options) -> Iterator[str]:
    """``routes`` served from a thread of this process on a free loopback port (demo mode) on
    ``database``, answering ``/ready`` before it is given; its base URL.  ``options`` go to
    ``pn.serve``.

    The server gets a garbage collector of its own (``app.COLLECTOR``): the shared one would
    schedule its quiet collection on this server's loop, which stops with the test, and wait for
    it for good, so a later server of the process would never collect."""
    import panel as pn  # noqa: PLC0415 - the servers' tests only

    from fundwatch.dashboards import app, auth, ready  # noqa: PLC0415
    from fundwatch.data import health  # noqa: PLC0415

    monkeypatch.setenv(app.ENV_DB, str(database))
    monkeypatch.delenv(auth.ENV_SECRET, raising=False)
    monkeypatch.setattr(app, "COLLECTOR", app._Collector())
    auth.install_handlers(app.EMBEDDABLE)
    app.load_extensions()
    port = free_port()
    thread = pn.serve(routes, port=port, address="127.0.0.1", show=False, threaded=True, verbose=False,
                      websocket_origin=[f"127.0.0.1:{port}"], extra_patterns=ready.patterns(), **options)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{base}/ready", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield base
    finally:
        thread.stop()
        health.stop_all()
        db.dispose_all()


class Server:
    """``fundwatch serve`` in a child process, stopped on exit."""

    def __init__(self, database: Path, *extra: str, env: dict | None = None, port: int | None = None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "fundwatch.dashboards.cli", "serve", "--db", str(database),
                   "--port", str(self.port), "--no-show", *extra]
        # A session of its own: --num-procs forks workers, and stopping must reach them all.
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                        env={**os.environ, **(env or {})}, start_new_session=True)

    def wait(self, timeout: float = 90, path: str = "/") -> Server:
        """Wait until ``path`` answers 200 (``/`` by default)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                out, _ = self.process.communicate()
                raise RuntimeError(f"fundwatch serve exited: {out}")
            try:
                with urllib.request.urlopen(self.url + path, timeout=30) as response:
                    if response.status == 200:
                        return self
            except OSError:
                time.sleep(0.3)
        out = self.stop()  # never leave a server behind
        raise TimeoutError(f"fundwatch serve did not answer on {self.url} within {timeout} s: {out[-2000:]}")

    def stop(self) -> str:
        """Stop the server (and its workers) and return what it printed."""
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


_servers: dict[Path, Server] = {}


def own_demo_database(tmp_path_factory, name: str, users=(), password: str | None = None) -> Path:
    """A demo database file of a module's own (it is written to), with ``users`` (username, role,
    county code or None) added one at a time by ``fundwatch user add`` (SQLite takes one writer)."""
    path = tmp_path_factory.mktemp(name) / f"{name}.db"
    engine = db.get_engine(str(path), create=True)
    schema.upgrade(engine)
    demo.load_demo(engine, scale=DEMO_SCALE)
    engine.dispose()
    for username, role, county in users:
        extra = ("--county", county) if county else ()
        done = fundwatch("user", "add", username, "--role", role, *extra, "--display-name", f"测试 {username}",
                         "--db", str(path), password=password)
        assert done.returncode == 0, done.stderr
    return path


@contextmanager
def own_server(tmp_path_factory, name: str) -> Iterator[Server]:
    """A server on a demo database of its own, for a module whose tests write to it."""
    served = Server(own_demo_database(tmp_path_factory, name)).wait()
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture(scope="session")
def server(demo_db):
    """One ``fundwatch serve`` for every module that asks (its caches warm up), on a copy of the demo
    database: what its pages write (the audit rows of a browser's downloads, the kept findings)
    never reaches the shared demo file that other tests copy and count in."""
    if demo_db not in _servers:
        served = copy_database(demo_db, demo_db.with_name("served-demo.db"))
        _servers[demo_db] = Server(served).wait()
    yield _servers[demo_db]
    _servers[demo_db].stop()


def fetch(url: str, timeout: float = 120) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.read().decode("utf-8")
