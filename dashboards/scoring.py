"""The scoring page (``/scoring``): the annual assessment (考核, seeds/004 attachment 2) on a rubric.

Pick a rubric and a year; every county-level unit in the viewer's scope is ranked with its total
(the numbers ``fundwatch score`` prints); one unit's scorecard shows every item with its points,
maximum, source (computed with the measured value, or an assessor's score with evidence) and
where points were lost; a second unit or year can be compared item by item; an assessor enters
the items that need one, and the total and rank change at once (audited).  Every table exports
to CSV and Excel with the choices in force.

URL state: ``rubric``, ``year``, ``unit``, ``compare_unit``, ``compare_year``, ``lang``
(``/scoring?rubric=chaoyang-2020-sector&year=2020&unit=360731``).
"""

from __future__ import annotations

import panel as pn

from fundwatch.components.controls import PageHeading
from fundwatch.components.scoring import (
    RubricScorecard, ScoreComparison, ScoreEntry, ScoreRanking, ScoringControls, ScoringStore,
)
from fundwatch.dashboards import app

URL_STATE = ("rubric", "year", "unit", "compare_unit", "compare_year", "lang")


def create_store() -> ScoringStore:
    """The page's store, starting from the state the URL names; saves and downloads are audited
    under the login name when there is one."""
    return ScoringStore(engine=app.engine(), scope=app.current_scope(), actor=app.current_user() or "dashboard",
                        **app.url_state(ScoringStore, URL_STATE))


def layout(store: ScoringStore) -> list:
    """The panels of the scoring page, in reading order."""
    return [
        ScoringControls(store=store),
        PageHeading(store=store, title_key="page.scoring", show_place=False),
        app.grid(ScoreRanking(store=store), ScoreEntry(store=store), basis=520),
        RubricScorecard(store=store),
        ScoreComparison(store=store),
    ]


@app.guarded("/scoring")
def create_app() -> pn.viewable.Viewable:
    app.load_extensions()
    store = create_store()
    app.sync_url(store, URL_STATE)
    app.collect_after_loads(store)
    return app.page(store, "/scoring", *layout(store), title_key="page.scoring")


if pn.state.served:
    create_app().servable()
