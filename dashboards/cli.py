"""The ``fundwatch`` command line (DESIGN.md, "The CLI contract").

Every command takes ``--db URL`` (default ``FUNDWATCH_DB_URL``, then the embedded SQLite file)
and exits non-zero with a one-line message on failure, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from collections.abc import Callable, Sequence

import pandas as pd

from fundwatch.data import db, due_dates, schema
from fundwatch.data.scope import Scope
from fundwatch.data.vocab import ROLES


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
    else:
        due_dates.ensure(engine)  # the installed holiday calendar's due dates (a newer package moves them)
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


def cmd_serve(args) -> int:
    from fundwatch.dashboards import app, auth

    if args.num_procs < 1:
        raise CliError("--num-procs must be at least 1")
    secret = auth.check_secret(os.environ.get(auth.ENV_SECRET))  # before anything is created
    if secret is None and not auth.is_loopback(args.address):
        raise CliError(f"without {auth.ENV_SECRET} fundwatch serves in demo mode, on this machine only: "
                       f"set a cookie secret (32 bytes or more) to serve on {args.address}")
    mode = args.auth or auth.auth_mode()
    if mode == "oauth":
        if secret is None:
            raise CliError(f"OAuth login signs its cookies with {auth.ENV_SECRET}: set one (32 bytes or more)")
        auth.oauth_options()  # every setting checked before anything starts
    engine = _serve_engine(args)
    url = engine.url.render_as_string(hide_password=False)
    os.environ[db.ENV_URL] = url  # the pages (and forked workers) read it
    shown = engine.url.render_as_string(hide_password=True)
    said = ("login required" if secret and mode == "password" else "OAuth login required" if secret else
            f"demo mode: no login, this machine only (set {auth.ENV_SECRET} to require a login)")
    app.serve(port=args.port, address=args.address, num_procs=args.num_procs, show=not args.no_show,
              cookie_secret=secret, behind_proxy=args.behind_proxy, websocket_origins=args.origin or (),
              auth_mode=mode, read_ahead=not args.no_read_ahead,
              on_ready=lambda address: print(f"fundwatch: serving {shown} at {address}, {said} (Ctrl+C stops)",
                                             flush=True))
    return 0


def _serve_engine(args):
    """The database to serve: the one named (which must exist), else the embedded default,
    created with demo data on the first run (written aside and moved in place when complete)."""
    if args.db or os.environ.get(db.ENV_URL):
        return _engine(args)
    if db.default_path().exists():  # the embedded database is ours: bring its schema up to date
        return _engine(args, migrate=True)
    from fundwatch.data import demo

    path = db.default_path()
    partial = path.with_name(path.name + ".part")
    for leftover in (partial, partial.with_name(partial.name + "-wal"), partial.with_name(partial.name + "-shm")):
        leftover.unlink(missing_ok=True)
    print(f"fundwatch: first run: creating the demo database at {path} (this takes a while) ...", flush=True)
    engine = db.get_engine(str(partial), create=True)
    schema.upgrade(engine)
    demo.load_demo(engine, scale=1.0, progress=lambda msg: print(f"  {msg}", file=sys.stderr, flush=True))
    db.dispose_all()
    partial.rename(path)
    print(f"fundwatch: demo database created at {path}", flush=True)
    return _engine(args)


def cmd_score(args) -> int:
    from fundwatch.dashboards import cli_score

    return cli_score.cmd_score(args)


def cmd_report(args) -> int:
    from fundwatch.dashboards import cli_report

    return cli_report.cmd_report(args)


def cmd_export_panel(args) -> int:
    from fundwatch.dashboards import cli_embed

    return cli_embed.cmd_export_panel(args)


def _export_account(engine, name: str, *, kind: str, fmt: str, county: str | None):
    """The scope and actor of ``fundwatch export --user NAME``: the account's own scope.  An
    unknown user, a disabled one, one who may see nothing, or a county official asking for
    another county is refused; the refusals of a known account are audited."""
    from fundwatch.data.access import get_user, record_export, scope_for

    account = get_user(engine, name)
    if account is None:
        raise CliError(f"没有用户 {name} / no user {name}")
    scope = scope_for(account)
    reason = None
    if not account.active:
        reason = f"用户 {account.username} 已停用 / user {account.username} is disabled"
    elif scope.counties == frozenset():
        reason = f"用户 {account.username} 无权查看任何地区 / user {account.username} may see no region"
    elif county and not scope.allows(county):
        reason = (f"用户 {account.username} 只能导出本县数据，不能导出 {county} / user {account.username} may export "
                  f"{scope.key} only, not {county}")
    if reason is not None:
        record_export(engine, account.username, kind=kind, fmt=fmt, rows=0, scope=scope, county_code=county,
                      surface="cli", filters={"county": county} if county else None, result="refused")
        raise CliError(reason)
    return scope, account.username


def _import_account(engine, name: str, county: str | None):
    """The scope and actor of ``fundwatch import --user NAME``: an active county official's county
    or a data administrator's prefecture (narrowed by ``--county``), as on the upload page."""
    from fundwatch.data.access import IMPORT_ROLES, get_user, scope_for

    account = get_user(engine, name)
    if account is None:
        raise CliError(f"没有用户 {name} / no user {name}")
    if not account.active:
        raise CliError(f"用户 {account.username} 已停用 / user {account.username} is disabled")
    if account.role not in IMPORT_ROLES:
        raise CliError(f"用户 {account.username} 的角色不能导入数据 / the role of {account.username} may not import")
    scope = scope_for(account)
    if scope.counties == frozenset():
        raise CliError(f"用户 {account.username} 无权查看任何地区 / user {account.username} may see no region")
    if county is not None:
        if not scope.allows(county):
            raise CliError(f"用户 {account.username} 只能导入本县数据，不能导入 {county} / user {account.username} "
                           f"may import {scope.key} only, not {county}")
        scope = Scope.county(county)
    return scope, account.username


def cmd_export(args) -> int:
    import getpass

    from fundwatch.components import export as exporting
    from fundwatch.components.stores import EXPORT_KINDS, RECORD_EXPORTS, CountyStore, OverviewStore
    from fundwatch.data.rules import default_as_of

    fmt = args.format or (args.out.rsplit(".", 1)[-1].lower() if args.out and args.out.endswith((".csv", ".xlsx"))
                          else "csv")
    if args.kind not in EXPORT_KINDS:
        raise CliError(f"unknown table {args.kind!r}; choose one of {', '.join(EXPORT_KINDS)}")
    if (args.kind in RECORD_EXPORTS or args.kind == "subregions") and not args.county:
        raise CliError(f"{args.kind} lists the records of a region: give --county")
    if (args.township or args.village) and not args.county:
        raise CliError("--township and --village need --county")
    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    year = args.year or (as_of.year if as_of else None)
    filters = {"lang": args.lang}
    if year is not None:
        filters.update(year=year, as_of=as_of or default_as_of(year))
    engine = _engine(args)
    if args.user is None:  # the operator at the shell owns the database: the whole prefecture
        scope, actor = Scope.all(), f"cli:{getpass.getuser()}"
    else:
        scope, actor = _export_account(engine, args.user, kind=args.kind, fmt=fmt, county=args.county)
    region = {"county": args.county or "", "township": args.township or "", "village": args.village or ""}
    store_class = CountyStore if args.county else OverviewStore
    store = store_class(engine=engine, scope=scope, actor=actor, surface="cli", **filters,
                        **(region if args.county else {}))
    for level, code in region.items():
        if code and getattr(store, level) != code:
            raise CliError(f"no {level} {code!r} in the database (or outside your scope)")
    try:
        data = store.export(args.kind, fmt)  # its audit row is written first
    except exporting.ExportNotAudited as exc:
        raise CliError(f"{exc}; nothing was written") from None
    if args.out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    out = args.out or exporting.filename(args.kind, fmt)
    with open(out, "wb") as f:
        f.write(data)
    print(f"wrote {args.kind} ({fmt}) to {out}")
    return 0


def cmd_template(args) -> int:
    from fundwatch.data.imports import KINDS, template_bytes, template_name
    from fundwatch.data.imports.templates import notes_csv

    if args.kind not in KINDS:
        raise CliError(f"unknown import kind {args.kind!r}; choose one of {', '.join(KINDS)}")
    fmt = args.format or (args.out.rsplit(".", 1)[-1].lower() if args.out and args.out.endswith((".csv", ".xlsx"))
                          else "xlsx")
    data = template_bytes(args.kind, fmt, args.lang)
    if args.out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return 0
    out = args.out or template_name(args.kind, fmt, args.lang)
    with open(out, "wb") as f:
        f.write(data)
    print(f"wrote the {args.kind} template ({fmt}) to {out}")
    if fmt == "csv":  # a CSV has no second sheet: the notes go beside it
        notes = out.removesuffix(".csv") + ("-notes.csv" if args.lang == "en" else "-说明.csv")
        with open(notes, "wb") as f:
            f.write(notes_csv(args.kind, args.lang))
        print(f"wrote its column notes to {notes}")
    return 0


def cmd_import(args) -> int:
    import getpass

    from fundwatch.data.imports import KINDS, run_import

    if args.kind not in KINDS:
        raise CliError(f"unknown import kind {args.kind!r}; choose one of {', '.join(KINDS)}")
    try:
        with open(args.file, "rb") as f:
            content = f.read()
    except OSError as exc:
        raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    engine = _engine(args)
    scope = Scope.all() if args.county is None else Scope.county(args.county)
    actor = f"cli:{getpass.getuser()}"
    if args.user is not None:
        scope, actor = _import_account(engine, args.user, args.county)
    show_progress = args.progress or sys.stderr.isatty()
    stages = {"read": "读取", "parse": "解析", "check": "检查", "write": "写入", "done": "完成"} if args.lang == "zh" \
        else {"read": "reading", "parse": "parsing", "check": "checking", "write": "writing", "done": "done"}

    def progress(stage: str, done: int, total: int) -> None:
        if show_progress:
            print(f"{stages.get(stage, stage)} {done}/{total}", file=sys.stderr, flush=True)

    report = run_import(engine, args.kind, content, args.file, actor=actor, scope=scope, dry_run=args.dry_run,
                        sheet=args.sheet, progress=progress)
    if args.format == "json":
        items = [{"type": "summary", **report.as_dict(args.lang)}]
        items += [{"type": "problem", **p.as_dict(args.lang)} for p in report.problems]
        items += [{"type": "change", "row": c.row, "action": c.action, "key": c.key, "columns": list(c.columns)}
                  for c in report.changes]
        print(json.dumps(items, ensure_ascii=False, indent=2, default=str))
    else:
        print(report.summary(args.lang))
        if report.problems:
            frame = report.problems_frame(args.lang)[["row", "column", "value", "title", "message"]]
            if args.lang == "zh":
                frame.columns = ["行", "列", "值", "问题", "说明"]
            print(frame.fillna("").to_string(index=False))
    if not report.ok:
        print(f"fundwatch: error: {report.summary(args.lang)}", file=sys.stderr)
        return 1
    return 0


def cmd_warnings(args) -> int:
    from fundwatch.data.rules import default_as_of, evaluate, format_findings, get_rule

    rules = None
    if args.rule:
        try:
            rules = [get_rule(rule_id).id for rule_id in args.rule]
        except KeyError as exc:
            raise CliError(str(exc.args[0])) from None
    as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    year = args.year or (as_of.year if as_of else dt.date.today().year)
    engine = _engine(args)
    scope = Scope.all() if args.county is None else Scope.county(args.county)
    findings = evaluate(engine, scope, year, as_of=as_of or default_as_of(year), rules=rules,
                        config=args.config, lang=args.lang)
    sys.stdout.write(format_findings(findings, args.format, lang=args.lang).rstrip("\n") + "\n")
    return 0


NEW_PASSWORD_ENV = "FUNDWATCH_NEW_PASSWORD"


def _iso_times(df: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Times as ISO 8601 text with their offset (JSON would otherwise get epoch milliseconds)."""
    out = df.copy()
    for column in columns:
        out[column] = [None if pd.isna(t) else t.isoformat(timespec="seconds") for t in out[column]]
    return out


def _new_password(username: str) -> str:
    """The new password: ``$FUNDWATCH_NEW_PASSWORD`` if set, else asked twice on the terminal."""
    import getpass

    from fundwatch.data.access import check_password_policy

    password = os.environ.get(NEW_PASSWORD_ENV)
    if password is None:
        if not sys.stdin.isatty():
            raise CliError(f"no terminal to ask for the password: set {NEW_PASSWORD_ENV}")
        password = getpass.getpass("新密码 / New password: ")
        if getpass.getpass("再次输入 / Repeat it: ") != password:
            raise CliError("两次输入的密码不一致 / the two passwords differ")
    check_password_policy(password, username)
    return password


def cmd_user(args) -> int:
    import getpass

    from fundwatch.data import access

    engine = _engine(args)
    actor = f"cli:{getpass.getuser()}"
    name = getattr(args, "name", None)
    if args.user_command == "list":
        frame = _iso_times(access.users_frame(engine, Scope.all()), "created_at", "last_login")
        _print_frame(frame if args.format == "json" else frame.fillna(""), args.format)
    elif args.user_command == "add":
        access.check_new_user(engine, name, args.role, county_code=args.county,  # before asking for a password
                              display_name=args.display_name)
        account = access.add_user(engine, name, _new_password(name), args.role, county_code=args.county,
                                  display_name=args.display_name, actor=actor)
        where = f", {account.county_code} {account.county_name}" if account.county_code else ""
        print(f"added user {account.username} ({account.role}{where})")
    elif args.user_command == "passwd":
        account = access.get_user(engine, name)
        if account is None:
            raise CliError(f"没有用户 {name} / no user {name}")
        ended = access.change_password(engine, account.username, _new_password(account.username), actor=actor)
        print(f"changed the password of {account.username}; {ended} session(s) ended")
    else:  # disable, enable
        change = access.disable_user if args.user_command == "disable" else access.enable_user
        state = f"{args.user_command}d"
        if change(engine, name, actor=actor):
            print(f"{state} user {access.normalise_username(name)}")
        else:
            print(f"user {access.normalise_username(name)} was already {state}")
    return 0


def _date_option(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CliError(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def cmd_audit(args) -> int:
    from fundwatch.data.access import audit_frame

    since, until = _date_option(args.since, "--since"), _date_option(args.until, "--until")
    if args.limit < 1:
        raise CliError("--limit must be at least 1")
    engine = _engine(args)
    frame = audit_frame(engine, Scope.all(), since=since, until=until, action=args.action, actor=args.actor,
                        limit=args.limit)
    frame = _iso_times(frame, "at")
    _print_frame(frame if args.format != "table" else frame.fillna(""), args.format)
    return 0


COMMANDS: dict[str, Callable] = {"init": cmd_init, "demo": cmd_demo, "summary": cmd_summary, "serve": cmd_serve,
                                 "export": cmd_export, "warnings": cmd_warnings, "score": cmd_score,
                                 "template": cmd_template, "import": cmd_import, "user": cmd_user,
                                 "audit": cmd_audit, "report": cmd_report, "export-panel": cmd_export_panel}


def add_score_parser(sub) -> None:
    from fundwatch.dashboards import cli_score

    cli_score.add_parser(sub)


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

    p = sub.add_parser("serve", help="serve the dashboards (creates the demo database on the first run); "
                       "with $FUNDWATCH_COOKIE_SECRET a login is required, without it demo mode on loopback only")
    _add_db(p)
    p.add_argument("--port", type=int, default=5006, help="port (default 5006; 0 picks a free one)")
    p.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--num-procs", type=int, default=1, metavar="N", help="worker processes (default 1)")
    p.add_argument("--no-show", action="store_true", help="do not open a browser")
    p.add_argument("--no-read-ahead", action="store_true",
                   help="do not read each county's drill-down and transition views ahead while the server is idle "
                        "(they are then read when first asked for)")
    p.add_argument("--auth", choices=("password", "oauth"),
                   help="with a cookie secret: the built-in login page (password, default) or an OAuth/OpenID "
                        "identity provider (oauth: FUNDWATCH_OAUTH_* settings, see the README); default "
                        "FUNDWATCH_AUTH")
    p.add_argument("--behind-proxy", action="store_true",
                   help="trust X-Forwarded-For/-Proto from a TLS proxy in front (client address, secure cookie)")
    p.add_argument("--origin", action="append", metavar="HOST[:PORT]",
                   help="a further host the browsers reach the server by (the proxy's public name; repeatable)")

    p = sub.add_parser("export", help="export a table or chart of the dashboards as CSV or XLSX (audited)")
    _add_db(p)
    p.add_argument("kind", metavar="KIND", help="county_ranking, subregions, pace, funds, funds_programme, loans, "
                   "loans_bank, leverage, assets, households, warnings, projects, loan_records, asset_records, "
                   "household_records")
    p.add_argument("--county", metavar="CODE", help="a county (adcode or ZONE-..); without it, the prefecture")
    p.add_argument("--township", metavar="CODE", help="a township of the county")
    p.add_argument("--village", metavar="CODE", help="a village of the township")
    p.add_argument("--year", type=int, help="budget year (default: this year)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="figures as of this date (default: the year's end or today)")
    p.add_argument("--format", choices=("csv", "xlsx"), help="file format (default: from --out, else csv)")
    p.add_argument("--out", metavar="PATH", help="output file ('-' for stdout; default fundwatch-KIND-TIME.FORMAT)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of titles and labels (default zh)")
    p.add_argument("--user", metavar="NAME", help="export as this user: only what their account may see, audited "
                   "under their name (default: the whole prefecture, audited as cli:<login>)")

    p = sub.add_parser("warnings", help="evaluate the policy rules (F, L, A, H and Q series)")
    _add_db(p)
    p.add_argument("--year", type=int, help="year to evaluate (default: the as-of date's year, else this year)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="evaluate as of this date (default: the year's end or today)")
    p.add_argument("--county", metavar="CODE", help="restrict to one county")
    p.add_argument("--rule", metavar="ID", action="append", help="only this rule (repeatable), e.g. F1")
    p.add_argument("--config", metavar="FILE", help="YAML file overriding rule thresholds "
                   "(default: $FUNDWATCH_RULES_CONFIG)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of messages (default zh)")

    add_score_parser(sub)
    from fundwatch.dashboards import cli_embed, cli_report

    cli_report.add_parser(sub)
    cli_embed.add_parser(sub)

    kinds = ("allocations, projects, disbursements, loans, risk_funds, assets, asset_income, households, measures, "
             "dibao_standards, scores")
    p = sub.add_parser("template", help="write the import template of a table (XLSX with notes, or CSV)")
    p.add_argument("kind", metavar="KIND", help=kinds)
    p.add_argument("--format", choices=("xlsx", "csv"), help="file format (default: from --out, else xlsx)")
    p.add_argument("--out", metavar="PATH", help="output file ('-' for stdout; default fundwatch-KIND-模板.FORMAT)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the headers and notes (default zh)")

    p = sub.add_parser("import", help="validate a CSV/XLSX file and load it all or nothing")
    _add_db(p)
    p.add_argument("kind", metavar="KIND", help=kinds)
    p.add_argument("file", metavar="FILE", help="the .xlsx or .csv file")
    p.add_argument("--dry-run", action="store_true", help="validate and report what would change; write nothing")
    p.add_argument("--county", metavar="CODE", help="import as a county official: rows of other counties are errors")
    p.add_argument("--user", metavar="NAME", help="import as this user: their county (a county official) or the "
                                                  "prefecture (a data administrator), audited under their name "
                                                  "(default: the prefecture, audited as cli:<login>)")
    p.add_argument("--sheet", metavar="NAME", help="the XLSX sheet to read (default: the first)")
    p.add_argument("--format", choices=("table", "json"), default="table")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the report (default zh)")
    p.add_argument("--progress", action="store_true", help="print progress to stderr (default: when it is a terminal)")

    p = sub.add_parser("user", help="manage the users who may sign in (add, disable, enable, passwd, list)")
    users = p.add_subparsers(dest="user_command", metavar="ACTION", parser_class=_Parser)
    users.required = True
    password_note = f"the password comes from ${NEW_PASSWORD_ENV} if set, else it is asked twice"
    q = users.add_parser("add", help=f"add a user; {password_note}")
    _add_db(q)
    q.add_argument("name", metavar="NAME", help="the username: 2-64 of a-z 0-9 . _ - (stored in lower case)")
    q.add_argument("--role", required=True, choices=tuple(ROLES), help="what the user may see and do")
    q.add_argument("--county", metavar="CODE", help="the county of a county official (required for that role) "
                                                    "or of an embed viewer (optional: else the prefecture)")
    q.add_argument("--display-name", metavar="TEXT", help="the name shown in the app")
    for action, text in (("disable", "disable a user and end their sessions"), ("enable", "enable a user again"),
                         ("passwd", f"set a user's password and end their sessions; {password_note}")):
        q = users.add_parser(action, help=text)
        _add_db(q)
        q.add_argument("name", metavar="NAME")
    q = users.add_parser("list", help="list the users (never their password hashes)")
    _add_db(q)
    q.add_argument("--format", choices=("table", "json"), default="table")

    p = sub.add_parser("audit", help="read the audit log, newest first")
    _add_db(p)
    p.add_argument("--since", metavar="YYYY-MM-DD", help="from this day on (local time)")
    p.add_argument("--until", metavar="YYYY-MM-DD", help="up to and including this day (local time)")
    p.add_argument("--action", metavar="A", help="only this action: login, login_failed, login_locked, logout, "
                   "user_add, user_disable, user_enable, user_passwd, unmask, import, score_edit, ...")
    p.add_argument("--actor", metavar="NAME", help="only rows of this actor")
    p.add_argument("--limit", type=int, default=1000, metavar="N", help="at most N rows (default 1000)")
    p.add_argument("--format", choices=("table", "json", "csv"), default="table")
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
