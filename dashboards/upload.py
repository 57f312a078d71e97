"""The upload page (``/upload``): a county's spreadsheets into the database, checked first.

Choose the kind of data and download its template (Excel or CSV), upload the filled-in file, read
the check (every problem with its row, column, value and rule, downloadable, and the rows it would
add or change), then confirm: the file loads in one transaction or not at all, with an audit row,
and the dashboards show the new data at once.  Uploads are limited to the viewer's scope.

URL state: ``lang`` (and ``year``, ``as_of`` so that the navigation keeps them).
"""

from __future__ import annotations

import panel as pn

from fundwatch.components.stores import OverviewStore
from fundwatch.components.upload import ImportDesk
from fundwatch.dashboards import app

URL_STATE = ("year", "as_of", "lang")


def create_desk(store: OverviewStore) -> ImportDesk:
    """The page's import desk, in the page's language; imports are audited under the login name
    when there is one."""
    return ImportDesk(engine=app.engine(), scope=app.current_scope(), actor=app.current_user() or "dashboard",
                      lang=store.param.lang)


@app.guarded("/upload")
def create_app() -> pn.viewable.Viewable:
    app.load_extensions()
    store = OverviewStore(scope=app.current_scope(), **app.url_state(OverviewStore, URL_STATE))  # no engine: reads nothing
    app.sync_url(store, URL_STATE)
    return app.page(store, "/upload", create_desk(store), title_key="page.upload")


if pn.state.served:
    create_app().servable()
