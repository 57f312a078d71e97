"""The ``fundwatch`` command line (DESIGN.md, "The CLI contract").

Every command takes ``--db URL`` (default ``FUNDWATCH_DB_URL``, then the embedded SQLite file)
and exits non-zero with a one-line message on failure, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence

import pandas as pd

from fundwatch.data import db, schema
from fundwatch.data.scope import Scope


class CliError(Exception):
    """A failure the user can act on: printed as one line, exit status 1."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, not usage + message
        self.exit(2, f"fundwatch: error: {message} (see `fundwatch --help`)\n")


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", help="database URL (default: $FUNDWATCH_DB_URL, else the embedded SQLite file)")


def _engine(args, *, create: bool = False, migrate: bool = False):
    engine = db.get_engine(args.db, create=create)
    db.check_connection(engine)
    if migrate:
        schema.upgrade(engine)
    elif not schema.is_current(engine):
        raise CliError(f"the database at {engine.url.render_as_string(hide_password=True)} "
                       "has no current schema: run `fundwatch init` first")
    return engine


def _print_frame(df: pd.DataFrame, fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(json.loads(df.to_json(orient="records", force_ascii=False)), ensure_ascii=False, indent=2))
    elif fmt == "csv":
        sys.stdout.write(df.to_csv(index=False))
    else:
        print(df.to_string(index=False))


# -- commands -------------------------------------------------------------------------------------

def cmd_init(args) -> int:
    engine = _engine(args, create=True, migrate=True)
    print(f"schema at revision {schema.current_revision(engine)}: {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_demo(args) -> int:
    from fundwatch.data import demo

    if args.scale <= 0:
        raise CliError("--scale must be positive")
    engine = _engine(args, create=True, migrate=True)
    started = time.perf_counter()
    counts = demo.load_demo(engine, scale=args.scale, seed=args.seed,
                            progress=lambda msg: print(f"  {msg}", file=sys.stderr))
    total = sum(counts.values())
    print(f"demo data loaded: {total:,} rows in {time.perf_counter() - started:.1f} s "
          f"(scale {args.scale:g}, seed {args.seed}) into {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_summary(args) -> int:
    from fundwatch.data import reads

    engine = _engine(args)
    scope = Scope.all() if args.county is None else Scope.county(args.county)
    counts = reads.table_counts(engine, scope)
    totals = reads.headline_totals(engine, scope)
    if args.format == "json":
        print(json.dumps({"tables": counts.to_dict(orient="records"),
                          "totals": totals.to_dict(orient="records")}, ensure_ascii=False, indent=2))
        return 0
    print("Rows per table / 各表行数")
    print(counts.to_string(index=False))
    print()
    print("Headline totals against the seed figures / 主要指标与文件数据对照")
    shown = totals[["label_zh", "value", "target", "unit", "ratio"]]
    print(shown.to_string(index=False))
    return 0


COMMANDS: dict[str, Callable] = {"init": cmd_init, "demo": cmd_demo, "summary": cmd_summary}


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="fundwatch", description="Supervise poverty-alleviation and rural-revitalisation funds.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True

    p = sub.add_parser("init", help="create or migrate the database schema")
    _add_db(p)

    p = sub.add_parser("demo", help="load the deterministic demo prefecture (Ganzhou-like)")
    _add_db(p)
    p.add_argument("--scale", type=float, default=1.0, help="row-count multiplier (default 1)")
    p.add_argument("--seed", type=int, default=20200313, help="random seed (default 20200313)")

    p = sub.add_parser("summary", help="row counts per table and headline totals")
    _add_db(p)
    p.add_argument("--county", metavar="CODE", help="restrict to one county")
    p.add_argument("--format", choices=("table", "json"), default="table")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args) or 0
    except (CliError, db.DatabaseError, ValueError) as exc:
        print(f"fundwatch: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # output piped into `head` and the like
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("fundwatch: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one line, never a traceback
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"fundwatch: error: {type(exc).__name__}: {reason}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
