"""``python -m benchmarks [--scale F | --db URL] [--repeat N]``: server-side page figures."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks import imports, pages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--scale", type=float, default=0.1, help="demo scale when no --db is given (default 0.1)")
    parser.add_argument("--db", metavar="URL", help="an existing database instead of a fresh demo one")
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure (default 7)")
    parser.add_argument("--only", choices=("pages", "imports"), help="run one suite (default: all)")
    args = parser.parse_args(argv)
    if args.repeat < 2:
        parser.error("--repeat must be at least 2")
    if args.only != "imports":
        pages.run(db_url=args.db, scale=args.scale, repeat=args.repeat, out=sys.stdout)
    if args.only != "pages":
        with tempfile.TemporaryDirectory() as folder:
            url = pages.demo_database(args.scale, Path(folder))  # imports write: never into --db
            imports.run(url, repeat=min(args.repeat, 3), out=sys.stdout)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
