"""The charts of the printable county report (:mod:`.report`), drawn with matplotlib as SVG.

Each function takes one of a :class:`~.stores.CountyStore`'s frames (the numbers the dashboards
plot) and returns an ``<svg>`` element to place inline in the report's HTML.  Text is written as
paths (``svg.fonttype = 'path'``), so neither the HTML nor the PDF needs a font for the charts;
the Chinese glyphs come from a CJK font installed on the server (Noto Sans CJK or WenQuanYi),
found through matplotlib's font manager (:func:`cjk_font`).  Without one, :class:`ReportFontMissing`
names the Debian package to install.

The figures use :class:`matplotlib.figure.Figure` directly (no pyplot, no global figure state);
the style is set in an ``rc_context`` held under a lock, so two sessions drawing at once do not
mix their settings.  The ids in an SVG are salted with the chart's name, so the charts of one
document never share an id, and the same data draws the same SVG.
"""

from __future__ import annotations

import functools
import io
import re
import threading

import matplotlib
import numpy as np
import pandas as pd
from matplotlib import font_manager
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from fundwatch.data.masking import count_total, is_suppressed

from . import i18n, theme
from .frames import milestones
from .i18n import t

#: CJK families tried in this order (simplified Chinese first).
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN",
                "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Noto Sans CJK TC", "Noto Sans CJK JP")
#: Width of the report's text column (A4 less the page margins) in inches.
CONTENT_WIDTH = 174 / 25.4
FONT_PACKAGE = "fonts-noto-cjk"

_LOCK = threading.Lock()
_STATUS_COLORS = {"pending": theme.ORANGE, "monitored": theme.BLUE, "eliminated": theme.GREEN}
_GAP_COLORS = {"no_custodian": theme.RED, "no_owner": theme.ORANGE, "idle_or_damaged": theme.GREY}


class ReportFontMissing(RuntimeError):
    """No Chinese font is installed on the server: the report's charts (and PDF) cannot be drawn."""


def _known_cjk_family() -> str | None:
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


@functools.lru_cache(maxsize=1)
def cjk_font() -> str:
    """The family name of an installed CJK font (see :data:`CJK_FAMILIES`); raises
    :class:`ReportFontMissing` when there is none.

    matplotlib keeps the font list it found on first use in its cache folder; a font package
    installed after that is not in it.  So when the list holds no CJK font, the system's CJK font
    files (Noto CJK, WenQuanYi) are added to it before giving up."""
    family = _known_cjk_family()
    if family is None:
        for path in font_manager.findSystemFonts():
            if re.search(r"cjk|wqy", path, re.IGNORECASE):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):  # a file that is not a font: skip it
                    continue
        family = _known_cjk_family()
    if family is not None:
        return family
    raise ReportFontMissing(f"no Chinese font for the report: install Debian's {FONT_PACKAGE} "
                            "(Noto Sans CJK) or fonts-wqy-zenhei")


def _style(salt: str) -> dict:
    return {
        "font.family": "sans-serif", "font.sans-serif": [cjk_font(), "DejaVu Sans"], "font.size": 8,
        "axes.unicode_minus": False, "axes.edgecolor": theme.LINE, "axes.labelcolor": theme.INK,
        "axes.titlesize": 9, "axes.titleweight": "bold", "axes.titlecolor": theme.INK,
        "axes.spines.top": False, "axes.spines.right": False, "axes.grid": True, "axes.axisbelow": True,
        "grid.color": "#eef0f3", "grid.linewidth": 0.6, "xtick.color": theme.MUTED, "ytick.color": theme.MUTED,
        "legend.frameon": False, "legend.fontsize": 8,
        "svg.fonttype": "path", "svg.hashsalt": f"fundwatch-report-{salt}",
    }


def _draw(salt: str, height: float, draw, ncols: int = 1) -> str:
    """A figure of the content width and ``height`` inches with ``ncols`` axes, filled by
    ``draw(fig, axes)``, as an inline ``<svg>`` element."""
    with _LOCK, matplotlib.rc_context(_style(salt)):
        fig = Figure(figsize=(CONTENT_WIDTH, height), layout="constrained")
        axes = fig.subplots(1, ncols, squeeze=False)[0]
        draw(fig, axes)
        out = io.StringIO()
        fig.savefig(out, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return inline_svg(out.getvalue(), prefix=f"{salt}-")


_PROLOGUE = re.compile(r"\A.*?(?=<svg\b)", re.S)
_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.S)
_STYLE_SHEET = re.compile(r'\s*<style type="text/css">\*\{stroke-linejoin: round; stroke-linecap: butt\}</style>')
_STYLE = re.compile(r'style="([^"]*)"')
_ID = re.compile(r'\bid="([^"]+)"')
_REFERENCE = re.compile(r'(\bid="|href="#|url\(#)([^")]+)')


def inline_svg(document: str, prefix: str = "") -> str:
    """An SVG file as an element for an HTML page: no XML declaration, no DOCTYPE (it names a DTD
    on the web), no RDF metadata and no CSS (see below); the ``<svg>`` scales to the column.  ``prefix`` goes before
    every id and every reference to one, so that the charts of one page never share an id
    (matplotlib numbers its elements and glyphs the same way in every figure)."""
    svg = _METADATA.sub("", _PROLOGUE.sub("", document, count=1))
    # Styles as presentation attributes: an HTML renderer reads a style attribute or a <style>
    # element inside the page as the page's CSS (WeasyPrint warns about every "fill" in it, and the
    # "*" rule of matplotlib's <style> would reach the whole page); the SVG means the same either way.
    svg = _STYLE_SHEET.sub("", svg)
    svg = _STYLE.sub(lambda m: " ".join(f'{name.strip()}="{value.strip()}"' for name, value in
                                        (part.split(":", 1) for part in m[1].split(";") if ":" in part)), svg)
    svg = svg.replace("<svg ", '<svg stroke-linejoin="round" stroke-linecap="butt" ', 1)
    if prefix:
        ids = set(_ID.findall(svg))
        svg = _REFERENCE.sub(lambda m: m[1] + prefix + m[2] if m[2] in ids else m[0], svg)
    return svg.replace("<svg ", '<svg class="chart" role="img" ', 1).strip()


def _money_axis(ax, values, lang: str, axis: str = "y") -> str:
    """Formats ``axis`` in one money unit for ``values`` (yuan); returns the unit."""
    divisor, unit = i18n.money_unit([float(v) for v in values], lang, compact=True)
    formatter = FuncFormatter(lambda v, _pos: f"{v / divisor:,.{0 if divisor == 1 else 1}f}")
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(formatter)
    return unit


def _empty(ax, lang: str) -> None:
    ax.set_axis_off()
    _centred(ax, t("empty", lang), theme.MUTED)


def _centred(ax, label: str, colour: str) -> None:
    """``label`` in the middle of ``ax``."""
    ax.annotate(label, (0.5, 0.5), xycoords="axes fraction", ha="center", va="center", color=colour)


# -- the charts ----------------------------------------------------------------------------------

def pace_chart(pace: pd.DataFrame, year: int, lang: str) -> str:
    """Cumulative disbursement by month end against the F1 milestones (seeds/000 item 13)."""
    def draw(fig, axes):
        ax = axes[0]
        if not len(pace):
            _empty(ax, lang)
            return
        months = pace["month"].astype(int).to_numpy()
        rates = pace["rate"].astype("float64").to_numpy() * 100
        monthly = pace["disbursed"].astype("float64").to_numpy()
        bars = ax.twinx()
        unit = _money_axis(bars, monthly, lang)
        bars.bar(months, monthly, width=0.6, color="#c6dbef", label=t("report.chart.monthly", lang), zorder=1)
        bars.set_ylabel(t("report.chart.monthly_axis", lang, unit=unit), color=theme.MUTED)
        bars.set_ylim(0, float(monthly.max()) * 1.6 if monthly.max() > 0 else 1)  # the bars stay below the legend
        bars.grid(False)
        bars.spines["right"].set_visible(True)
        ax.set_zorder(bars.get_zorder() + 1)
        ax.patch.set_visible(False)
        ax.plot(months, rates, color=theme.BLUE, linewidth=2, marker="o", markersize=3.5,
                label=t("report.chart.rate", lang))
        for mark in milestones(year):
            late = mark.due.month > 10  # a label near the year's end goes to the left of its mark
            ax.plot([mark.due.month], [mark.target * 100], marker="D", markersize=6, color=theme.ORANGE,
                    linestyle="none", zorder=5)
            ax.annotate(t("chart.milestone", lang, date=i18n.month_day(mark.due, lang),
                          target=i18n.pct(mark.target, 0)),
                        (mark.due.month, mark.target * 100), textcoords="offset points",
                        xytext=(-7, -3) if late else (7, -3), ha="right" if late else "left", va="top",
                        fontsize=7, color=theme.ORANGE)
        last = len(rates) - 1
        ax.annotate(i18n.pct(rates[last] / 100), (months[last], rates[last]), textcoords="offset points",
                    xytext=(0, 6), ha="center", fontsize=8, color=theme.BLUE, fontweight="bold")
        ax.plot([], [], marker="D", color=theme.ORANGE, linestyle="none", label=t("report.chart.milestones", lang))
        ax.set_xlim(0.4, 12.6)
        ax.set_ylim(0, max(105.0, float(np.nanmax(rates)) + 8) if np.isfinite(rates).any() else 105.0)
        ax.set_xticks(range(1, 13), [i18n.month(m, lang) for m in range(1, 13)])
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f}%"))
        ax.set_ylabel(t("col.rate", lang))
        handles = ax.get_legend_handles_labels()
        extra = bars.get_legend_handles_labels()
        ax.legend(handles[0] + extra[0], handles[1] + extra[1], loc="upper left", ncols=3)

    return _draw("pace", 2.7, draw)


def funds_chart(funds: pd.DataFrame, year: int, lang: str) -> str:
    """Allocations per year up to ``year``, stacked by source level."""
    def draw(fig, axes):
        ax = axes[0]
        data = funds[funds["year"] <= year] if len(funds) else funds
        if not len(data):
            _empty(ax, lang)
            return
        wide = (data.pivot_table(index="year", columns="source_level", values="amount", aggfunc="sum")
                .reindex(columns=list(i18n.VOCABS["source_level"])).dropna(axis=1, how="all").fillna(0.0))
        years = [int(y) for y in wide.index]
        unit = _money_axis(ax, wide.sum(axis=1), lang)
        bottom = np.zeros(len(years))
        for colour, code in zip(theme.SERIES, wide.columns, strict=False):
            values = wide[code].to_numpy(dtype="float64")
            ax.bar(years, values, bottom=bottom, width=0.65, color=colour, label=i18n.term("source_level", code, lang))
            bottom += values
        divisor, _ = i18n.money_unit([float(v) for v in bottom], lang, compact=True)
        for x, total in zip(years, bottom, strict=True):
            ax.annotate(f"{total / divisor:,.1f}", (x, total), textcoords="offset points", xytext=(0, 2),
                        ha="center", fontsize=7, color=theme.INK)
        ax.set_xticks(years, [str(y) for y in years])
        ax.set_ylabel(t("chart.amount_axis", lang, unit=unit))
        ax.set_ylim(0, float(bottom.max()) * 1.12 if bottom.max() > 0 else 1)
        ax.legend(loc="upper left", ncols=min(len(wide.columns), 7))

    return _draw("funds", 2.5, draw)


def _loan_bars(ax, frame: pd.DataFrame, label_col: str, vocab: str | None, title: str, lang: str) -> None:
    ax.set_title(title, loc="left")
    if not len(frame):
        _empty(ax, lang)
        return
    data = frame.sort_values("outstanding")
    names = [i18n.term(vocab, c, lang) if vocab else str(c) for c in data[label_col]]
    outstanding = data["outstanding"].astype("float64").to_numpy()
    rates = data["overdue_rate"].astype("float64").to_numpy()
    unit = _money_axis(ax, outstanding, lang, axis="x")
    positions = np.arange(len(names))
    ax.barh(positions, outstanding, height=0.6, color=theme.BLUE)
    ax.set_yticks(positions, names)
    ax.grid(axis="y", visible=False)
    ax.set_xlabel(t("report.chart.outstanding_axis", lang, unit=unit))
    top = float(outstanding.max()) if len(outstanding) else 0.0
    ax.set_xlim(0, top * 1.45 if top > 0 else 1)
    for y, value, rate in zip(positions, outstanding, rates, strict=True):
        late = np.isfinite(rate) and rate > 0
        ax.annotate(t("report.chart.overdue", lang, rate=i18n.pct(rate)), (value, y), textcoords="offset points",
                    xytext=(3, 0), va="center", fontsize=7, color=theme.RED if late else theme.MUTED,
                    fontweight="bold" if late else "normal")


def loans_chart(by_type: pd.DataFrame, by_bank: pd.DataFrame, lang: str) -> str:
    """Loans outstanding by borrower type and by bank, each bar labelled with its overdue rate
    (overdue and defaulted amounts over outstanding; rule L2)."""
    rows = max(len(by_type), len(by_bank), 3)

    def draw(fig, axes):
        _loan_bars(axes[0], by_type, "borrower_type", "borrower_type", t("col.borrower_type", lang), lang)
        _loan_bars(axes[1], by_bank, "bank", None, t("col.bank", lang), lang)

    return _draw("loans", 0.7 + 0.32 * rows, draw, ncols=2)


def assets_chart(assets: pd.DataFrame, lang: str) -> str:
    """Asset value by class (seeds/003 八) and the custody gaps of each class (rules A1, A2, A4)."""
    def draw(fig, axes):
        value_ax, gap_ax = axes
        value_ax.set_title(t("panel.asset_mix", lang), loc="left")
        gap_ax.set_title(t("panel.custody", lang), loc="left")
        if not len(assets):
            _empty(value_ax, lang)
            _empty(gap_ax, lang)
            return
        classes = [i18n.term("asset_class", c, lang) for c in assets["asset_class"]]
        values = assets["value"].astype("float64").to_numpy()
        unit = _money_axis(value_ax, values, lang)
        positions = np.arange(len(classes))
        value_ax.bar(positions, values, width=0.55, color=list(theme.SERIES[:len(classes)]))
        divisor, _ = i18n.money_unit([float(v) for v in values], lang, compact=True)
        for x, value, n in zip(positions, values, assets["assets"], strict=True):
            value_ax.annotate(f"{value / divisor:,.2f}（{i18n.items(n, lang)}）" if lang == "zh"
                              else f"{value / divisor:,.2f} ({n})", (x, value), textcoords="offset points",
                              xytext=(0, 2), ha="center", fontsize=7)
        value_ax.set_xticks(positions, classes)
        value_ax.set_ylim(0, float(values.max()) * 1.15 if values.max() > 0 else 1)
        value_ax.set_ylabel(t("chart.amount_axis", lang, unit=unit))
        value_ax.grid(axis="x", visible=False)

        gaps = list(_GAP_COLORS)
        counts = assets[gaps].astype("float64").to_numpy()
        width = 0.8 / len(gaps)
        for k, gap in enumerate(gaps):
            gap_ax.bar(positions + (k - 1) * width, counts[:, k], width=width * 0.95, color=_GAP_COLORS[gap],
                       label=t(f"col.{gap}", lang))
        gap_ax.set_xticks(positions, classes)
        gap_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        gap_ax.set_ylim(0, max(float(counts.max()) * 1.25, 4))
        gap_ax.set_ylabel(t("chart.assets_axis", lang))
        gap_ax.grid(axis="x", visible=False)
        gap_ax.legend(loc="upper right", ncols=1)
        if not counts.any():
            _centred(gap_ax, t("report.no_gaps", lang), theme.GREEN)

    return _draw("assets", 2.4, draw, ncols=2)


def households_chart(households: pd.DataFrame, lang: str) -> str:
    """Monitored households by category, stacked by status (seeds/003 二).  A suppressed count
    (``"<5"``) draws no bar."""
    def draw(fig, axes):
        ax = axes[0]
        if not len(households):
            _empty(ax, lang)
            return
        categories = list(i18n.VOCABS["category"])
        counts = {(c, s): n for c, s, n in zip(households["category"], households["status"],
                                               households["households"], strict=True)}
        positions = np.arange(len(categories))
        left = np.zeros(len(categories))
        for status, colour in _STATUS_COLORS.items():
            values = np.array([0.0 if is_suppressed(counts.get((c, status), 0)) else float(counts.get((c, status), 0))
                               for c in categories])
            ax.barh(positions, values, left=left, height=0.55, color=colour,
                    label=i18n.term("household_status", status, lang))
            left += values
        for y, category, drawn in zip(positions, categories, left, strict=True):
            total = count_total(counts.get((category, status), 0) for status in _STATUS_COLORS)
            ax.annotate(i18n.households(total, lang), (drawn, y), textcoords="offset points", xytext=(3, 0),
                        va="center", fontsize=7)
        ax.set_yticks(positions, [i18n.term("category", c, lang) for c in categories])
        ax.set_xlim(0, float(left.max()) * 1.2 if left.max() > 0 else 1)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(t("chart.count_axis", lang))
        ax.grid(axis="y", visible=False)
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3)

    return _draw("households", 2.1, draw)


__all__ = ["CJK_FAMILIES", "ReportFontMissing", "assets_chart", "cjk_font", "funds_chart", "households_chart",
           "inline_svg", "loans_chart", "pace_chart"]
