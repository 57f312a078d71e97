"""fundwatch: supervision of poverty-alleviation and rural-revitalisation funds.

The distribution maps the repository's top-level folders into one namespace:
``data/`` is :mod:`fundwatch.data`, ``components/`` is :mod:`fundwatch.components`
and ``dashboards/`` is :mod:`fundwatch.dashboards`.
"""

__version__ = "0.1.0"
