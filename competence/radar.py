"""Spider-web (radar) charts as server-rendered SVG, for results and team views.

Rendered in Python rather than with a JavaScript chart library because the
tool's Content-Security-Policy allows only its own scripts and styles, the chart
must exist for people without JavaScript, and a results page should look the
same in Moodle's iframe, in print and in tests.  For the same reason the markup
carries no ``style`` attributes (``style-src 'self'`` would block them): colours
and line styles are presentation attributes, which any rule in the stylesheet
overrides, so the chart reads correctly with or without ``site.css``.

The chart is one image with a text alternative (``role="img"``, ``<title>``,
``<desc>``); the numbers themselves belong in the data table the page shows next
to it.  Series differ by line pattern and marker shape as well as by colour
(WCAG 1.4.1), every line and text colour has at least 3:1 (lines) or 4.5:1
(text) contrast against white, and the same input always gives byte-identical
markup, so pages can be cached and tests can compare output.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from competence.radar_layout import fmt as _f
from competence.radar_layout import label_box as _label_box
from competence.radar_layout import place_labels as _place_labels
from competence.radar_layout import points as _points
from competence.radar_layout import polar as _polar
from competence.radar_layout import text_width as _text_width

__all__ = [
    "SERIES_STYLES",
    "RadarSeries",
    "SeriesStyle",
    "default_rings",
    "radar_chart",
    "radar_svg",
]


@dataclass(frozen=True)
class RadarSeries:
    """One polygon: a person's levels now, before, or a role's targets.

    ``values`` line up with the chart's axes; ``None`` means "not assessed".
    Nothing is drawn on such a spoke: the line breaks there and the series gets
    no fill, so a missing answer is never mistaken for a measured zero (a line
    to the centre would read as "level 0").
    """

    label: str
    values: Sequence[float | None]
    style: str = "current"


@dataclass(frozen=True)
class SeriesStyle:
    """Default look of a series when the stylesheet does not restyle it."""

    stroke: str
    fill: str
    fill_opacity: float
    stroke_width: float
    dasharray: str | None
    marker: str  # "dot", "ring" (hollow circle) or "diamond"


# Colour is never the only difference: "previous" is dashed with hollow
# markers, "target" dotted with diamonds and no fill.
SERIES_STYLES: dict[str, SeriesStyle] = {
    "current": SeriesStyle("#005a9c", "#005a9c", 0.18, 2.5, None, "dot"),  # 7.1:1
    "previous": SeriesStyle("#595959", "#595959", 0.08, 2.0, "6 4", "ring"),  # 7.0:1
    "target": SeriesStyle("#b34700", "none", 0.0, 2.5, "0 5", "diamond"),  # 5.5:1
}
_FALLBACK_STYLE = SeriesStyle("#1b1b1b", "none", 0.0, 2.0, None, "dot")

_TEXT = "#1b1b1b"
_MUTED_TEXT = "#595959"  # 7.0:1 on white
_GRID = "#8a8a8a"  # 3.4:1 on white: rings are needed to read the values
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*\Z")
_STYLE_NAME = re.compile(r"[a-z0-9][a-z0-9-]*\Z")


def default_rings(max_value: int) -> list[int]:
    """Every level while that stays legible; every second from 7 levels up.

    DigComp's 8 levels are read in pairs (foundation, intermediate, advanced,
    highly specialised), so rings at 2, 4, 6, 8 match how people talk about
    them, while a 4-level custom scale gets a ring per level.
    """
    step = 1 if max_value <= 6 else 2
    rings = list(range(step, max_value + 1, step))
    if not rings or rings[-1] != max_value:
        rings.append(max_value)
    return rings


def radar_svg(
    axes: Sequence[str],
    series: Sequence[RadarSeries],
    *,
    max_value: int,
    title: str,
    description: str,
    rings: Sequence[int] | None = None,
    size: int = 480,
    id_prefix: str = "radar",
    font_size: float | None = None,
    label_width: float = 0.3,
) -> Markup:
    """Render the chart; ``size`` is the nominal width in CSS pixels.

    Text is 14 px at that width unless ``font_size`` says otherwise, and an axis label
    wraps to at most ``label_width`` of the width: a chart drawn for a phone passes a
    larger font and narrower labels for its size, so that names stay readable there.

    The web shrinks to leave room for the axis labels instead of letting them
    run off the edge, and the viewBox grows if even a small web cannot make
    room, so labels are never clipped when the SVG scales down to a phone.
    ``id_prefix`` must be unique on the page, because ``aria-labelledby``
    refers to ids.
    """
    n = len(axes)
    if n < 3:
        raise ValueError("a radar chart needs at least 3 axes")
    if max_value < 1:
        raise ValueError("max_value must be at least 1")
    if size < 200:
        raise ValueError("size must be at least 200")
    if not _NAME.match(id_prefix):
        raise ValueError(f"id_prefix must be a plain identifier: {id_prefix!r}")
    for s in series:
        if len(s.values) != n:
            raise ValueError(f"series {s.label!r} has {len(s.values)} values for {n} axes")
        if not _STYLE_NAME.match(s.style):
            raise ValueError(f"series style must be a lowercase CSS name: {s.style!r}")
    ring_values = sorted(
        {r for r in (default_rings(max_value) if rings is None else rings) if 0 < r <= max_value}
        | {max_value}
    )

    width = float(size)
    scale = width / 480
    font = 14 * scale if font_size is None else font_size
    small_font = 12 * scale if font_size is None else font_size * 6 / 7
    pad = 4 * scale
    gap = 8 * scale
    min_radius = width * 0.22
    max_radius = width / 2 - pad - gap - font

    angles = [2 * math.pi * i / n for i in range(n)]
    labels = [
        _label_box(str(a), ang, font, width * label_width)
        for a, ang in zip(axes, angles, strict=True)
    ]

    # Largest radius R for which every label box fits horizontally in [pad, width - pad].
    half = width / 2
    radius = max_radius
    for ang, box in zip(angles, labels, strict=True):
        s = math.sin(ang)
        if s > 1e-9:
            radius = min(radius, (half - pad - box.right) / s - gap)
        elif s < -1e-9:
            radius = min(radius, (half - pad + box.left) / -s - gap)
    radius = max(radius, min_radius)

    # Lay out around a centre at (0, 0), then place the viewBox around everything.
    placed = _place_labels(angles, labels, radius + gap, step=2 * scale)
    min_x = min([-half] + [p.x0 - pad for p in placed])
    max_x = max([half] + [p.x1 + pad for p in placed])
    min_y = min([-radius - pad] + [p.y0 - pad for p in placed])
    max_y = max([radius + pad] + [p.y1 + pad for p in placed])

    legend, legend_height = _legend(series, min_x, max_x, max_y + gap, font, scale)
    if legend_height:
        max_y += gap + legend_height
    vb_w, vb_h = max_x - min_x, max_y - min_y

    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="radar" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" width="100%" '
        f'viewBox="{_f(min_x)} {_f(min_y)} {_f(vb_w)} {_f(vb_h)}" '
        f'preserveAspectRatio="xMidYMid meet" font-family="{_FONT}" fill="{_TEXT}">',
        f'<title id="{title_id}">{escape(title)}</title>',
        f'<desc id="{desc_id}">{escape(description)}</desc>',
    ]

    # Grid: rings (the outer one stronger, it is the scale's top), then spokes.
    out.append('<g class="radar-grid" fill="none" stroke="' + _GRID + '">')
    for r in ring_values:
        outer = r == max_value
        points = _points([radius * r / max_value] * n, angles)
        out.append(
            f'<polygon class="radar-ring{" radar-ring--outer" if outer else ""}" '
            f'points="{points}" stroke-width="{_f((1.5 if outer else 1) * scale)}"/>'
        )
    for ang in angles:
        x, y = _polar(radius, ang)
        out.append(
            f'<line class="radar-axis" x1="0" y1="0" x2="{_f(x)}" y2="{_f(y)}" '
            f'stroke-width="{_f(scale)}"/>'
        )
    out.append("</g>")

    for s in series:
        out.extend(_series(s, angles, radius, max_value, scale))

    # Ring values sit just right of the top spoke, with a white halo so they
    # stay readable where a series line crosses them.
    out.append(
        f'<g class="radar-ring-labels" font-size="{_f(small_font)}" fill="{_MUTED_TEXT}" '
        f'stroke="#ffffff" stroke-width="{_f(3 * scale)}" paint-order="stroke" '
        f'stroke-linejoin="round">'
    )
    for r in ring_values:
        y = -radius * r / max_value + small_font * 0.95
        out.append(
            f'<text class="radar-ring-label" x="{_f(6 * scale)}" y="{_f(y)}">{escape(r)}</text>'
        )
    out.append("</g>")

    out.append(f'<g class="radar-axis-labels" font-size="{_f(font)}">')
    for p in placed:
        out.append(p.svg(font))
    out.append("</g>")

    out.extend(legend)
    out.append("</svg>")
    # Every piece of caller text above went through escape(); the rest is ours.
    return Markup("\n".join(out))  # noqa: S704


def radar_chart(
    axes: Sequence[str],
    series: Sequence[RadarSeries | None],
    *,
    max_value: int,
    title: str,
    description: str,
    id_prefix: str,
    **layout,
) -> Markup | None:
    """A page's radar, the one way every page builds it: the series given, in order, each
    None that the page has not (no earlier result, no target for the role, a group too
    small to show) left out; None when there is nothing to draw: no "current" series (the
    group itself is hidden) or fewer than three axes.  `layout` goes on to radar_svg
    (size, font_size, label_width)."""
    drawn = [s for s in series if s is not None]
    if len(axes) < 3 or not any(s.style == "current" for s in drawn):
        return None
    return radar_svg(
        axes,
        drawn,
        max_value=max_value,
        title=title,
        description=description,
        id_prefix=id_prefix,
        **layout,
    )


# --- values ---------------------------------------------------------------------


def _clamp(value: float | None, max_value: int) -> float | None:
    if value is None or math.isnan(value):
        return None
    return min(max(float(value), 0.0), float(max_value))


# --- series and legend ----------------------------------------------------------


def _style(name: str) -> SeriesStyle:
    return SERIES_STYLES.get(name, _FALLBACK_STYLE)


def _stroke_attrs(style: SeriesStyle, scale: float) -> str:
    attrs = f'stroke="{style.stroke}" stroke-width="{_f(style.stroke_width * scale)}"'
    if style.dasharray:
        dashes = " ".join(_f(float(d) * scale) for d in style.dasharray.split())
        attrs += f' stroke-dasharray="{dashes}" stroke-linecap="round"'
    return attrs


def _marker(style: SeriesStyle, x: float, y: float, scale: float) -> str:
    stroke = f'stroke="{style.stroke}" stroke-width="{_f(1.5 * scale)}"'
    if style.marker == "diamond":
        d = 4.5 * scale
        pts = f"{_f(x)},{_f(y - d)} {_f(x + d)},{_f(y)} {_f(x)},{_f(y + d)} {_f(x - d)},{_f(y)}"
        return f'<polygon class="radar-dot" points="{pts}" fill="{style.stroke}"/>'
    if style.marker == "ring":
        return (
            f'<circle class="radar-dot" cx="{_f(x)}" cy="{_f(y)}" r="{_f(3.5 * scale)}" '
            f'fill="#ffffff" {stroke}/>'
        )
    return (
        f'<circle class="radar-dot" cx="{_f(x)}" cy="{_f(y)}" r="{_f(3.5 * scale)}" '
        f'fill="{style.stroke}"/>'
    )


def _series(
    s: RadarSeries, angles: Sequence[float], radius: float, max_value: int, scale: float
) -> list[str]:
    style = _style(s.style)
    values = [_clamp(v, max_value) for v in s.values]
    radii = [radius * (v or 0.0) / max_value for v in values]
    fill = (
        f'fill="{style.fill}" fill-opacity="{style.fill_opacity:g}"'
        if style.fill != "none"
        else 'fill="none"'
    )
    out = [f'<g class="radar-series radar-series--{s.style}">']
    if all(v is not None for v in values):
        out.append(
            f'<polygon class="radar-area" points="{_points(radii, angles)}" {fill} '
            f'{_stroke_attrs(style, scale)} stroke-linejoin="round"/>'
        )
    else:
        # Not assessed: the line stops at the spokes either side, and no area is filled.
        for run in _assessed_runs(values):
            if len(run) > 1:
                out.append(
                    f'<polyline class="radar-line" '
                    f'points="{_points([radii[i] for i in run], [angles[i] for i in run])}" '
                    f'fill="none" {_stroke_attrs(style, scale)} stroke-linejoin="round"/>'
                )
    for v, r, a in zip(values, radii, angles, strict=True):
        if v is not None:
            out.append(_marker(style, *_polar(r, a), scale))
    out.append("</g>")
    return out


def _assessed_runs(values: Sequence[float | None]) -> list[list[int]]:
    """Indexes of neighbouring assessed spokes, around the circle (the last joins the first)."""
    n = len(values)
    gaps = [i for i, v in enumerate(values) if v is None]
    if not gaps:
        return [list(range(n))]
    runs: list[list[int]] = []
    # Start just after a gap, so a run that wraps past the last spoke stays one run.
    start = gaps[0] + 1
    run: list[int] = []
    for step in range(n):
        i = (start + step) % n
        if values[i] is None:
            if run:
                runs.append(run)
            run = []
        else:
            run.append(i)
    if run:
        runs.append(run)
    return runs


def _legend(
    series: Sequence[RadarSeries],
    min_x: float,
    max_x: float,
    top: float,
    font: float,
    scale: float,
) -> tuple[list[str], float]:
    """Legend rows under the web, centred, wrapping when entries do not fit.

    Each swatch repeats the series' own line pattern and marker, so the legend
    works for people who cannot tell the colours apart.
    """
    if not series:
        return [], 0.0
    swatch, spacing, inner = 30 * scale, 20 * scale, 6 * scale
    available = max_x - min_x
    widths = [swatch + inner + _text_width(s.label, font) for s in series]
    rows: list[list[int]] = [[]]
    row_width = 0.0
    for i, w in enumerate(widths):
        needed = w if not rows[-1] else row_width + spacing + w
        if rows[-1] and needed > available:
            rows.append([i])
            row_width = w
        else:
            rows[-1].append(i)
            row_width = needed
    row_height = font * 1.7
    out = [f'<g class="radar-legend" font-size="{_f(font)}">']
    for row_no, row in enumerate(rows):
        total = sum(widths[i] for i in row) + spacing * (len(row) - 1)
        x = min_x + (available - total) / 2
        mid = top + row_height * row_no + row_height / 2
        for i in row:
            s = series[i]
            style = _style(s.style)
            out.append(f'<g class="radar-legend-item radar-series--{s.style}">')
            out.append(
                f'<line class="radar-legend-line" x1="{_f(x + 2 * scale)}" y1="{_f(mid)}" '
                f'x2="{_f(x + swatch - 2 * scale)}" y2="{_f(mid)}" {_stroke_attrs(style, scale)}/>'
            )
            out.append(_marker(style, x + swatch / 2, mid, scale))
            out.append(
                f'<text class="radar-legend-label" x="{_f(x + swatch + inner)}" '
                f'y="{_f(mid + font * 0.35)}">{escape(s.label)}</text>'
            )
            out.append("</g>")
            x += widths[i] + spacing
    out.append("</g>")
    return out, row_height * len(rows)
