"""Running the ``fundwatch`` command line as a user does, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys


def fundwatch(*args: str, env: dict | None = None, password: str | None = None) -> subprocess.CompletedProcess:
    """``fundwatch ARGS`` in this process's environment with ``env`` set over it; ``password`` is
    the new password ``user add`` / ``user passwd`` read (``FUNDWATCH_NEW_PASSWORD``, else none)."""
    env = {**{k: v for k, v in os.environ.items() if k != "FUNDWATCH_NEW_PASSWORD"}, **(env or {})}
    if password is not None:
        env["FUNDWATCH_NEW_PASSWORD"] = password
    return subprocess.run([sys.executable, "-m", "fundwatch.dashboards.cli", *args], capture_output=True,
                          text=True, timeout=300, env=env, stdin=subprocess.DEVNULL)


def one_line_error(result: subprocess.CompletedProcess) -> str:
    """The one line a failing command prints on stderr (and asserts it is only that)."""
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("fundwatch: error:")
    return lines[0]
