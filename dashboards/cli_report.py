"""``fundwatch report``: the printable report of one county and year (PDF or HTML).

Usage::

    fundwatch report --county CODE --year Y [--as-of DATE] [--out FILE.pdf|FILE.html]
                     [--lang zh|en] [--user NAME] [--rubric NAME] [--db URL]

The format follows the extension of ``--out`` (``.pdf`` or ``.html``; default
``<county>-<year>-报告.pdf``, ``<county>-<year>-report.pdf`` in English).  The report holds what
the county page shows for that year and as-of date (default: the year's end, or today if
earlier), the county's score on ``--rubric`` (default ``chaoyang-2020-sector``) and the policy
warnings with their basis; see :mod:`fundwatch.components.report`.

Without ``--user`` the operator at the shell sees the prefecture (audited as ``cli:<login>``);
with ``--user NAME`` only what that account may see, audited under NAME: a county official gets
their own county's report, and asking for another county is refused (audited as ``refused``).
The report's audit row (action ``export``, kind ``report``, surface ``cli``) is written before
the file; if it cannot be written no file is written.  Errors are one line with exit status 1:
an unknown county, a county outside the scope, an extension other than .pdf/.html, a missing
CJK font (Debian's ``fonts-noto-cjk``) or, for PDF, missing pango libraries.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os

SUFFIXES = {".pdf": "pdf", ".html": "html", ".htm": "html"}


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Add the ``report`` command to the ``fundwatch`` sub-parsers."""
    from fundwatch.dashboards.cli import _add_db

    p = subparsers.add_parser("report", help="write the printable report of a county and year (PDF or HTML, audited)")
    _add_db(p)
    p.add_argument("--county", required=True, metavar="CODE", help="the county-level unit (adcode or ZONE-..)")
    p.add_argument("--year", required=True, type=int, help="the budget year reported")
    p.add_argument("--as-of", metavar="YYYY-MM-DD", help="figures as of this date in the year (default: the year's "
                                                         "end, or today if earlier)")
    p.add_argument("--out", metavar="FILE",
                   help="the .pdf or .html file to write (default: <county>-<year>-报告.pdf)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="language of the report (default zh)")
    p.add_argument("--user", metavar="NAME", help="report as this user: only a county they may see, audited under "
                   "their name (default: the whole prefecture, audited as cli:<login>)")
    p.add_argument("--rubric", metavar="NAME", help="the assessment rubric the county is scored on "
                                                    "(default chaoyang-2020-sector)")
    p.set_defaults(handler=cmd_report)
    return p


def _format(out: str | None) -> str:
    from fundwatch.dashboards.cli import CliError

    if out is None:
        return "pdf"
    suffix = os.path.splitext(out)[1].lower()
    if suffix not in SUFFIXES:
        raise CliError(f"--out {out!r}: a report is written as .pdf or .html")
    return SUFFIXES[suffix]


def cmd_report(args) -> int:
    """Run ``fundwatch report``; errors are raised as CliError (one line in ``cli.main``)."""
    from fundwatch.components import report
    from fundwatch.components.export import ExportNotAudited
    from fundwatch.components.loaders import FIRST_YEAR, LAST_YEAR
    from fundwatch.components.scoring import DEFAULT_RUBRIC
    from fundwatch.dashboards.cli import CliError, _engine, _export_account
    from fundwatch.data.rubric import RubricError
    from fundwatch.data.scope import Scope

    fmt = _format(args.out)
    if not FIRST_YEAR <= args.year <= LAST_YEAR:
        raise CliError(f"--year {args.year}: reports cover {FIRST_YEAR}-{LAST_YEAR}")
    as_of = None
    if args.as_of:
        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise CliError(f"--as-of {args.as_of!r} is not a date (YYYY-MM-DD)") from None
        if as_of.year != args.year:
            raise CliError(f"--as-of {args.as_of} is not in {args.year}")
    if args.out and not os.path.isdir(os.path.dirname(os.path.abspath(args.out))):
        raise CliError(f"--out {args.out!r}: its folder does not exist")
    try:  # before any work: a server without the fonts or pango says so at once
        if fmt == "pdf":
            report.check_pdf_support()
        else:
            report.cjk_font()
    except (report.ReportUnavailable, report.ReportFontMissing) as exc:
        raise CliError(str(exc)) from None

    engine = _engine(args)
    if args.user is None:  # the operator at the shell owns the database: the whole prefecture
        scope, actor = Scope.all(), f"cli:{getpass.getuser()}"
    else:
        scope, actor = _export_account(engine, args.user, kind=report.KIND, fmt=fmt, county=args.county)
    try:
        store = report.report_store(engine, scope, args.county, args.year, as_of, lang=args.lang, actor=actor,
                                    surface="cli")
    except report.ReportRefused as exc:
        raise CliError(str(exc)) from None
    try:
        data = report.audited_report(store, fmt, rubric=args.rubric or DEFAULT_RUBRIC)  # audited first
    except ExportNotAudited as exc:
        raise CliError(f"{exc}; nothing was written") from None
    except (report.ReportUnavailable, report.ReportFontMissing, RubricError) as exc:
        raise CliError(str(exc)) from None
    out = args.out or report.report_filename(store.place, store.year, args.lang, fmt)
    with open(out, "wb") as f:
        f.write(data)
    print(f"wrote the {fmt.upper()} report of {store.county} {store.place} {store.year} "
          f"(as of {store.as_of.isoformat()}) to {out}")
    return 0
