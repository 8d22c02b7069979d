"""Where a radar chart's parts go: polar geometry, estimated text widths and axis labels
that neither run off the chart nor overlap (competence.radar draws them)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from markupsafe import escape

# --- geometry -----------------------------------------------------------------


def fmt(x: float) -> str:
    """One decimal, and never "-0.0", so output is stable across platforms."""
    text = f"{x:.1f}"
    return "0.0" if text == "-0.0" else text


def polar(r: float, angle: float) -> tuple[float, float]:
    # 0 rad is 12 o'clock and angles grow clockwise (SVG's y axis points down).
    return r * math.sin(angle), -r * math.cos(angle)


def points(radii: Sequence[float], angles: Sequence[float]) -> str:
    return " ".join(
        f"{fmt(x)},{fmt(y)}" for x, y in (polar(r, a) for r, a in zip(radii, angles, strict=True))
    )


# --- text measurement and axis labels -------------------------------------------

_NARROW = set("ijlIJ.,:;'!| ")
_SEMI = set("frt()[]/-")
_WIDE = set("mwMW@%")


def text_width(text: str, font: float) -> float:
    """A generous estimate: the server cannot measure glyphs, so err wide.

    The factors are DejaVu Sans's advance widths rounded up; it is wider than
    Segoe UI, Roboto or San Francisco, so real labels come out a little narrower.
    Overestimating only costs some web radius; underestimating clips text.
    """
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.32
        elif ch in _SEMI:
            em += 0.42
        elif ch in _WIDE:
            em += 1.0
        elif ch.isupper():
            em += 0.79
        else:
            em += 0.64
    return em * font


def wrap(text: str, font: float, max_width: float) -> list[str]:
    """Break long names at spaces into balanced lines rather than shrink the web.

    Uses the fewest lines (at most three) that fit ``max_width``, split so the
    widest line is as narrow as possible: "Communication and / collaboration"
    reads better than a greedy fill.  Names that fit nowhere get three lines.
    """
    words = text.split()
    if len(words) <= 1 or len(words) > 24:  # a sentence is no axis label: leave it whole
        return [" ".join(words)]
    best: list[str] = [" ".join(words)]
    for count in range(1, min(3, len(words)) + 1):
        best = min(
            (_join(words, cuts) for cuts in combinations(range(1, len(words)), count - 1)),
            key=lambda lines: (max(text_width(line, font) for line in lines), lines),
        )
        if max(text_width(line, font) for line in best) <= max_width:
            break
    return best


def _join(words: list[str], cuts: tuple[int, ...]) -> list[str]:
    bounds = (0, *cuts, len(words))
    return [" ".join(words[a:b]) for a, b in zip(bounds, bounds[1:], strict=False)]


@dataclass(frozen=True)
class _Label:
    lines: list[str]
    width: float
    height: float
    anchor: str
    left: float  # box edges relative to the anchor point, horizontally
    right: float

    def at(self, angle: float, r: float) -> _PlacedLabel:
        ax, ay = polar(r, angle)
        # Labels above the web sit on top of their anchor point, labels below
        # hang from it, labels at the sides are centred on it.
        top = ay - self.height * (1 + math.cos(angle)) / 2
        return _PlacedLabel(self, ax, top, ax + self.left, ax + self.right, top + self.height)


@dataclass(frozen=True)
class _PlacedLabel:
    label: _Label
    x: float
    top: float
    x0: float
    x1: float
    y1: float

    @property
    def y0(self) -> float:
        return self.top

    def svg(self, font: float) -> str:
        line_height = font * 1.2
        baseline = self.top + font * 0.95
        if len(self.label.lines) == 1:
            return (
                f'<text class="radar-axis-label" x="{fmt(self.x)}" y="{fmt(baseline)}" '
                f'text-anchor="{self.label.anchor}">{escape(self.label.lines[0])}</text>'
            )
        spans = "".join(
            f'<tspan x="{fmt(self.x)}" y="{fmt(baseline + i * line_height)}">{escape(line)}</tspan>'
            for i, line in enumerate(self.label.lines)
        )
        return f'<text class="radar-axis-label" text-anchor="{self.label.anchor}">{spans}</text>'


def _overlaps(a: _PlacedLabel, b: _PlacedLabel) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def place_labels(
    angles: Sequence[float], labels: Sequence[_Label], r: float, step: float
) -> list[_PlacedLabel]:
    """Push colliding labels outwards along their spokes, staggering them.

    Crowding happens at 12 and 6 o'clock, where neighbouring labels sit side by
    side; labels at 3 and 9 o'clock are placed first and never move, so pushing
    mostly costs height, which is free, rather than width, which shrinks the web.
    """
    order = sorted(range(len(angles)), key=lambda i: (-round(abs(math.sin(angles[i])), 6), i))
    placed: dict[int, _PlacedLabel] = {}
    for i in order:
        candidate = labels[i].at(angles[i], r)
        for k in range(1, 200):
            if not any(_overlaps(candidate, other) for other in placed.values()):
                break
            candidate = labels[i].at(angles[i], r + k * step)
        placed[i] = candidate
    return [placed[i] for i in range(len(angles))]


def label_box(text: str, angle: float, font: float, max_width: float) -> _Label:
    lines = wrap(text, font, max_width)
    width = max(text_width(line, font) for line in lines)
    height = font * 1.2 * len(lines)
    s = math.sin(angle)
    if abs(s) < 0.2:  # near 12 or 6 o'clock: centre on the spoke
        return _Label(lines, width, height, "middle", -width / 2, width / 2)
    if s > 0:  # right half: text runs away from the web
        return _Label(lines, width, height, "start", 0.0, width)
    return _Label(lines, width, height, "end", -width, 0.0)
