"""The stores: one per dashboard session, holding the filters and the frames the views show.

A store's filters (year, as-of date, region path, programme, source level, language) are
parameters; its outputs are ``param.DataFrame`` parameters filled by :meth:`DashboardStore._load`
from the cached frames of :mod:`.frames`.  Views read outputs only: they never query or filter.

A store also knows who looks at it (``actor``, the login name) and where (``surface``): every
download of its tables goes through :meth:`DashboardStore.export`, which writes the export's
audit row before it hands the file over.

The first load happens when the store is created, so a page is built from real numbers.  Later
loads happen once per batch of filter changes; inside a served session they are deferred to the
next tick, so that ``busy`` reaches the browser (the page's loading bar) before the
queries run; outside a server (tests, notebooks, the CLI) they happen at once.

A load that fails because the database cannot be reached (:data:`fundwatch.data.db.UNAVAILABLE`)
keeps the frames of the last good load, sets ``stale`` and tells the process's database monitor
(:mod:`fundwatch.data.health`); :meth:`DashboardStore.reload` loads again once it answers (the
page's :class:`~.health.DatabaseBanner` does that).  Any other error is a bug and is raised.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

import pandas as pd
import panel as pn
import param
from sqlalchemy import Engine

from fundwatch.data import db, health
from fundwatch.data.access import EXPORT_SURFACES
from fundwatch.data.masking import SUPPRESSED, count_total
from fundwatch.data.rules import empty_findings
from fundwatch.data.scope import Scope

from . import export as exporting
from . import frames as F
from . import i18n
from . import loaders as L
from . import present
from .frames import HOUSEHOLD_STATUSES
from .i18n import LANGS, t

log = logging.getLogger(__name__)

FIRST_DAY, LAST_DAY = dt.date(L.FIRST_YEAR, 1, 1), dt.date(L.LAST_YEAR, 12, 31)
METRICS = ("rate", "allocated", "leverage", "monitored", "warnings")
RECORD_KINDS = tuple(L.RECORD_LISTS)
#: The record list a page shows first (the drill-down's tabs open on it).
FIRST_RECORD_LIST = "projects"
#: Export names of the record lists (the chart kinds "loans", "assets", "households" are taken).
RECORD_EXPORTS = {"projects": "projects", "loan_records": "loans", "asset_records": "assets",
                  "household_records": "households"}
#: Everything a store can show and export (see DashboardStore.shown); the record lists need a county.
EXPORT_KINDS = ("county_ranking", "subregions", "pace", "funds", "funds_programme", "loans", "loans_bank", "leverage",
                "assets", "households", "warnings", *RECORD_EXPORTS)


def default_as_of(today: dt.date | None = None) -> dt.date:
    """Today, kept inside the years the product covers (2016-2026)."""
    return min(max(today or dt.date.today(), FIRST_DAY), LAST_DAY)


class RegionCode(param.String):
    """A region code.  Panel parses URL values that look like numbers (``county=360731``) into
    ints: a code is a string whatever the URL made of it."""

    @classmethod
    def deserialize(cls, value):
        return "" if value is None else str(value)


COUNTY_METRICS = ("code", "name", "kind", "allocated", "disbursed", "rate", "outstanding", "risk_fund", "leverage",
                  "overdue_rate", "assets", "asset_value", "no_custodian", "idle_or_damaged", *HOUSEHOLD_STATUSES,
                  "violations", "warnings")
LOAN_COLUMNS = ("loans", "outstanding", "overdue", "default", "late_loans", "overdue_rate")


def _empty(*columns: str) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in columns})


class DashboardStore(pn.viewable.Viewer):
    """Filters and frames shared by the overview and the drill-down (see the module docstring)."""

    engine = param.ClassSelector(class_=Engine, doc="The database; cached reads are keyed on its URL.")
    scope = param.ClassSelector(class_=Scope, default=Scope.nothing(), doc="The counties the viewer may see.")
    actor = param.String(default="dashboard",
                         doc="Who views the store (the login name): written to the audit log with every export "
                             "and score edit.")
    surface = param.Selector(default="page", objects=list(EXPORT_SURFACES),
                             doc="Where the store is shown (a page, an embedded panel, a notebook, the command "
                                 "line): written to the audit log with every export.")

    lang = param.Selector(default=i18n.DEFAULT_LANG, objects=list(LANGS), doc="Language of every label (zh, en).")
    year = param.Integer(default=default_as_of().year, bounds=(L.FIRST_YEAR, L.LAST_YEAR), doc="Budget year shown.")
    as_of = param.CalendarDate(default=default_as_of(), bounds=(FIRST_DAY, LAST_DAY),
                               doc="Figures as they stood on this date.")
    county = RegionCode(default="", doc="Selected county-level unit (adcode or ZONE-..), '' for none.")
    township = RegionCode(default="", doc="Selected township of the county, '' for the whole county.")
    village = RegionCode(default="", doc="Selected village of the township, '' for the whole township.")
    programme = param.Selector(default="", objects=["", *i18n.VOCABS["programme"]],
                               doc="Fund programme the funds charts and the pace curve count ('' for all).")
    source_level = param.Selector(default="", objects=["", *i18n.VOCABS["source_level"]],
                                  doc="Source level the funds charts and the pace curve count ('' for all).")
    metric = param.Selector(default="rate", objects=list(METRICS), doc="What the county map colours.")

    busy = param.Boolean(default=False, doc="True while frames are loading (the page shows its loading bar).")
    stale = param.Boolean(default=False,
                          doc="True when the last load failed because the database could not be reached: the "
                              "frames are those of the last good load (see reload).")
    notice = param.String(default="", doc="A message for the viewer, e.g. about a region the URL named.")

    counties = param.DataFrame(default=_empty("code", "name", "kind"), doc="County-level units in the scope.")
    townships = param.DataFrame(default=_empty("code", "name"), doc="Townships of the selected county.")
    villages = param.DataFrame(default=_empty("code", "name"), doc="Villages of the selected township.")
    county_metrics = param.DataFrame(default=_empty(*COUNTY_METRICS),
                                     doc="Per county: pace, credit, assets, households, warnings.")
    subregions = param.DataFrame(default=_empty(*COUNTY_METRICS), doc="Per region one level below the focus.")
    pace = param.DataFrame(default=_empty("month", "date", "disbursed", "cumulative", "allocated", "rate", "milestone"),
                           doc="Cumulative disbursement by month end.")
    funds = param.DataFrame(default=_empty("year", "source_level", "programme", "amount", "allocations"),
                            doc="Allocations 2016-2026.")
    loans_by_type = param.DataFrame(default=_empty("borrower_type", *LOAN_COLUMNS),
                                    doc="Loans outstanding by borrower type.")
    loans_by_bank = param.DataFrame(default=_empty("bank", *LOAN_COLUMNS), doc="Loans outstanding by bank.")
    leverage = param.DataFrame(default=_empty("key", "name", "loans", "outstanding", "risk_fund", "leverage", "capacity"),
                               doc="Leverage per county or programme.")
    assets = param.DataFrame(default=_empty("asset_class", "assets", "value", "no_custodian", "no_owner",
                                            "idle_or_damaged"), doc="Assets by class with custody gaps.")
    households = param.DataFrame(default=_empty("category", "status", "households", "members"),
                                 doc="Households by category and status.")
    warnings = param.DataFrame(default=empty_findings(), doc="Findings of the policy rules.")
    headline = param.Dict(default={}, doc="The KPI figures of the focus region.")

    finding = param.Integer(default=-1, doc="Row of ``warnings`` whose records are shown (-1: none).")
    finding_records = param.DataFrame(default=_empty("id"), doc="The records behind the selected finding.")

    #: Whether the region path restricts the outputs (the drill-down) or only marks a county (overview).
    follows_region = False
    #: The parameters whose change reloads the frames.
    _FILTERS: tuple[str, ...] = ("engine", "scope", "year", "as_of", "programme", "source_level")
    #: The record lists a region-following store pages through (a page may show none of them).
    _RECORD_LISTS: tuple[str, ...] = RECORD_KINDS

    def __init__(self, *, lists_shown: tuple[str, ...] | None = None, **params):
        """``lists_shown``: the record lists on screen from the start, which read their page with
        every load (None: all of them, as for a store used on its own); a page passes the list
        its tabs open on, so that its first load reads no page nobody sees.  A list off screen
        reads its page when it is shown (``live``) or exported."""
        super().__init__(**params)
        self._name_maps: dict[str, tuple[pd.DataFrame, dict[str, str]]] = {}
        if self.as_of.year != self.year:  # one of them was given: the other follows it
            if "as_of" in params:
                self.year = self.as_of.year
            else:
                self.as_of = min(dt.date(self.year, 12, 31), default_as_of())
        self._pending = False
        self._loading = False
        self.lists = ({kind: RecordList(store=self, kind=kind, live=lists_shown is None or kind in lists_shown)
                       for kind in self._RECORD_LISTS} if self.follows_region else {})
        self.param.watch(self._on_filters, list(self._FILTERS))
        self.param.watch(self._load_finding, ["finding"])
        if self.engine is not None:
            self._load_guarded()  # the first load is immediate: a page is built from real numbers

    # -- derived state ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return L.engine_key(self.engine)

    @property
    def region(self) -> str | None:
        """The code the outputs are restricted to (None: the whole prefecture)."""
        if not self.follows_region:
            return None
        return self.village or self.township or self.county or None

    @property
    def level(self) -> str:
        if self.region is None:
            return "city"
        return "village" if self.village else "township" if self.township else "county"

    @property
    def child_level(self) -> str | None:
        return {"city": "county", "county": "township", "township": "village"}.get(self.level)

    def name_of(self, code: str) -> str:
        for slot in ("counties", "townships", "villages"):
            name = self._names(slot).get(code)
            if name is not None:
                return name
        return code

    def _names(self, slot: str) -> dict[str, str]:
        """Code -> name of the regions in the frame ``slot`` (counties, townships, villages), made
        once per frame: the breadcrumb, the titles and the notes ask for several names a change,
        and a boolean selection of the frame for each cost a county change about 2 ms."""
        frame = getattr(self, slot)
        kept = self._name_maps.get(slot)
        if kept is None or kept[0] is not frame:
            names = {}
            for code, name in zip(frame["code"].tolist(), frame["name"].tolist(), strict=True):
                names.setdefault(code, str(name))
            kept = self._name_maps[slot] = (frame, names)
        return kept[1]

    @property
    def place(self) -> str:
        """The focus region's name (the prefecture's when none)."""
        return t("app.prefecture", self.lang) if self.region is None else self.name_of(self.region)

    def path(self) -> list[tuple[str, str, str]]:
        """The breadcrumb: (level, code, name) from the prefecture down to the focus."""
        out = [("city", "", t("breadcrumb.home", self.lang))]
        for level in ("county", "township", "village"):
            code = getattr(self, level)
            if not code:
                break
            out.append((level, code, self.name_of(code)))
        return out

    def filters(self) -> list[tuple[str, str]]:
        """The filters in force, as (label, value) pairs in the store's language (exports)."""
        lang = self.lang
        rows = [(t("filter.year", lang), str(self.year)), (t("filter.as_of", lang), i18n.date(self.as_of, lang)),
                (t("filter.region", lang), " / ".join(name for _, _, name in self.path()) if self.follows_region
                 else t("app.prefecture", lang))]
        for name in ("programme", "source_level"):
            rows.append((t(f"filter.{name}", lang), i18n.term(name, getattr(self, name), lang) or t("all", lang)))
        counties = ",".join(sorted(self.scope.counties or ())) or "-"
        rows.append((t("filter.scope", lang), t("scope.all", lang) if self.scope.is_all else counties))
        if self.scope.suppress_small:
            rows.append((t("filter.small_counts", lang), t("scope.small_counts", lang)))
        return rows

    @property
    def export_county(self) -> str | None:
        """The county an export of this store belongs to (its audit row's ``county_code``): the
        scope's only county, else the selected county of a region-following store; None for the
        prefecture."""
        if self.scope.counties is not None and len(self.scope.counties) == 1:
            (county,) = self.scope.counties
            return county
        return (self.county or None) if self.follows_region else None

    def export(self, kind: str, fmt: str, shown: present.Shown | None = None) -> bytes:
        """The file of ``kind`` in ``fmt`` (csv, xlsx) with the filters in force: ``shown`` if given,
        else :meth:`shown` of ``kind``.  Its audit row (actor, surface, format, rows, filters) is
        written first; if that fails, :class:`~.export.ExportNotAudited` is raised and no file
        is made available."""
        shown = shown if shown is not None else self.shown(kind)
        return exporting.audited_export(self.engine, shown, self.filters(), fmt, self.lang, actor=self.actor,
                                        scope=self.scope, kind=kind, county_code=self.export_county,
                                        surface=self.surface)

    # -- loading ----------------------------------------------------------------------------------

    def _on_filters(self, *events) -> None:
        if self._loading:  # changes _load makes to the region path
            return
        names = {e.name for e in events}
        if "year" in names and self.as_of.year != self.year:
            self.as_of = _same_day(self.as_of, self.year)
        elif "as_of" in names and self.as_of.year != self.year:
            self.year = self.as_of.year
        self._schedule()

    def _schedule(self) -> None:
        """Load now, or in a served session on the next tick: a batch of changes loads once, and
        ``busy`` (the page's loading bar) goes to the browser before the load when Panel has
        written it by then (a change that waited for Panel's 50 ms debounce, such as the
        address); a drop-down's choice (:class:`~.controls.Choice`) comes without that wait, and its
        indicator with the figures."""
        doc = pn.state.curdoc
        if doc is None or doc.session_context is None:
            self._load_guarded()
            return
        if self._pending:
            return
        self._pending = True
        with pn.io.hold():  # what busy moves goes in one message
            self.busy = True
        pn.state.execute(self._load_guarded, schedule=True)

    def reload(self) -> None:
        """Load every frame again (and the record lists' pages), e.g. once the database answers
        again after an outage."""
        self._schedule()
        for records in self.lists.values():
            records.reload()

    def _load_guarded(self) -> None:
        """:meth:`_load`, keeping the last frames when the database cannot be reached."""
        try:
            self._load()
        except db.UNAVAILABLE as exc:
            self._pending = False
            self.param.update(busy=False, stale=True)
            unavailable(self.url, exc)
        else:
            if self.stale:
                self.stale = False

    def _load(self) -> None:
        """Normalise the region path, then publish every frame whose contents changed
        (:func:`_same_frame`) in one batch, under one hold of the session's document: the views
        update their Bokeh models in place and the browser gets one message per load.  The hold
        does not freeze the model graph: freezing walks every model of the document when it
        ends, and updates in place add no model (a table whose columns change recomputes the
        graph itself)."""
        self._pending = False
        if self.engine is None:
            return
        L.note_activity()  # a warmer waits for the process to be quiet (components.warming)
        L.refresh(self.url)
        self._loading = True
        try:
            with pn.io.hold():
                self._normalise_path()
                frames = L.beside(self._frames, *self._first_page_reads())
                changed = {name: value for name, value in frames.items() if not _same_frame(value, getattr(self, name))}
                changed["headline"] = self._headline(frames)
                self.param.update(**changed, finding=-1, busy=False)
                self._sync_lists()
        finally:
            self._loading = False
            L.note_activity()

    def _paged_lists(self) -> list[PagedList]:
        """The paged record lists that follow the store's region."""
        return list(self.lists.values())

    def _list_state(self) -> dict[str, Any]:
        """What the paged lists take from the store on every load."""
        return {"region": self.region or ""}

    def _first_page_reads(self) -> list[Callable[[], None]]:
        """The reads of the pages the lists will show after this load (run beside the frames')."""
        state = self._list_state()
        return [read for records in self._paged_lists() if (read := records.first_page_read(**state))]

    def _sync_lists(self) -> None:
        """Point the paged record lists at the focus region, back on their first page (inside the
        load's hold)."""
        state = self._list_state()
        for records in self._paged_lists():
            records.param.update(**state, page=1)

    def _normalise_path(self) -> None:
        """Keep county > township > village consistent with each other and the scope."""
        counties = L.counties(self.url, self.scope.key)
        updates = {"counties": counties, "notice": ""}
        codes = set(counties["code"])
        county = self.county
        if county and county not in codes:
            updates["notice"] = t("error.unknown_region", self.lang, code=county,
                                  name=counties["name"].iloc[0] if self.follows_region and len(counties)
                                  else t("app.prefecture", self.lang))
            county = ""
        if self.follows_region and not county and len(counties):
            county = counties["code"].iloc[0]
        townships = L.children(self.url, self.scope.key, county) if county else _empty("code", "name")
        township = self.township if self.township in set(townships["code"]) else ""
        villages = L.children(self.url, self.scope.key, township) if township else _empty("code", "name")
        village = self.village if self.village in set(villages["code"]) else ""
        updates.update(county=county, township=township, village=village, townships=townships, villages=villages)
        self.param.update(**{k: v for k, v in updates.items() if v is not getattr(self, k)})

    def _frames(self) -> dict[str, pd.DataFrame]:
        url, key, year, as_of = self.url, self.scope.key, self.year, self.as_of
        region, level = self.region, self.level
        county = (self.county or None) if self.follows_region else None
        programme, source_level = self.programme, self.source_level
        selected, township = self.county, self.township or None
        loan_region = self.village or county  # loans record villages, not townships
        frames = L.gather(
            county_metrics=lambda: F.county_metrics(url, key, year, as_of),
            subregions=lambda: (F.subregion_metrics(url, key, selected, township, year, as_of)
                                if level in ("county", "township") else None),
            pace=lambda: F.pace(url, key, year, as_of, region, programme, source_level),
            funds=lambda: F.funds(url, key, county, programme, source_level),
            loans_by_type=lambda: F.loans_by(url, key, as_of, loan_region, "borrower_type"),
            loans_by_bank=lambda: F.loans_by(url, key, as_of, loan_region, "bank"),
            leverage=lambda: F.leverage(url, key, as_of, county),
            assets=lambda: F.assets(url, key, region, level, county, year),
            households=lambda: F.households(url, key, as_of, region),
            warnings=lambda: F.warnings(url, key, year, as_of, county),
        )
        if frames["subregions"] is None:
            frames["subregions"] = _empty("code", "name") if level == "village" else frames["county_metrics"]
        return frames

    def _headline(self, frames: dict[str, pd.DataFrame]) -> dict:
        """The KPI figures, computed from the frames the panels show (so they always agree).
        Household figures are ints, or under small-count suppression ``"<5"`` or a range
        (``"12–24"``) where a suppressed count went into them."""
        funds_year = L.funds(self.url, self.scope.key, (self.county or None) if self.follows_region else None)
        funds_year = funds_year[funds_year["year"] == self.year]
        by_level = funds_year.groupby("source_level")["amount"].sum()
        pace = frames["pace"]
        last = pace.iloc[-1] if len(pace) else None
        due = F.milestone_due(self.year, self.as_of)
        loans = frames["loans_by_type"]
        outstanding = float(loans["outstanding"].sum())
        late = float(loans["overdue"].sum() + loans["default"].sum()) if len(loans) else 0.0
        lev = frames["leverage"]
        risk_fund = float(lev["risk_fund"].sum()) if len(lev) else 0.0
        assets = frames["assets"]
        households = frames["households"]
        findings = frames["warnings"]
        h2 = findings[findings["rule"] == "H2"] if len(findings) else findings
        return {
            "funds_total": float(funds_year["amount"].sum()),
            "funds_by_level": {level: float(v) for level, v in by_level.items()},
            "allocated": float(last["allocated"]) if last is not None else 0.0,
            "disbursed": float(last["cumulative"]) if last is not None else 0.0,
            "rate": float(last["rate"]) if last is not None else float("nan"),
            "milestone": due,
            "outstanding": outstanding,
            "overdue_rate": late / outstanding if outstanding else float("nan"),
            "risk_fund": risk_fund,
            "leverage": float(lev["outstanding"].sum()) / risk_fund if risk_fund else float("nan"),
            "assets": int(assets["assets"].sum()),
            "asset_value": float(assets["value"].sum()),
            "no_custodian": int(assets["no_custodian"].sum()),
            "idle_or_damaged": int(assets["idle_or_damaged"].sum()),
            # household figures add up what the panels show: a total over suppressed counts is "<5"
            # or a range, never more exact than its parts (fundwatch.data.masking.count_total)
            **{status: count_total(households.loc[households["status"] == status, "households"])
               for status in HOUSEHOLD_STATUSES},
            "households": count_total(households.loc[households["status"].isin(HOUSEHOLD_STATUSES), "households"]),
            "overdue_households": count_total(
                SUPPRESSED if isinstance(detail, dict) and detail.get("suppressed") else len(ids)
                for ids, detail in zip(h2["record_ids"], h2["detail"], strict=True)) if len(h2) else 0,
            "warnings": F.warning_counts(findings),
        }

    def _load_finding(self, *_events) -> None:
        if self.finding < 0 or self.finding >= len(self.warnings):
            self.finding_records = _empty("id")
            return
        row = self.warnings.iloc[self.finding]
        try:
            self.finding_records = F.finding_records(self.url, self.scope.key, row["record_table"],
                                                     row["region_code"], tuple(row["record_ids"]))
        except db.UNAVAILABLE as exc:
            self.stale = True
            unavailable(self.url, exc)

    # -- what the views show ----------------------------------------------------------------------

    def shown(self, kind: str) -> present.Shown:
        """The table or chart data of ``kind`` as displayed and exported (see :mod:`.present`)."""
        lang = self.lang
        if kind == "county_ranking":
            return present.county_ranking(self.county_metrics, lang)
        if kind == "subregions":
            if self.level == "city":
                return present.county_ranking(self.subregions, lang)
            return present.subregions(self.subregions, lang, self.child_level or "village")
        if kind == "pace":
            return present.pace(self.pace, lang, self.year)
        if kind in ("funds", "funds_programme"):
            return present.funds(self.funds, lang, "source_level" if kind == "funds" else "programme")
        if kind in ("loans", "loans_bank"):
            return present.loans(self.loans_by_type if kind == "loans" else self.loans_by_bank, lang,
                                 "borrower_type" if kind == "loans" else "bank")
        if kind == "leverage":
            return present.leverage(self.leverage, lang, per_programme=self.follows_region)
        if kind == "assets":
            return present.assets(self.assets, lang)
        if kind == "households":
            return present.households(self.households, lang)
        if kind == "warnings":
            return present.warnings(self.warnings, lang)
        if kind in RECORD_EXPORTS and self.lists:
            return self.lists[RECORD_EXPORTS[kind]].shown(all_pages=True)
        if kind == "finding_records":
            if not 0 <= self.finding < len(self.warnings):
                return present.finding_records(self.finding_records, None, lang)
            finding = self.warnings.iloc[self.finding]
            shown = present.finding_records(self.finding_records, F.RECORD_TABLE_LISTS.get(finding["record_table"]),
                                            lang)
            title = t("panel.finding_records", lang, rule=finding["rule"], region=finding["region_name"])
            return dataclasses.replace(shown, kind="finding_records", title=title)
        raise ValueError(f"unknown table {kind!r}")

    def __panel__(self):
        from .controls import FilterBar  # the store's own widgets, for notebooks

        return FilterBar(store=self)


class OverviewStore(DashboardStore):
    """The prefecture at a glance: ``county`` only marks the county a map click chose."""


class CountyStore(DashboardStore):
    """The drill-down: every output is restricted to county > township > village."""

    follows_region = True
    _FILTERS = (*DashboardStore._FILTERS, "county", "township", "village")


class PagedList(param.Parameterized):
    """A record list read a page at a time from ``data``, sorted on the server; subclasses say
    how a page is fetched (:meth:`_fetch`) and how it is shown (``shown``)."""

    store = param.ClassSelector(class_=DashboardStore, doc="The store whose region the list follows.")
    region = RegionCode(default="", doc="The region the list is restricted to.")
    page = param.Integer(default=1, bounds=(1, None), doc="Page shown (1-based).")
    page_size = param.Integer(default=15, bounds=(1, 500), doc="Rows per page.")
    sort = param.String(default="", doc="Sort column of the data layer, '-' prefix for descending ('' default).")

    rows = param.DataFrame(default=_empty("id"), doc="The rows of the page shown.")
    total = param.Integer(default=0, doc="Rows matching in all pages.")
    live = param.Boolean(default=True,
                         doc="Whether the list reads its page as soon as its region, page or sort change; a "
                             "list off screen (False) reads it when it goes live again or is exported.")

    EXPORT_LIMIT = 50_000
    EXPORT_CHUNK = 5_000

    @property
    def export_kind(self) -> str:
        raise NotImplementedError

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    def _query(self) -> dict[str, Any]:
        """What a page's rows depend on besides the page: the region and the sort (subclasses add
        theirs); the names are the list's parameters."""
        return {"region": self.region, "sort": self.sort or None}

    def _ready_for(self, query: dict[str, Any]) -> bool:
        return self.store.engine is not None and bool(query["region"])

    def _ready(self) -> bool:
        return self._ready_for(self._query())

    def _read(self, query: dict[str, Any], limit: int, offset: int) -> tuple[pd.DataFrame, int]:
        """Rows ``offset`` to ``offset + limit`` of ``query`` in the order shown, and the count of all."""
        raise NotImplementedError

    def _fetch(self, limit: int, offset: int) -> tuple[pd.DataFrame, int]:
        return self._read(self._query(), limit, offset)

    def first_page_read(self, **changes: Any) -> Callable[[], None] | None:
        """The read of the first page the list will show once ``changes`` (parameters of
        :meth:`_query`) are set, for the store to run beside its own reads (:func:`.loaders.beside`):
        the list then finds its page in the read cache instead of reading it after the store's
        frames.  None when the list would not read it (off screen, or no region).  An error is
        left for the list's own read to meet and report (a database away marks the list stale)."""
        if not self.live:
            return None
        query = self._query()
        query.update((name, value) for name, value in changes.items() if name in query)
        if not self._ready_for(query):
            return None
        limit = self.page_size

        def read() -> None:
            try:
                self._read(query, limit, 0)
            except L.Yielded:
                raise
            except Exception:  # noqa: BLE001 - only a head start; the list's own read reports it
                log.debug("reading a list's first page ahead failed", exc_info=True)
        return read

    _unread = False  # the region, page or sort changed while the list was off screen
    _stale = False  # the last fetch failed for want of the database

    def _load_rows(self) -> None:
        if not self.live:
            self._unread = True
            return
        self._read_rows()

    def _read_rows(self) -> None:
        self._unread = False
        if not self._ready():
            self.param.update(rows=_empty("id"), total=0)
            return
        try:
            L.note_activity()
            L.refresh(self.store.url)
            rows, total = self._fetch(self.page_size, (self.page - 1) * self.page_size)
        except db.UNAVAILABLE as exc:  # keep the page shown; reload() fetches it once the database answers
            self._stale = True
            self.store.stale = True
            unavailable(self.store.url, exc)
            return
        self._stale = False
        self.param.update(rows=rows, total=total)

    def reload(self) -> None:
        """Fetch the page again if the last fetch failed for want of the database."""
        if self._stale:
            self._load_rows()

    @param.depends("live", watch=True)
    def _on_live(self) -> None:
        if self.live and self._unread:
            self._read_rows()

    def fresh(self) -> PagedList:
        """The list with the page of its current region, page and sort read (itself)."""
        if self._unread:
            self._read_rows()
        return self

    def all_rows(self) -> pd.DataFrame:
        """Every matching row in the order shown (exports), up to :attr:`EXPORT_LIMIT`."""
        self.fresh()
        pages, offset = [], 0
        while offset < min(self.total, self.EXPORT_LIMIT):
            rows, _ = self._fetch(min(self.EXPORT_CHUNK, self.EXPORT_LIMIT - offset), offset)
            if not len(rows):
                break
            pages.append(rows)
            offset += len(rows)
        return pd.concat(pages, ignore_index=True) if pages else self.rows


class RecordList(PagedList):
    """One paged, sorted record list of the drill-down (projects, loans, assets, households)."""

    kind = param.Selector(objects=list(RECORD_KINDS), doc="projects, loans, assets or households.")

    @property
    def export_kind(self) -> str:
        return next(name for name, kind in RECORD_EXPORTS.items() if kind == self.kind)

    @param.depends("region", "page", "page_size", "sort", watch=True)
    def _load_rows(self) -> None:
        super()._load_rows()

    def _read(self, query: dict[str, Any], limit: int, offset: int) -> tuple[pd.DataFrame, int]:
        return L.records(self.store.url, self.store.scope.key, self.kind, query["region"], query["sort"], limit, offset)

    def shown(self, all_pages: bool = False) -> present.Shown:
        return present.records(self.kind, self.all_rows() if all_pages else self.fresh().rows, self.store.lang)


def unavailable(url: str, exc: BaseException) -> None:
    """A read failed because the database at ``url`` cannot be reached: say so once in the log
    (one line, no traceback: the outage itself is logged by the monitor) and have the monitor
    check at once."""
    log.info("a read failed, the database cannot be reached (%s)", type(exc).__name__)
    health.monitor(url).report_failure()


def _same_frame(new: Any, held: Any) -> bool:
    """Whether a frame just read holds what the store holds already (the same object, or a
    DataFrame of the same columns, index, dtypes and values).  The read caches hand out a frame
    of its own to every call, so a frame that does not follow the county (the prefecture's
    county metrics, the identification clock) comes back as a new object on every county change;
    publishing it again redrew the views that show it for nothing."""
    if new is held:
        return True
    if not isinstance(new, pd.DataFrame) or not isinstance(held, pd.DataFrame):
        return False
    return (new.shape == held.shape and new.columns.equals(held.columns) and new.index.equals(held.index)
            and new.dtypes.equals(held.dtypes) and new.equals(held))


def _same_day(day: dt.date, year: int) -> dt.date:
    """``day`` moved to ``year`` (29 February becomes the 28th)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


__all__ = ["EXPORT_KINDS", "CountyStore", "DashboardStore", "METRICS", "OverviewStore", "PagedList", "RecordList",
           "default_as_of"]
