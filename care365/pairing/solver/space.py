"""Which points lie within a distance of which: a grid of cells as wide as the distance.

numpy narrows the candidates cell by cell; the distance of every pair that is kept is then
computed with `care365.areas.geo.haversine_km` itself, so that the solver, the reports and any
independent checker agree to the metre (numpy's trigonometry may differ in the last bit).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from care365.areas.geo import EARTH_RADIUS_KM, haversine_km

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]

KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180
MARGIN_KM = 1e-6  # numpy's candidates are kept with this margin, then checked exactly


def haversine_km_np(
    lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray
) -> FloatArray:
    phi1 = np.radians(lat1)
    phi2 = np.radians(lat2)
    a = (
        np.sin((phi2 - phi1) / 2) ** 2
        + np.cos(phi1) * np.cos(phi2) * np.sin(np.radians(lon2 - lon1) / 2) ** 2
    )
    km: FloatArray = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(1.0, np.sqrt(a)))
    return km


def exact_km(lat1: FloatArray, lon1: FloatArray, lat2: FloatArray, lon2: FloatArray) -> FloatArray:
    """`haversine_km` pair by pair (the project's definition of a distance)."""
    values = [
        haversine_km(a, b, c, d)
        for a, b, c, d in zip(
            lat1.tolist(), lon1.tolist(), lat2.tolist(), lon2.tolist(), strict=True
        )
    ]
    return np.asarray(values, dtype=np.float64)


def metres(km: FloatArray) -> IntArray:
    """Whole metres, rounded to the nearest metre as `haversine_m` does (half to even)."""
    return np.rint(km * 1000).astype(np.int64)


def pairs_within(
    lat_a: FloatArray, lon_a: FloatArray, lat_b: FloatArray, lon_b: FloatArray, max_km: float
) -> tuple[IntArray, IntArray, FloatArray]:
    """All (i, j) with point a[i] within max_km of point b[j], and their distances in km."""
    empty = np.zeros(0, dtype=np.int64)
    if len(lat_a) == 0 or len(lat_b) == 0:
        return empty, empty.copy(), np.zeros(0)
    cand_i, cand_j = _candidates(lat_a, lon_a, lat_b, lon_b, max_km)
    if len(cand_i) == 0:
        return cand_i, cand_j, np.zeros(0)
    rough = haversine_km_np(lat_a[cand_i], lon_a[cand_i], lat_b[cand_j], lon_b[cand_j])
    keep = rough <= max_km + MARGIN_KM
    cand_i, cand_j = cand_i[keep], cand_j[keep]
    km = exact_km(lat_a[cand_i], lon_a[cand_i], lat_b[cand_j], lon_b[cand_j])
    keep = km <= max_km
    return cand_i[keep], cand_j[keep], km[keep]


def _candidates(
    lat_a: FloatArray, lon_a: FloatArray, lat_b: FloatArray, lon_b: FloatArray, max_km: float
) -> tuple[IntArray, IntArray]:
    """Pairs whose grid cells touch; every pair within max_km is among them."""
    top = float(max(np.abs(lat_a).max(), np.abs(lat_b).max()))
    cos_top = math.cos(math.radians(min(90.0, top + 1.0)))
    cell_lat = max_km / KM_PER_DEGREE
    # Along a parallel the distance is at least R cos(latitude) times the longitude difference,
    # up to the asin; the 10% covers that for any distance a carer travels.
    cell_lon = 1.1 * max_km / (KM_PER_DEGREE * cos_top) if cos_top > 1e-6 else 360.0
    lons = np.concatenate([lon_a, lon_b])
    wraps = float(lons.min()) < -180 + cell_lon and float(lons.max()) > 180 - cell_lon
    if cell_lon >= 60 or cell_lat >= 30 or wraps:
        return _all_pairs(len(lat_a), len(lat_b))
    a_row = np.floor(lat_a / cell_lat).astype(np.int64)
    a_col = np.floor(lon_a / cell_lon).astype(np.int64)
    b_row = np.floor(lat_b / cell_lat).astype(np.int64)
    b_col = np.floor(lon_b / cell_lon).astype(np.int64)
    width = int(max(a_col.max(), b_col.max()) - min(a_col.min(), b_col.min())) + 3
    col0 = int(min(a_col.min(), b_col.min())) - 1
    row0 = int(min(a_row.min(), b_row.min())) - 1
    b_cell = (b_row - row0) * width + (b_col - col0)
    b_order = np.argsort(b_cell, kind="stable")
    b_sorted = b_cell[b_order]
    a_cell = (a_row - row0) * width + (a_col - col0)
    a_order = np.argsort(a_cell, kind="stable")
    a_sorted = a_cell[a_order]
    cells, starts = np.unique(a_sorted, return_index=True)
    ends = np.append(starts[1:], len(a_sorted))
    out_i: list[IntArray] = []
    out_j: list[IntArray] = []
    for cell, start, end in zip(cells.tolist(), starts.tolist(), ends.tolist(), strict=True):
        around = np.array(
            [cell + dr * width + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1)], dtype=np.int64
        )
        lo = np.searchsorted(b_sorted, around, side="left")
        hi = np.searchsorted(b_sorted, around, side="right")
        if not (hi > lo).any():
            continue
        js = np.concatenate([b_order[l_:h_] for l_, h_ in zip(lo, hi, strict=True) if h_ > l_])
        ii = a_order[start:end]
        out_i.append(np.repeat(ii, len(js)))
        out_j.append(np.tile(js, len(ii)))
    if not out_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty.copy()
    return np.concatenate(out_i), np.concatenate(out_j)


def _all_pairs(n_a: int, n_b: int) -> tuple[IntArray, IntArray]:
    return (
        np.repeat(np.arange(n_a, dtype=np.int64), n_b),
        np.tile(np.arange(n_b, dtype=np.int64), n_a),
    )
