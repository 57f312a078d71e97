"""The audit page (``/audit``): the audit log for the data administrator, and the unmasking of one
record's personal data with a reason.

The log (logins, failures and lockouts, logouts, user changes, imports, exports, unmasking, score
edits) is filtered by day, action and actor, newest first, and downloads as CSV or Excel (each
download writes its own audit row first).  A data
administrator may unmask one household or loan at a time, with a reason: the name and ID number
show on this page for this session only, and the attempt is audited (see
:class:`~fundwatch.components.audit.AuditDesk`).  In login mode only the ``data_admin`` role opens
the page (:data:`.app.PAGE_ROLES`); demo mode (loopback, no login) shows the log without the
unmasking form, since there is no account to unmask with.

URL state: ``lang`` (and ``year``, ``as_of`` so that the navigation keeps them).  Nothing of the
unmasking goes into the URL.
"""

from __future__ import annotations

import panel as pn

from fundwatch.components.audit import AuditDesk
from fundwatch.components.stores import OverviewStore
from fundwatch.dashboards import app

URL_STATE = ("year", "as_of", "lang")


def create_desk(store: OverviewStore) -> AuditDesk:
    """The page's audit desk, in the page's language, for the signed-in account (None in demo mode);
    its downloads are audited under the login name (``demo`` in demo mode)."""
    return AuditDesk(engine=app.engine(), scope=app.current_scope(), account=app.current_account(),
                     user=app.current_user() or "dashboard", lang=store.param.lang)


@app.guarded("/audit")
def create_app() -> pn.viewable.Viewable:
    app.load_extensions()
    # the store reads nothing (no engine): it carries the language and the navigation's year and date
    store = OverviewStore(scope=app.current_scope(), **app.url_state(OverviewStore, URL_STATE))
    app.sync_url(store, URL_STATE)
    app.collect_after_loads(store)
    return app.page(store, "/audit", create_desk(store), title_key="page.audit")


if pn.state.served:
    create_app().servable()
