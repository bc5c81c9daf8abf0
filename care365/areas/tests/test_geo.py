from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from care365.areas.geo import haversine_km, haversine_m

lats = st.floats(min_value=-90, max_value=90)
lons = st.floats(min_value=-180, max_value=180)


def test_one_degree_of_latitude_is_about_111_km() -> None:
    assert haversine_km(27.0, 119.6, 28.0, 119.6) == pytest.approx(111.195, abs=0.01)


def test_metres_are_rounded_to_the_nearest_metre() -> None:
    km = haversine_km(27.97, 119.63, 27.95, 119.60)
    assert haversine_m(27.97, 119.63, 27.95, 119.60) == round(km * 1000)


@given(lats, lons, lats, lons)
def test_distance_is_symmetric_and_bounded(a: float, b: float, c: float, d: float) -> None:
    there = haversine_km(a, b, c, d)
    assert there == pytest.approx(haversine_km(c, d, a, b), abs=1e-6)
    assert 0 <= there <= 20_016  # half the Earth's circumference
