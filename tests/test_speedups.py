"""Bokeh's property defaults made cheap (``fundwatch.components.speedups``): the pages are built and
sent exactly as without the replacements, and Bokeh's rules on defaults still hold."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re

import pytest
from bokeh.core.has_props import HasProps
from bokeh.core.properties import Int, List, Override, Required, String
from bokeh.core.property.descriptors import UnsetValueError
from bokeh.core.property.singletons import Undefined
from bokeh.document import Document
from bokeh.models import ColumnDataSource, Range1d
from panel.io.state import set_curdoc

from benchmarks import pages
from fundwatch.components import clear_caches, speedups
from fundwatch.components.scoring import ScoringStore
from fundwatch.components.stores import CountyStore
from fundwatch.components.transition import TransitionStore
from fundwatch.dashboards import app, county, overview, scoring, transition
from fundwatch.data.scope import Scope

YEAR, AS_OF = 2020, dt.date(2020, 6, 30)
PAGES = {
    "overview": (overview, overview.OverviewStore, {"year": YEAR, "as_of": AS_OF}),
    "county": (county, CountyStore, {"year": YEAR, "as_of": AS_OF, "county": "360731"}),
    "transition": (transition, TransitionStore, {"year": 2023, "as_of": dt.date(2023, 6, 30), "county": "360731"}),
    "scoring": (scoring, ScoringStore, {"rubric": "chaoyang-2020-sector", "year": 2020}),
}


class Probe(HasProps):
    size = Int(default=1)
    label = Required(String)
    tags = List(String)


class SmallerProbe(Probe):
    size = Override(default=2)


@pytest.fixture
def original_bokeh():
    """Bokeh's own functions for the test, the replacements put back after it."""
    was = speedups.installed()
    speedups.uninstall()
    yield
    if was:
        speedups.install()


def sent(page: str, engine) -> str:
    """The page's document as a session sends it (built as the page benchmark builds it), its
    model ids, Panel's automatic names (``Row00337``) and Tabulator's row keys numbered in order
    of appearance: two builds draw different ones."""
    module, store_class, state = PAGES[page]
    clear_caches()
    with set_curdoc(Document()):
        store = store_class(engine=engine, scope=Scope.all(), **state)
    document = pages.render(store, module)
    text = json.dumps(document.to_json(deferred=False), ensure_ascii=False, sort_keys=True)
    pages.discard(document)
    numbers = itertools.count()
    ids: dict[str, str] = {}
    return re.sub(r'(?<=[":])p\d+(?=")|(?<=")(?:[A-Z][A-Za-z]*\d{5}|[0-9a-f]{32})(?=")',
                  lambda found: ids.get(found.group()) or ids.setdefault(found.group(), f"#{next(numbers)}"), text)


def test_the_replacements_are_for_the_bokeh_they_were_checked_against():
    assert speedups.bokeh_checked("3.8.2") and speedups.bokeh_checked("3.9.2")
    assert not speedups.bokeh_checked("3.7.3") and not speedups.bokeh_checked("4.0.0")
    assert speedups.install() and speedups.installed()
    app.load_extensions()
    assert speedups.installed()  # what the dashboards run with


@pytest.mark.parametrize("demo_engine", ["sqlite"], indirect=True)
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_is_sent_as_without_the_replacements(page, demo_engine, original_bokeh):
    app.load_extensions()
    speedups.uninstall()
    plain = sent(page, demo_engine)
    assert speedups.install()
    faster = sent(page, demo_engine)
    assert len(plain) > 10_000 and '"#100"' in plain  # a whole page of models
    same = faster == plain  # (pytest's own diff of two 300 KB texts takes minutes)
    at = next((i for i, (a, b) in enumerate(zip(plain, faster, strict=False)) if a != b), min(len(plain), len(faster)))
    assert same, f"first difference at {at}: {plain[at - 200:at + 200]!r} against {faster[at - 200:at + 200]!r}"


def test_serialising_leaves_the_defaults_out_and_keeps_what_was_set(original_bokeh):
    for install in (False, True):
        if install:
            speedups.install()
        source = ColumnDataSource({"x": [1, 2]}, name="mine")
        shown = source.properties_with_values(include_defaults=False)
        assert shown["name"] == "mine" and shown["data"] == {"x": [1, 2]}
        assert "tags" not in shown and "js_property_callbacks" not in shown  # defaults, left out
        assert "selected" in shown  # a model made for it: always sent
        assert Range1d(start=3).properties_with_values(include_defaults=False)["start"] == 3


def test_an_unset_required_property_still_raises_or_shows_as_undefined(original_bokeh):
    for install in (False, True):
        if install:
            speedups.install()
        with pytest.raises(UnsetValueError):
            Probe().properties_with_values(include_defaults=False)
        assert Probe().properties_with_values(include_defaults=False, include_undefined=True) == {"label": Undefined}
        assert Probe(label="x").properties_with_values(include_defaults=False) == {"label": "x"}


def test_kept_defaults_follow_each_class_and_a_function_default_is_made_for_each_model(original_bokeh):
    speedups.install()
    assert (Probe(label="a").size, SmallerProbe(label="b").size, Probe(label="c").size) == (1, 2, 1)
    first, second = Probe(label="a"), Probe(label="b")
    first.tags.append("x")
    assert second.tags == []  # a list default is not shared
    counter = itertools.count()

    class Numbered(HasProps):
        number = Int(default=lambda: next(counter))

    assert Numbered().number != Numbered().number


def test_uninstall_restores_bokeh(original_bokeh):
    speedups.install()
    speedups.uninstall()
    assert not speedups.installed()
    assert HasProps.query_properties_with_values is speedups._ORIGINAL["query_properties_with_values"]


def test_an_empty_list_default_is_made_when_first_read_and_then_kept(original_bokeh):
    speedups.install()
    source = ColumnDataSource({"x": [1]})
    assert "tags" not in source._unstable_default_values  # not made with the model
    assert "selected" in source._unstable_default_values  # a model default still is
    assert source.references() >= {source, source.selected}
    assert "tags" not in source._unstable_default_values  # nor by looking for references
    tags = source.tags
    assert tags == [] and source.tags is tags  # made on reading, then kept
    assert "tags" not in source.properties_with_values(include_defaults=False)
    seen = []
    source.on_change("tags", lambda attr, old, new: seen.append(new))
    tags.append("mine")  # a change to the kept list is noticed, as Bokeh's own would be
    assert seen == [["mine"]] and source.properties_with_values(include_defaults=False)["tags"] == ["mine"]
