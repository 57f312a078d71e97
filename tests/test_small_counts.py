"""Small counts for embed viewers (issue 8, personal data): the ``embed_viewer`` role, its scope
with small-count suppression, the reads that show 1 to 4 households as "<5", the overview panels
and exports that follow them, and the one page the role may open.

Data tests compare each read under a suppressing scope with the same read without it on the demo
database: every count of 1 to 4 households reads "<5" (and what belongs to it follows), every other
value is the same, and a test fails if the demo data holds no small count to hide.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import math

import openpyxl
import pandas as pd
import panel as pn
import pytest
from alembic import command
from bokeh.document import Document
from bokeh.models import ColumnDataSource
from dashboard_fixtures import _fresh_caches, demo_copy, demo_db, engine, writable_engine  # noqa: F401
from sqlalchemy import exc, func, insert, select, text

from fundwatch.components import EXTENSIONS
from fundwatch.components import frames as F
from fundwatch.components import loaders as L
from fundwatch.components.charts import HouseholdChart
from fundwatch.components.kpis import KpiCards
from fundwatch.components.maps import CountyMap
from fundwatch.components.stores import CountyStore, OverviewStore
from fundwatch.components.transition import KINDS as TRANSITION_KINDS
from fundwatch.components.transition import TransitionStore
from fundwatch.dashboards import app, auth
from fundwatch.dashboards import overview as overview_page
from fundwatch.dashboards import transition as transition_page
from fundwatch.data import access, db, reads, rules, schema, vocab
from fundwatch.data import models as m
from fundwatch.data.access import Account
from fundwatch.data.masking import (
    SUPPRESSED, count_bounds, count_column, count_total, is_suppressed, suppress_count, suppress_small_counts,
)
from fundwatch.data.reads import transition as tr
from fundwatch.data.scope import Scope


AS_OF = dt.date(2024, 6, 30)
YUDU = "360731"
HIDDEN = Scope.all().with_small_counts_suppressed()
SECRET = "test-secret-" + "s" * 40
PAGES = ("/", "/overview", "/county", "/transition", "/scoring", "/upload", "/audit")


def small(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value) and 0 < value < 5


def assert_suppressed(plain: pd.DataFrame, hidden: pd.DataFrame, counts, follow=(), blank=()) -> int:
    """``hidden`` is ``plain`` with every count of 1-4 in ``counts`` as "<5", the ``follow``
    columns of such a row "<5" and its ``blank`` columns NaN; everything else equal.  Returns
    the number of counts hidden, failing when there was none to hide."""
    assert list(hidden.columns) == list(plain.columns) and len(hidden) == len(plain)
    hidden_cells = 0
    for (_, p), (_, h) in zip(plain.iterrows(), hidden.iterrows(), strict=True):
        row_small = any(small(p[c]) for c in counts)
        for column in plain.columns:
            if column in counts and small(p[column]):
                assert h[column] == SUPPRESSED, (column, p[column], h[column])
                hidden_cells += 1
            elif column in follow and row_small:
                assert h[column] == SUPPRESSED, (column, p[column], h[column])
            elif column in blank and row_small:
                assert math.isnan(h[column]), (column, h[column])
            elif isinstance(p[column], float) and math.isnan(p[column]):
                assert isinstance(h[column], float) and math.isnan(h[column]), column
            else:
                assert h[column] == p[column] and not is_suppressed(h[column]), (column, p[column], h[column])
    assert hidden_cells, "the demo data has no count of 1 to 4 here: the test would prove nothing"
    return hidden_cells


# ---------------------------------------------------------------------------------------------
# The suppression itself
# ---------------------------------------------------------------------------------------------

def test_counts_of_one_to_four_read_less_than_five_and_zero_stays_zero():
    frame = pd.DataFrame({"group": list("abcdefg"), "households": [0, 1, 2, 3, 4, 5, 250],
                          "members": [0, 1, 7, 9, 20, 21, 800], "amount": [0.0, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5]})
    out = suppress_small_counts(frame, ["households"], follow=["members"], blank=["amount"])
    assert list(out["households"]) == [0, SUPPRESSED, SUPPRESSED, SUPPRESSED, SUPPRESSED, 5, 250]
    assert list(out["members"]) == [0, SUPPRESSED, SUPPRESSED, SUPPRESSED, SUPPRESSED, 21, 800]
    assert out["amount"].iloc[0] == 0.0 and out["amount"].iloc[1:5].isna().all() and out["amount"].iloc[5] == 5.5
    assert all(type(v) is int for v in out["households"] if not is_suppressed(v))  # ints, not numpy or floats
    assert list(frame["households"]) == [0, 1, 2, 3, 4, 5, 250]  # the input is left alone
    assert suppress_small_counts(out, ["households"]).equals(out)  # suppressing twice changes nothing
    untouched = suppress_small_counts(frame.iloc[[0, 5, 6]], ["households"], follow=["members"])
    assert untouched["households"].dtype == "int64" and untouched["members"].dtype == "int64"
    assert suppress_count(None) is None and math.isnan(suppress_count(float("nan"))) and suppress_count(0) == 0
    assert suppress_count(4) == SUPPRESSED and suppress_count(5) == 5 and suppress_count(SUPPRESSED) == SUPPRESSED


def test_a_total_of_suppressed_counts_says_no_more_than_its_parts():
    assert count_total([3, 4, 5]) == 12  # nothing hidden: the exact sum
    assert count_total([SUPPRESSED]) == SUPPRESSED and count_total([0, SUPPRESSED, None]) == SUPPRESSED
    assert count_bounds([SUPPRESSED, SUPPRESSED, 10]) == (12, 18)
    assert count_total([SUPPRESSED, SUPPRESSED, 10]) == "12–18"
    assert count_total([]) == 0
    column = count_column(pd.Series([2.0, None, float("nan"), SUPPRESSED, 7]))
    assert column.dtype == object and list(column) == [2, 0, 0, SUPPRESSED, 7]
    assert count_column(pd.Series([2.0, None])).dtype == "int64"


# ---------------------------------------------------------------------------------------------
# The scope and the role
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("scope", [Scope.all(), Scope.nothing(), Scope.county(YUDU), Scope.of([YUDU, "360732"])])
def test_a_suppressing_scope_is_another_scope_with_another_cache_key(scope):
    hidden = scope.with_small_counts_suppressed()
    assert hidden.suppress_small and not scope.suppress_small and hidden.counties == scope.counties
    assert hidden != scope and len({scope, hidden}) == 2 and hidden == scope.with_small_counts_suppressed()
    assert hidden.key != scope.key and hidden.key.endswith(";<5")
    for one in (scope, hidden):
        assert Scope.from_key(one.key) == one and L.scope_from_key(one.key) == one
    assert L.within(hidden, YUDU) == (Scope.county(YUDU) if scope.allows(YUDU) else Scope.nothing()
                                      ).with_small_counts_suppressed()


def embed(county: str | None = None, county_name: str | None = None, active: bool = True) -> Account:
    return Account(9, "intranet", None, "embed_viewer", county, county_name, active)


@pytest.mark.parametrize(("user", "expected"), [
    (embed(), HIDDEN),  # no county: the whole prefecture
    (embed(YUDU, "于都县"), Scope.county(YUDU).with_small_counts_suppressed()),
    (embed("999999"), Scope.nothing().with_small_counts_suppressed()),  # a county the database does not know
    (embed(active=False), Scope.nothing()),
])
def test_an_embed_viewer_sees_the_prefecture_or_its_county_with_small_counts_suppressed(user, expected):
    scope = access.scope_for(user)
    assert scope == expected and (scope.counties == frozenset() or scope.suppress_small)
    assert user.role_label("zh") == "嵌入查看账号" and user.role_label("en") == "Embed viewer"
    assert vocab.label(vocab.ROLES, "embed_viewer", "en") == "Embed viewer" and "embed_viewer" in access.EMBED_ROLES


def test_embed_viewers_are_added_with_or_without_a_county(tmp_path):
    engine = db.get_engine(f"sqlite:///{tmp_path / 'users.db'}", create=True)
    try:
        schema.upgrade(engine)
        with engine.begin() as conn:
            conn.execute(insert(m.Region), [
                {"code": "360700", "name": "赣州市", "level": "city"},
                {"code": YUDU, "name": "于都县", "level": "county", "parent_code": "360700", "county_code": YUDU}])
        access.check_new_user(engine, "intranet", "embed_viewer")  # no county: the whole prefecture
        with pytest.raises(access.UserError) as refused:
            access.check_new_user(engine, "intranet", "embed_viewer", county_code="999999")
        assert refused.value.code == "unknown_county"
        added = access.add_user(engine, "intranet.yudu", "embed viewer secret", "embed_viewer", county_code=YUDU,
                                actor="test")
        assert (added.role, added.county_name) == ("embed_viewer", "于都县")
        assert access.scope_for(access.get_user(engine, "intranet.yudu")) == \
            Scope.county(YUDU).with_small_counts_suppressed()
    finally:
        engine.dispose()


def test_the_migration_lets_existing_databases_hold_embed_viewers(blank_engine):
    """From revision 0003 with a user and a live session to head: the rows and the session's user
    stay, the new role is accepted, an unknown one still refused."""
    command.downgrade(schema.alembic_config(blank_engine), "0003")
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    with blank_engine.begin() as conn:
        conn.execute(text("INSERT INTO app_user (id, username, password_hash, role, active) "
                          "VALUES (7, 'leader', 'x', 'city_leader', true)"))
        conn.execute(text("INSERT INTO app_session (token_sha256, user_id, created_at, last_seen_at) "
                          "VALUES ('t', 7, :now, :now)"), {"now": now})
    schema.upgrade(blank_engine)
    assert schema.is_current(blank_engine)
    with blank_engine.begin() as conn:
        conn.execute(insert(m.User), [{"username": "intranet", "password_hash": "x", "role": "embed_viewer"}])
        assert conn.execute(select(m.AppSession.user_id)).scalar_one() == 7
        assert conn.execute(select(func.count()).select_from(m.User)).scalar_one() == 2
    with pytest.raises(exc.IntegrityError), blank_engine.begin() as conn:
        conn.execute(insert(m.User), [{"username": "mayor", "password_hash": "x", "role": "mayor"}])


# ---------------------------------------------------------------------------------------------
# The reads
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("by", "region"), [(("category", "status"), None), (("county_code", "status"), None),
                                            (("township_code", "status"), YUDU), (("status",), YUDU)])
def test_household_counts_by_category_status_and_region(engine, by, region):
    plain = reads.household_status_frame(engine, Scope.all(), AS_OF, by=by, region=region)
    hidden = reads.household_status_frame(engine, HIDDEN, AS_OF, by=by, region=region)
    assert_suppressed(plain, hidden, ["households"], follow=["members"])


def test_the_transition_aggregates(engine):
    def both(read, *args, **kwargs):
        return read(engine, Scope.all(), *args, **kwargs), read(engine, HIDDEN, *args, **kwargs)

    assert_suppressed(*both(tr.monitoring_mix_frame, AS_OF), ["households"], follow=["members"])
    assert_suppressed(*both(tr.case_age_frame, AS_OF, region=YUDU), ["households"])
    assert_suppressed(*both(tr.income_alert_frame, AS_OF), ["households"])
    assert_suppressed(*both(tr.measure_mix_frame, AS_OF, region="360781"), ["households"], follow=["measures"],
                      blank=["amount"])
    assert_suppressed(*both(tr.measure_wait_frame, AS_OF, region="360732"), ["households"])
    assert_suppressed(*both(tr.identification_clock_frame, 2024, AS_OF),
                      ["found", "on_time", "late", "undecided"], blank=["share"])
    plain, hidden = both(tr.monitoring_flow_frame, AS_OF)
    assert hidden["under_monitoring"].isna().all()  # a running total would give hidden months away
    assert_suppressed(plain.drop(columns="under_monitoring"), hidden.drop(columns="under_monitoring"),
                      ["entered", "left"])


def test_household_lists_are_empty_under_suppression(engine):
    assert reads.households_frame(engine, Scope.all(), region=YUDU)[1] > 0
    rows, total = reads.households_frame(engine, HIDDEN, region=YUDU)
    assert total == 0 and rows.empty
    assert tr.transition_households_frame(engine, Scope.all(), AS_OF, region=YUDU)[1] > 0
    assert tr.transition_households_frame(engine, HIDDEN, AS_OF, region=YUDU)[1] == 0
    assert tr.open_cases_frame(engine, HIDDEN, AS_OF).empty
    counts = reads.table_counts(engine, Scope.county(YUDU).with_small_counts_suppressed()).set_index("table")["rows"]
    assert counts["household"] == reads.table_counts(engine, Scope.county(YUDU)).set_index("table").loc[
        "household", "rows"]  # a county has more than 4 households: nothing to hide


def test_findings_about_one_to_four_households_hide_the_number(engine):
    plain = rules.evaluate(engine, Scope.all(), 2024, AS_OF)
    hidden = rules.evaluate(engine, HIDDEN, 2024, AS_OF)
    assert len(hidden) == len(plain)
    few = plain[(plain["record_table"] == "household") & plain["value"].between(1, 4)]
    assert len(few), "the demo data has no finding about 1 to 4 households"
    marked = hidden[[isinstance(d, dict) and d.get("suppressed") is True for d in hidden["detail"]]]
    assert sorted(zip(marked["rule"], marked["region_code"], strict=True)) == \
        sorted(zip(few["rule"], few["region_code"], strict=True))
    assert marked["value"].isna().all() and not any(marked["record_ids"].map(len))
    assert marked["message_zh"].str.contains("少于5户").all() and marked["message_en"].str.contains("<5").all()
    assert not set(marked["message_zh"]) & set(few["message_zh"])
    kept = hidden.drop(index=marked.index)
    others = plain.drop(index=few.index)
    key = ["rule", "region_code", "message_zh", "value"]
    assert kept[key].sort_values(key).values.tolist() == others[key].sort_values(key).values.tolist()
    assert all(r["value"] is None for r in rules.findings_to_records(marked))


def test_cached_frames_never_mix_suppressed_and_exact_counts(engine):
    url = L.engine_key(engine)
    exact = F.households(url, Scope.all().key, AS_OF, None)
    hidden = F.households(url, HIDDEN.key, AS_OF, None)
    hits = F.households.cache_info().hits
    assert F.households(url, Scope.all().key, AS_OF, None).equals(exact)  # the same scope: from the cache
    assert F.households.cache_info().hits == hits + 1 and not hidden.equals(exact)
    assert any(small(v) for v in exact["households"]) and not any(small(v) for v in hidden["households"])
    assert SUPPRESSED in list(hidden["households"]) and SUPPRESSED not in list(exact["households"])
    metrics = F.county_metrics(url, HIDDEN.key, 2024, AS_OF)
    assert SUPPRESSED in list(metrics["monitored"])
    assert not any(small(v) for status in ("pending", "monitored", "eliminated") for v in metrics[status])


# ---------------------------------------------------------------------------------------------
# The overview for an embed viewer
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module", autouse=True)
def _extensions():
    pn.extension(*EXTENSIONS)


class Rendered:
    """A view rendered into a Bokeh document (as in test_components_views)."""

    def __init__(self, view):
        self.doc = Document()
        self.doc.add_root(pn.panel(view).get_root(self.doc))

    def sources(self) -> list[ColumnDataSource]:
        return [model for model in self.doc.models if isinstance(model, ColumnDataSource)]

    def text(self) -> str:
        return json.dumps(self.doc.to_json(), ensure_ascii=False, default=str)


def household_cells(store: OverviewStore) -> dict[tuple[str, str], object]:
    frame = store.households
    return dict(zip(zip(frame["category"], frame["status"], strict=True), frame["households"], strict=True))


def test_the_household_panel_shows_less_than_five_and_no_exact_small_count(engine):
    exact = OverviewStore(engine=engine, scope=Scope.all(), year=2024, as_of=AS_OF)
    hidden = OverviewStore(engine=engine, scope=HIDDEN, year=2024, as_of=AS_OF)
    smalls = {cell: n for cell, n in household_cells(exact).items() if small(n)}
    assert smalls, "no category and status with 1 to 4 households in the demo data at this date"
    assert all(household_cells(hidden)[cell] == SUPPRESSED for cell in smalls)

    plain_chart = next(s for s in Rendered(HouseholdChart(store=exact)).sources() if "shown" in s.data)
    assert {f"{n}户" for n in smalls.values()} <= set(plain_chart.data["shown"])  # the exact figures, for others
    doc = Rendered(view := HouseholdChart(store=hidden))
    chart = next(s for s in doc.sources() if "shown" in s.data)
    shown, drawn = list(chart.data["shown"]), list(chart.data["households"])
    assert shown.count("<5户") == len(smalls)
    assert not {f"{n}户" for n in smalls.values()} & set(shown)
    assert all(height == 0 for label, height in zip(shown, drawn, strict=True) if label == "<5户")
    assert all(not small(height) for height in drawn)
    text = doc.text()
    assert "<5户" in text and "表示 1 至 4 户" in text  # the bars' labels and the note under the title
    assert "&lt;5" in view._note() and "待识别" in view._note()
    assert exact.headline["pending"] == sum(smalls.values())  # those cells are the pending ones here
    assert hidden.headline["pending"] == count_total([SUPPRESSED] * len(smalls))
    assert isinstance(hidden.headline["households"], str)
    assert not isinstance(exact.headline["households"], str)

    hidden.lang = "en"
    chart = next(s for s in Rendered(HouseholdChart(store=hidden)).sources() if "shown" in s.data)
    assert "<5 households" in list(chart.data["shown"])


def test_the_headline_cards_and_the_map_show_what_the_panels_show(engine):
    store = OverviewStore(engine=engine, scope=HIDDEN, year=2024, as_of=AS_OF)
    cards = "".join(str(p.object) for p in pn.panel(KpiCards(store=store)).select(pn.pane.HTML))
    assert f"{store.headline['households']}户" in cards and "–" in store.headline["households"]
    store.metric = "monitored"
    doc = Rendered(CountyMap(store=store))
    polygons = next(s for s in doc.sources() if "shown" in s.data and "name" in s.data)
    hidden = [i for i, label in enumerate(polygons.data["shown"]) if label == SUPPRESSED]
    assert hidden and all(math.isnan(polygons.data["value"][i]) for i in hidden)  # left uncoloured
    ranking = store.shown("county_ranking").frame
    assert SUPPRESSED in list(ranking["monitored"]) and not any(small(v) for v in ranking["monitored"])
    for view in overview_page.layout(store):  # every panel of the page renders for the role
        Rendered(view)


def test_the_export_of_the_household_panel_shows_less_than_five(writable_engine):
    store = OverviewStore(engine=writable_engine, scope=HIDDEN, year=2024, as_of=AS_OF, actor="intranet",
                          surface="embed")
    csv = store.export("households", "csv").decode("utf-8-sig")
    body = csv[csv.index("\r\n\r\n") + 4:]
    table = pd.read_csv(io.StringIO(body), dtype=str)
    assert (table["户数"] == SUPPRESSED).sum() == (table["人数"] == SUPPRESSED).sum() > 0
    assert not any(small(int(v)) for v in table["户数"] if v != SUPPRESSED)
    assert "# 个人信息保护,1 至 4 户显示为“<5”" in csv
    book = openpyxl.load_workbook(io.BytesIO(store.export("households", "xlsx")))
    rows = list(book.worksheets[0].values)
    column = rows[0].index("户数")
    assert [r[column] for r in rows[1:]].count(SUPPRESSED) == (table["户数"] == SUPPRESSED).sum()
    with writable_engine.connect() as conn:
        detail = conn.execute(select(m.AuditEntry.detail).where(m.AuditEntry.action == "export")
                              .order_by(m.AuditEntry.id.desc())).first()[0]
    assert detail["scope"] == HIDDEN.key and detail["surface"] == "embed"


def test_the_drilldown_and_transition_stores_hold_no_exact_small_count(engine):
    county = CountyStore(engine=engine, scope=Scope.county(YUDU).with_small_counts_suppressed(), year=2024,
                         as_of=AS_OF, county=YUDU)
    subregions = county.shown("subregions").frame
    assert SUPPRESSED in list(subregions["monitored"])
    assert county.lists["households"].total == 0 and county.shown("household_records").frame.empty
    store = TransitionStore(engine=engine, scope=Scope.county(YUDU).with_small_counts_suppressed(), year=2024,
                            as_of=AS_OF, county=YUDU)
    for kind in TRANSITION_KINDS:
        frame = store.shown(kind).frame
        for column, kind_of in store.shown(kind).kinds.items():
            if kind_of == "count" and column in ("households", "pending", "monitored", "members", "found"):
                assert not any(small(v) for v in frame[column]), (kind, column)
    assert SUPPRESSED in list(store.shown("tr_ages").frame["monitored"])
    assert store.headline["overdue"] is None  # the open cases are a list of households: not known here
    for view in transition_page.layout(store):
        Rendered(view)


# ---------------------------------------------------------------------------------------------
# The pages the role may open
# ---------------------------------------------------------------------------------------------

def sign_in(monkeypatch, account: Account | None) -> None:
    monkeypatch.setenv(auth.ENV_SECRET, SECRET)
    monkeypatch.setattr(auth, "session_account", lambda: account)


@pytest.mark.parametrize("account", [embed(), embed(YUDU, "于都县")])
def test_an_embed_viewer_opens_the_overview_and_nothing_else(monkeypatch, account):
    sign_in(monkeypatch, account)
    assert app.refusal("/overview") is None and app.may_open("/overview")
    assert app.refusal("/") is None  # the landing page after a login, with the overview's tile alone
    for path in (p for p in PAGES if p not in ("/", "/overview")):
        assert app.refusal(path) == "auth.refused_role" and not app.may_open(path), path
    assert app.refusal("/embed/households") == "auth.refused_role"  # embeds are added to ROLE_PAGES by name
    assert app.current_scope() == access.scope_for(account) and app.current_scope().suppress_small


def test_other_roles_keep_their_pages(monkeypatch):
    leader = Account(1, "leader", None, "city_leader", None, None, True)
    sign_in(monkeypatch, leader)
    assert all(app.refusal(p) is None for p in ("/", "/overview", "/county", "/transition", "/scoring"))
    assert app.refusal("/audit") == "auth.refused_role" and not app.may_open("/upload")
    assert not app.current_scope().suppress_small
    sign_in(monkeypatch, None)
    assert app.refusal("/overview") == "auth.refused"
    monkeypatch.delenv(auth.ENV_SECRET)  # demo mode: every page, nothing suppressed
    assert app.may_open("/county") and app.current_scope() == Scope.all()
