"""``fundwatch export-panel``: one embeddable panel as a self-contained HTML file.

Usage::

    fundwatch export-panel NAME [--county CODE] [--year Y] [--as-of DATE] [--out FILE.html]
                           [--lang zh|en] [--metric M] [--height PX] [--user NAME] [--db URL]

``NAME`` is one of the embeddable panels (:data:`fundwatch.dashboards.embed.PANELS`: kpis, map,
pace, warnings, scorecard).  The file holds the panel as ``/embed/NAME`` shows it for those
arguments, with Bokeh's and Panel's scripts and stylesheets inlined: it opens in a browser with no
network and no server (a snapshot: its downloads and selectors need the live panel and are left
out).  ``--county`` picks the county (for ``scorecard``, the unit scored); without it the panel
shows the prefecture (a scorecard: the best-ranked unit).

Without ``--user`` the operator at the shell sees the prefecture (audited as ``cli:<login>``);
with ``--user NAME`` only what that account may see, audited under NAME, and asking for a county
outside it is refused (audited as ``refused``).  The audit row (action ``export``, kind
``panel-NAME``, format ``html``, surface ``cli``) is written before the file; if it cannot be
written no file is written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os


#: The panels, the map's colourings and the tallest height ``export-panel`` offers, named here so
#: that every ``fundwatch`` command starts without importing the pages (Panel and the views: 1.3 s
#: of each command's start); ``tests/test_embed.py`` checks them against
#: ``fundwatch.dashboards.embed.PANELS`` and ``MAX_HEIGHT`` and ``fundwatch.components.stores.METRICS``.
PANELS = ("kpis", "map", "pace", "warnings", "scorecard")
METRICS = ("rate", "allocated", "leverage", "monitored", "warnings")
MAX_HEIGHT = 4000


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``export-panel`` command to the ``fundwatch`` sub-parsers."""
    from fundwatch.dashboards.cli import _add_db

    p = subparsers.add_parser("export-panel", help="write an embeddable panel as a self-contained HTML file "
                                                   "(opens without network; audited)")
    _add_db(p)
    p.add_argument("name", metavar="NAME", choices=PANELS, help=f"the panel: {', '.join(PANELS)}")
    p.add_argument("--county", metavar="CODE", help="the county-level unit (default: the prefecture)")
    p.add_argument("--year", type=int, help="the budget year (default: the current one)")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="figures as of this date (default: the year's end, or today)")
    p.add_argument("--out", metavar="FILE", help="the .html file to write (default: <panel>-<county>-<year>.html)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the panel (default zh)")
    p.add_argument("--metric", choices=METRICS, help="the map's colour (map only; default rate)")
    p.add_argument("--height", type=int, metavar="PX",
                   help=f"fill this height in pixels (1-{MAX_HEIGHT}; default: as tall as the content)")
    p.add_argument("--user", metavar="NAME", help="export as this user: only what they may see, audited under "
                   "their name (default: the whole prefecture, audited as cli:<login>)")
    return p


def cmd_export_panel(args) -> int:
    """Run ``fundwatch export-panel``; errors are raised as CliError (one line in ``cli.main``)."""
    from fundwatch.components.loaders import FIRST_YEAR, LAST_YEAR
    from fundwatch.dashboards import embed
    from fundwatch.dashboards.cli import CliError, _engine, _export_account
    from fundwatch.data.access import record_export
    from fundwatch.data.scope import Scope

    spec = embed.PANELS[args.name]
    kind = f"panel-{spec.name}"
    if args.out and not args.out.lower().endswith((".html", ".htm")):
        raise CliError(f"--out {args.out!r}: a panel is written as .html")
    if args.out and not os.path.isdir(os.path.dirname(os.path.abspath(args.out))):
        raise CliError(f"--out {args.out!r}: its folder does not exist")
    if args.height is not None and not 0 < args.height <= embed.MAX_HEIGHT:
        raise CliError(f"--height {args.height}: give 1 to {embed.MAX_HEIGHT} pixels")
    arguments: dict[str, object] = {"lang": args.lang}
    if args.as_of:
        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise CliError(f"--as-of {args.as_of!r} is not a date (YYYY-MM-DD)") from None
        if args.year is not None and as_of.year != args.year:
            raise CliError(f"--as-of {args.as_of} is not in {args.year}")
        arguments.update(as_of=as_of.isoformat(), year=as_of.year)
    if args.year is not None:
        if not FIRST_YEAR <= args.year <= LAST_YEAR:
            raise CliError(f"--year {args.year}: the data covers {FIRST_YEAR}-{LAST_YEAR}")
        arguments["year"] = args.year
    if args.county:
        arguments["county"] = args.county
    if args.metric:
        if spec.name != "map":
            raise CliError("--metric colours the map: give it with the map panel only")
        arguments["metric"] = args.metric

    engine = _engine(args)
    if args.user is None:  # the operator at the shell owns the database: the whole prefecture
        scope, actor = Scope.all(), f"cli:{getpass.getuser()}"
    else:
        scope, actor = _export_account(engine, args.user, kind=kind, fmt="html", county=args.county)
    store = embed.create_store(spec, arguments, engine=engine, scope=scope, actor=actor, surface="cli")
    shown = store.unit if spec.scoring else store.county
    if args.county and shown != args.county:  # the store falls back to a unit it may show
        raise CliError(f"no county {args.county!r} in the database (or outside your scope)")
    data = embed.static_html(spec, store, height=args.height)
    try:  # the audit row first: no file leaves without it (a one-county scope names its county itself)
        record_export(engine, actor, kind=kind, fmt="html", rows=spec.rows(store), scope=scope,
                      county_code=shown or None, surface="cli", filters=store.filters())
    except Exception as exc:
        raise CliError(f"the panel was not written: its audit row could not be written ({type(exc).__name__})") \
            from None
    out = args.out or f"{spec.name}-{shown or 'prefecture'}-{store.year}.html"
    with open(out, "wb") as f:
        f.write(data)
    print(f"wrote the {spec.name} panel ({shown or 'prefecture'}, {store.year}) to {out} ({len(data) // 1024} KB)")
    return 0
