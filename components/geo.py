"""The county outlines of the committed GeoJSON, read once per process and shared by every session.

``assets/ganzhou_counties.geojson`` holds the 18 county-level units with a statutory code
(WGS-84, see ``assets/ATTRIBUTION.md``).  The two functional zones have no polygon: the map lists
them beside itself (:data:`ZONES`).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ASSET = Path(__file__).resolve().parent / "assets" / "ganzhou_counties.geojson"

#: The functional zones of Ganzhou: administrative units without a statutory code or boundary.
ZONES = ("ZONE-RJ", "ZONE-KF")


@dataclass(frozen=True)
class CountyShape:
    """One county outline as plain coordinate lists (parts separated by NaN), ready for
    the map's Bokeh polygons; ``x`` is longitude scaled by cos(latitude) so one unit is the same
    distance in both directions and the map keeps its true shape with a 1:1 aspect."""

    code: str
    name: str
    x: tuple[float, ...]
    y: tuple[float, ...]
    holes: tuple[tuple[tuple[tuple[float, float], ...], ...], ...] = ()  # part -> rings -> points

    @property
    def has_holes(self) -> bool:
        return any(self.holes)


@dataclass(frozen=True)
class CountyOutlines:
    shapes: tuple[CountyShape, ...]
    attribution: str
    bounds: tuple[float, float, float, float]  # x0, y0, x1, y1 in map units

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(s.code for s in self.shapes)

    def within(self, allows) -> CountyOutlines:
        """The outlines whose code ``allows(code)`` accepts (a scope's ``allows``), framed on
        themselves; with none left the frame stays the prefecture's."""
        shapes = tuple(s for s in self.shapes if allows(s.code))
        if len(shapes) == len(self.shapes):
            return self
        if not shapes:
            return CountyOutlines((), self.attribution, self.bounds)
        return CountyOutlines(shapes, self.attribution, _bounds(shapes))

    @property
    def aspect(self) -> float:
        x0, y0, x1, y1 = self.bounds
        return (x1 - x0) / (y1 - y0)


@cache
def county_outlines(path: Path = ASSET) -> CountyOutlines:
    """The outlines, parsed once per process (the file is read-only reference data)."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    features = doc["features"]
    lats = [lat for f in features for ring in _rings(f["geometry"]) for _, lat in ring]
    scale = math.cos(math.radians((min(lats) + max(lats)) / 2))
    shapes = []
    for feature in features:
        xs: list[float] = []
        ys: list[float] = []
        holes = []
        for polygon in _polygons(feature["geometry"]):
            outer, *inner = polygon
            if xs:
                xs.append(math.nan)
                ys.append(math.nan)
            xs.extend(lon * scale for lon, _ in outer)
            ys.extend(lat for _, lat in outer)
            holes.append(tuple(tuple((lon * scale, lat) for lon, lat in ring) for ring in inner))
        props = feature["properties"]
        shapes.append(CountyShape(props["adcode"], props["name"], tuple(xs), tuple(ys), tuple(holes)))
    return CountyOutlines(tuple(shapes), doc.get("attribution", ""), _bounds(shapes))


def _bounds(shapes) -> tuple[float, float, float, float]:
    x = [v for s in shapes for v in s.x if not math.isnan(v)]
    y = [v for s in shapes for v in s.y if not math.isnan(v)]
    return min(x), min(y), max(x), max(y)


def _polygons(geometry: dict):
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    if geometry["type"] == "MultiPolygon":
        return geometry["coordinates"]
    raise ValueError(f"unexpected geometry type {geometry['type']!r}")


def _rings(geometry: dict):
    for polygon in _polygons(geometry):
        yield from polygon
