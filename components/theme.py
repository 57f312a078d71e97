"""Colours, fonts and style sheets shared by every view (no web fonts: the viewer's CJK font).

Panel renders each component in its own shadow root, so a class is styled only by a sheet given
to the component that holds the element: text panes get :data:`TEXT_CSS` through :func:`html`.
"""

from __future__ import annotations

import panel as pn

FONT = '"Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", sans-serif'

INK = "#1d2939"
MUTED = "#667085"
LINE = "#e4e7ec"
NAVY = "#17375e"
BLUE = "#2e6fb7"
GREEN = "#2f9e44"
RED = "#c92a2a"
ORANGE = "#e8590c"
GOLD = "#f59f00"
GREY = "#98a2b3"

SEVERITY_COLORS = {"violation": RED, "warning": ORANGE, "notice": BLUE}
# Categorical series (source levels, programmes, classes), readable on white and in print.
SERIES = ("#2e6fb7", "#f08c00", "#2f9e44", "#c92a2a", "#7048e8", "#0c8599", "#a61e4d", "#5c940d", "#868e96")
# Colour maps of the county map: more is better (blue) or more is worse (red).
CMAP_GOOD = ["#eef4fb", "#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c"]
CMAP_BAD = ["#fff5eb", "#fdd0a2", "#fdae6b", "#fd8d3c", "#e6550d", "#a63603"]

CARD_CSS = f"""
:host {{
  background: #fff; border: 1px solid {LINE}; border-radius: 10px;
  box-shadow: 0 1px 2px rgba(16, 24, 40, 0.05); padding: 10px 14px 12px 14px;
  font-family: {FONT}; color: {INK};
}}
"""

#: The page's loading bar (:class:`~.cards.BusyBar`): a band of colour sliding along a thin bar,
#: faded in only after a moment, so a load that ends sooner shows nothing.
BUSY_CSS = f"""
.fw-busy {{ position: fixed; top: 0; left: 0; right: 0; height: 3px; z-index: 1000; pointer-events: none;
           background: linear-gradient(90deg, transparent, {BLUE}, transparent) no-repeat;
           background-size: 40% 100%; background-color: {BLUE}26; opacity: 0;
           animation: fw-busy-show 0.2s ease 0.25s forwards, fw-busy-slide 1.2s linear infinite; }}
.fw-busy.fw-inline {{ position: absolute; }}
@keyframes fw-busy-show {{ to {{ opacity: 1; }} }}
@keyframes fw-busy-slide {{ from {{ background-position: -40% 0; }} to {{ background-position: 140% 0; }} }}
@media (prefers-reduced-motion: reduce) {{
  .fw-busy {{ background: {BLUE}; animation: fw-busy-show 0.2s ease 0.25s forwards; }}
}}
"""

TEXT_CSS = f"""
:host {{ font-family: {FONT}; color: {INK}; }}
.fw-card-title {{ font-size: 15px; font-weight: 600; margin: 2px 0; color: {INK}; }}
.fw-note {{ font-size: 12px; color: {MUTED}; margin: 0; line-height: 1.5; }}
.fw-crumbs {{ font-size: 15px; color: {MUTED}; }}
.fw-crumbs b {{ color: {INK}; font-size: 20px; }}
.fw-zones-title {{ font-size: 13px; color: {MUTED}; margin: 6px 0 2px 0; }}
.fw-pager {{ font-size: 13px; color: {MUTED}; }}
"""


def html(obj, **params) -> pn.pane.HTML:
    """A text pane that knows the house text classes (fw-card-title, fw-note, ...)."""
    params["stylesheets"] = [TEXT_CSS, *params.get("stylesheets", [])]
    return pn.pane.HTML(obj, **params)

KPI_CSS = f"""
.fw-kpis {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr)); gap: 12px;
           font-family: {FONT}; color: {INK}; }}
.fw-kpi {{ background: #fff; border: 1px solid {LINE}; border-radius: 10px; padding: 12px 14px;
          border-top: 4px solid {BLUE}; box-shadow: 0 1px 2px rgba(16, 24, 40, 0.05); }}
.fw-kpi.good {{ border-top-color: {GREEN}; }}
.fw-kpi.bad {{ border-top-color: {RED}; }}
.fw-kpi.warn {{ border-top-color: {ORANGE}; }}
.fw-kpi-label {{ font-size: 13px; color: {MUTED}; }}
.fw-kpi-value {{ font-size: 26px; font-weight: 700; line-height: 1.25; margin: 4px 0 2px 0;
                font-variant-numeric: tabular-nums; }}
.fw-kpi-sub {{ font-size: 12px; color: {MUTED}; line-height: 1.5; }}
.fw-kpi-flag {{ display: inline-block; font-size: 12px; padding: 0 6px; border-radius: 8px; margin-left: 6px;
               vertical-align: middle; font-weight: 600; }}
.fw-kpi-flag.good {{ background: #ebfbee; color: {GREEN}; }}
.fw-kpi-flag.bad {{ background: #fff5f5; color: {RED}; }}
.fw-sev {{ display: inline-block; padding: 0 7px; border-radius: 9px; font-size: 12px; color: #fff;
           margin-right: 4px; }}
"""
