"""Bokeh's property defaults made cheap: a served page builds in about a third less CPU and a
session holds about a third less memory.

A page is 300-900 Bokeh models of about 30-60 properties each, most left at their defaults.
Bokeh 3.8-3.9 works a default out afresh on every read (it merges the class's overridden defaults
along its MRO, copies the value and validates it); serialising a model for the browser reads
*every* property, the defaults too, before it leaves the defaults out; and every model makes and
keeps its own empty list or dict for each such default when it is created (about 4,000 a page,
2.3 of a session's 7.6 MB).  :func:`install` changes four things in the running process, none
of which changes a model's value or what is sent to the browser (``tests/test_speedups.py``
compares every page's serialised document with and without them):

1. Serialising without defaults (``include_defaults=False``, what a session sends) reads only the
   properties it sends: those set, those whose default was made for the model (lists, models), and
   those a theme sets.  A required property left unset still raises as before.
2. A model class's overridden defaults are merged once per class, as Bokeh already does for the
   class's property list.
3. A default that is a plain value (``None``, a bool, a number or a string) and not made by a
   function is prepared once per property and class, and whether a property's default must be
   made anew for each model (a list, a model) is worked out once per property and class.
4. An empty list or dict default that serialising leaves out anyway is made when it is first
   read, not with the model, and looking for a model's references does not make it.  A default
   that is a model is still made with the model.

Only Bokeh versions these were checked against are changed; under any other :func:`install` does
nothing and says so in its result.  The dashboards install it with their Panel extensions
(:func:`fundwatch.dashboards.app.load_extensions`); a notebook may call :func:`install` too.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import bokeh
import bokeh.model.util as model_util
from bokeh.core.has_props import HasProps
from bokeh.core.property.bases import Property
from bokeh.core.property.descriptors import PropertyDescriptor, UnsetValueError
from bokeh.core.property.singletons import Intrinsic, Undefined
from bokeh.core.property.wrappers import PropertyValueContainer

#: Bokeh (major, minor) versions whose internals these replacements were checked against.
CHECKED = ((3, 8), (3, 9))

_PLAIN = (type(None), bool, int, float, str)
_ORIGINAL = {
    "query_properties_with_values": HasProps.query_properties_with_values,
    "_overridden_defaults": HasProps.__dict__["_overridden_defaults"],
    "themed_default": Property.themed_default,
    "has_unstable_default": PropertyDescriptor.has_unstable_default,
    "visit_immediate_value_references": model_util.visit_immediate_value_references,
    "__init__": HasProps.__init__,
}
# kept per property object (Bokeh's properties are not hashable) and class
_plain_defaults: dict[tuple[int, type, str, bool], Any] = {}
_made_per_model: dict[tuple[int, type], bool] = {}


def bokeh_checked(version: str = bokeh.__version__) -> bool:
    """Whether ``version`` of Bokeh is one these replacements were checked against."""
    major, minor = (int(part) for part in version.split(".")[:2])
    return (major, minor) in CHECKED


def installed() -> bool:
    """Whether the replacements are in place in this process."""
    return HasProps.query_properties_with_values is _query_properties_with_values


def install() -> bool:
    """Put the replacements in place (once; later calls do nothing); whether they are in place."""
    if not installed() and bokeh_checked():
        HasProps.query_properties_with_values = _query_properties_with_values
        HasProps._overridden_defaults = classmethod(_class_overrides)
        Property.themed_default = _themed_default
        PropertyDescriptor.has_unstable_default = _made_for_each_model
        model_util.visit_immediate_value_references = _visit_references
        HasProps.__init__ = _init
    return installed()


def uninstall() -> None:
    """Put Bokeh's own functions back and forget what was kept."""
    HasProps.query_properties_with_values = _ORIGINAL["query_properties_with_values"]
    HasProps._overridden_defaults = _ORIGINAL["_overridden_defaults"]
    Property.themed_default = _ORIGINAL["themed_default"]
    PropertyDescriptor.has_unstable_default = _ORIGINAL["has_unstable_default"]
    model_util.visit_immediate_value_references = _ORIGINAL["visit_immediate_value_references"]
    HasProps.__init__ = _ORIGINAL["__init__"]
    for per_class in (_class_overrides, _required_keys, _empty_defaults):
        per_class.cache_clear()
    _plain_defaults.clear()
    _made_per_model.clear()


@functools.cache
def _class_overrides(cls: type[HasProps]) -> dict[str, Any]:
    """The defaults ``cls`` and its bases override, merged once per class (read only)."""
    return _ORIGINAL["_overridden_defaults"].__func__(cls)


@functools.cache
def _required_keys(cls: type[HasProps]) -> frozenset[str]:
    """The properties of ``cls`` without a default: reading one left unset raises."""
    overrides = cls._overridden_defaults()
    return frozenset(name for name, prop in cls.properties(_with_props=True).items()
                     if overrides.get(name, prop.default) is Undefined)


def _themed_default(self: Property, cls: type[HasProps], name: str, theme_overrides: dict[str, Any] | None,
                    *, no_eval: bool = False) -> Any:
    """Bokeh's ``Property.themed_default``, keeping a plain value that no function makes."""
    if theme_overrides is not None and name in theme_overrides:
        return _ORIGINAL["themed_default"](self, cls, name, theme_overrides, no_eval=no_eval)
    key = (id(self), cls, name, no_eval)
    try:
        return _plain_defaults[key]
    except KeyError:
        pass
    value = _ORIGINAL["themed_default"](self, cls, name, theme_overrides, no_eval=no_eval)
    source = cls._overridden_defaults().get(name, self.default)
    if type(value) in _PLAIN and not callable(source):
        _plain_defaults[key] = value
    return value


def _made_for_each_model(self: PropertyDescriptor, obj: HasProps) -> bool:
    """Bokeh's ``PropertyDescriptor.has_unstable_default``, once per property and class."""
    key = (id(self), type(obj))
    try:
        return _made_per_model[key]
    except KeyError:
        made = _made_per_model[key] = _ORIGINAL["has_unstable_default"](self, obj)
        return made


@functools.cache
def _empty_defaults(cls: type[HasProps]) -> frozenset[str]:
    """The properties of ``cls`` whose default is an empty list, dict or set (not made by a
    function) that Bokeh keeps in a watched container: serialising leaves such a default out
    whether it was made or not.  (A plain sequence default, once made, is sent.)"""
    overrides = cls._overridden_defaults()
    return frozenset(name for name, prop in cls.properties(_with_props=True).items()
                     if isinstance(default := overrides.get(name, prop.default), (list, dict, set)) and not default
                     and isinstance(prop.wrap(type(default)()), PropertyValueContainer))


def _init(self: HasProps, **properties: Any) -> None:
    """Bokeh's ``HasProps.__init__``, leaving an empty list or dict default to be made when it is
    first read (Bokeh makes them all with the model: about 4,000 a page, 2.3 MB a session).  A
    default that is a model is still made with the model."""
    super(HasProps, self).__init__()
    self._property_values = {}
    self._unstable_default_values = {}
    self._unstable_themed_values = {}
    for name, value in properties.items():
        if value is Undefined or value is Intrinsic:
            continue
        setattr(self, name, value)
    empty = _empty_defaults(type(self))
    for name in self.properties(_with_props=True):
        if name in properties or name in empty:
            continue
        descriptor = self.lookup(name)
        if descriptor.has_unstable_default(self):
            descriptor._get(self)  # makes the default and keeps it, as Bokeh does
    self._initialized = True


def _visit_references(value: Any, visitor: Callable[[Any], None]) -> None:
    """Bokeh's ``visit_immediate_value_references``, not making an empty list or dict default
    just to look for models in it (Bokeh makes and keeps one per property and model)."""
    if not isinstance(value, HasProps):
        model_util.visit_value_and_its_immediate_references(value, visitor)
        return
    values, made = value._property_values, value._unstable_default_values
    themed = value.themed_values() or {}
    empty = _empty_defaults(type(value))
    for name in value.properties_with_refs():  # an empty default not made yet holds no model
        if name in empty and name not in values and name not in made and name not in themed:
            continue
        model_util.visit_value_and_its_immediate_references(getattr(value, name), visitor)


def _query_properties_with_values(self: HasProps, query: Callable[[Any], bool], *, include_defaults: bool = True,
                                  include_undefined: bool = False) -> dict[str, Any]:
    """Bokeh's ``HasProps.query_properties_with_values``; without defaults, reading only the
    properties that can be in the result (Bokeh reads every property first)."""
    if include_defaults:
        return _ORIGINAL["query_properties_with_values"](self, query, include_defaults=True,
                                                         include_undefined=include_undefined)
    values, made = self._property_values, self._unstable_default_values
    themed = self.themed_values() or {}
    required = _required_keys(type(self))
    result: dict[str, Any] = {}
    for key in self.properties(_with_props=True):
        chosen = key in values or key in made or key in themed
        if not chosen and key not in required:
            continue
        descriptor = self.lookup(key)
        if not query(descriptor):
            continue
        try:
            value = descriptor.get_value(self)
        except UnsetValueError:
            if not include_undefined:
                raise
            result[key] = Undefined  # as Bokeh: an unset required property is listed, chosen or not
            continue
        if not chosen:
            continue
        if key not in themed and key in made and isinstance(value, PropertyValueContainer):
            continue  # a list or dict default never changed is left out, as Bokeh does
        result[key] = value
    return result
