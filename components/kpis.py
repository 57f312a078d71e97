"""The headline figures of the focus region: funds, pace against the milestone, credit,
assets, monitored households and warnings."""

from __future__ import annotations

import html
import math

import panel as pn
import param

from . import i18n, theme
from .cards import StoreView
from .i18n import t


class KpiCards(StoreView):
    """Six cards that wrap on narrow screens; colours flag what is off track."""

    def __init__(self, **params):
        super().__init__(**params)
        self._layout = pn.pane.HTML(self._html, sizing_mode="stretch_width", margin=(4, 6),
                                    stylesheets=[theme.KPI_CSS])

    @param.depends("store.headline", "store.lang")
    def _html(self) -> str:
        h, lang = self.store.headline, self.store.lang
        if not h:
            return '<div class="fw-kpis"></div>'
        cards = [self._funds(h, lang), self._pace(h, lang), self._loans(h, lang), self._assets(h, lang),
                 self._households(h, lang), self._warnings(h, lang)]
        return '<div class="fw-kpis">' + "".join(cards) + "</div>"

    def _funds(self, h, lang):
        levels = h["funds_by_level"]
        sub = t("kpi.funds.sub", lang, **{k: i18n.money(levels.get(k, 0.0), lang, 1)
                                          for k in ("central", "provincial", "city", "county")})
        other = sum(v for k, v in levels.items() if k not in ("central", "provincial", "city", "county"))
        lines = [sub] + ([t("kpi.funds.sub_other", lang, other=i18n.money(other, lang, 1))] if other else [])
        return _card(t("kpi.funds", lang, year=self.store.year), i18n.money(h["funds_total"], lang), lines)

    def _pace(self, h, lang):
        due, rate = h["milestone"], h["rate"]
        lines = [t("kpi.pace.sub", lang, disbursed=i18n.money(h["disbursed"], lang),
                   allocated=i18n.money(h["allocated"], lang))]
        tone, flag = "", ""
        if due is None:
            lines.append(t("kpi.pace.before", lang))
        else:
            met = not math.isnan(rate) and rate >= due.target
            tone = "good" if met else "bad"
            flag = t("kpi.ok" if met else "kpi.behind", lang)
            lines.append(t("kpi.pace.milestone", lang, date=i18n.month_day(due.due, lang),
                           target=i18n.pct(due.target, 0)))
        return _card(t("kpi.pace", lang), i18n.pct(rate), lines, tone=tone, flag=flag)

    def _loans(self, h, lang):
        leverage = h["leverage"]
        tone = "bad" if not math.isnan(leverage) and leverage > 8 else ""
        lines = [t("kpi.loans.sub", lang, fund=i18n.money(h["risk_fund"], lang), leverage=i18n.times(leverage, lang)),
                 t("kpi.loans.overdue", lang, rate=i18n.pct(h["overdue_rate"]))]
        return _card(t("kpi.loans", lang), i18n.money(h["outstanding"], lang), lines, tone=tone)

    def _assets(self, h, lang):
        tone = "warn" if h["no_custodian"] else ""
        lines = [t("kpi.assets.sub", lang, count=i18n.count(h["assets"]), gaps=i18n.count(h["no_custodian"])),
                 t("kpi.assets.idle", lang, count=i18n.count(h["idle_or_damaged"]))]
        return _card(t("kpi.assets", lang), i18n.money(h["asset_value"], lang), lines, tone=tone)

    def _households(self, h, lang):
        total = h["households"]  # an int, or "<5" / a range under small-count suppression
        tone = "warn" if h["overdue_households"] else ""
        lines = [t("kpi.households.sub", lang, monitored=i18n.count(h["monitored"]),
                   eliminated=i18n.count(h["eliminated"])),
                 t("kpi.households.overdue", lang, count=i18n.count(h["overdue_households"]))]
        return _card(t("kpi.households", lang), i18n.households(total, lang), lines, tone=tone)

    def _warnings(self, h, lang):
        counts = h["warnings"]
        badges = "".join(
            f'<span class="fw-sev" style="background:{theme.SEVERITY_COLORS[s]}">'
            f'{html.escape(t(f"severity.{s}", lang))} {i18n.count(n)}</span>' for s, n in counts.items())
        tone = "bad" if counts.get("violation") else "warn" if counts.get("warning") else "good"
        return _card(t("kpi.warnings", lang), i18n.count(sum(counts.values())), [], tone=tone, raw=badges)


def _card(label: str, value: str, lines: list[str], *, tone: str = "", flag: str = "", raw: str = "") -> str:
    flag_html = f'<span class="fw-kpi-flag {tone}">{html.escape(flag)}</span>' if flag else ""
    sub = "<br>".join(html.escape(line) for line in lines)
    return (f'<div class="fw-kpi {tone}"><div class="fw-kpi-label">{html.escape(label)}{flag_html}</div>'
            f'<div class="fw-kpi-value">{html.escape(value)}</div>'
            f'<div class="fw-kpi-sub">{sub}{raw}</div></div>')
