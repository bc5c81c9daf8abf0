"""Charts and the map as server-drawn SVG (no script in the browser, strict CSP): this module
computes the shapes, the templates draw them, and the stylesheet colours them by class."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

WIDTH = 320
BAR_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 110


@dataclass(frozen=True)
class Bar:
    label: str
    value: int | str  # "<5" where suppressed
    y: int
    width: int
    text_y: int
    href: str = ""


@dataclass(frozen=True)
class BarChart:
    title: str
    bars: list[Bar]
    height: int
    width: int = WIDTH
    label_width: int = LABEL_WIDTH


def bar_chart(title: str, items: Sequence[tuple[str, int | str, str]]) -> BarChart:
    """Horizontal bars, one per (label, value, link); a suppressed value ("<5") draws no bar."""
    numbers = [v for _l, v, _h in items if isinstance(v, int)]
    top = max(numbers, default=0) or 1
    span = WIDTH - LABEL_WIDTH - 50
    bars = []
    for i, (label, value, href) in enumerate(items):
        y = i * (BAR_HEIGHT + GAP)
        width = round(span * value / top) if isinstance(value, int) else 0
        bars.append(Bar(str(label), value, y, width, y + BAR_HEIGHT - 5, href))
    return BarChart(title=title, bars=bars, height=max(1, len(items)) * (BAR_HEIGHT + GAP))


@dataclass(frozen=True)
class Column:
    label: str
    value: int | str
    x: int
    y: int
    height: int


@dataclass(frozen=True)
class ColumnChart:
    title: str
    columns: list[Column]
    width: int
    height: int = 140
    base: int = 120


def column_chart(title: str, items: Sequence[tuple[str, int | str]]) -> ColumnChart:
    """Columns over months (a trend), labelled by month."""
    numbers = [v for _l, v in items if isinstance(v, int)]
    top = max(numbers, default=0) or 1
    step = 24
    columns = []
    for i, (label, value) in enumerate(items):
        h = round(100 * value / top) if isinstance(value, int) else 0
        columns.append(Column(label, value, 4 + i * step, 120 - h, h))
    return ColumnChart(title=title, columns=columns, width=8 + len(items) * step)


@dataclass(frozen=True)
class Point:
    label: str
    x: float
    y: float
    band: str  # "c0" (worst) .. "c4" (best), "cn" no figure
    share: float | None
    href: str


@dataclass(frozen=True)
class Map:
    points: list[Point]
    width: int = 320
    height: int = 240


def band(share: float | None) -> str:
    if share is None:
        return "cn"
    return f"c{min(4, int(share * 5))}"


def point_map(items: Sequence[tuple[str, float, float, float | None, str]]) -> Map:
    """Areas at their coordinates (label, latitude, longitude, share, link), fitted in the box
    with north up; each point coloured by its share's band."""
    if not items:
        return Map(points=[])
    lats = [i[1] for i in items]
    lons = [i[2] for i in items]
    lat_lo, lat_hi = min(lats), max(lats)
    lon_lo, lon_hi = min(lons), max(lons)
    pad = 12

    def place(offset: float, span: float, size: int) -> float:
        # All points on one line of this axis (a single area, say): the middle of the box.
        return round(pad + (offset / span if span else 0.5) * (size - 2 * pad), 1)

    points = [
        Point(
            label=label,
            x=place(lon - lon_lo, lon_hi - lon_lo, 320),
            y=place(lat_hi - lat, lat_hi - lat_lo, 240),
            band=band(share),
            share=share,
            href=href,
        )
        for label, lat, lon, share, href in items
    ]
    return Map(points=points)
