"""Where a radar chart's parts go: polar geometry, estimated text widths and axis labels
that neither run off the chart nor overlap (competence.radar draws them)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations

from markupsafe import escape

SOFT_HYPHEN = "\u00ad"

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
    A soft hyphen (U+00AD) in a word is a place to break too, shown as "-" at the
    end of its line ("Skydda person- / uppgifter"), and otherwise not at all.
    """
    pieces, hyphens = _pieces(text)
    if len(pieces) <= 1 or len(pieces) > 24:  # a sentence is no axis label: leave it whole
        return [_line(pieces, hyphens, 0, len(pieces))]
    best: list[str] = [_line(pieces, hyphens, 0, len(pieces))]
    every_cut = range(1, len(pieces))
    at_spaces = [cut for cut in every_cut if cut - 1 not in hyphens]
    for count in range(1, min(3, len(pieces)) + 1):
        # A word is broken at its soft hyphen only when breaking at spaces does not fit.
        for cuts_from in (at_spaces, every_cut) if hyphens else (every_cut,):
            if len(cuts_from) < count - 1:
                continue
            best = min(
                (_join(pieces, hyphens, cuts) for cuts in combinations(cuts_from, count - 1)),
                key=lambda lines: (max(text_width(line, font) for line in lines), lines),
            )
            if max(text_width(line, font) for line in best) <= max_width:
                return best
    return best


def _pieces(text: str) -> tuple[list[str], set[int]]:
    """The words and the parts of words between soft hyphens; `hyphens` holds the index of
    each piece that a soft hyphen (not a space) joins to the next."""
    pieces: list[str] = []
    hyphens: set[int] = set()
    for word in text.split():
        parts = [part for part in word.split(SOFT_HYPHEN) if part]
        for k, part in enumerate(parts):
            if k < len(parts) - 1:
                hyphens.add(len(pieces))
            pieces.append(part)
    return pieces, hyphens


def _line(pieces: list[str], hyphens: set[int], start: int, end: int) -> str:
    text = ""
    for i in range(start, end):
        text += pieces[i]
        if i < end - 1 and i not in hyphens:
            text += " "
    return text + ("-" if end - 1 in hyphens and end < len(pieces) else "")


def _join(pieces: list[str], hyphens: set[int], cuts: tuple[int, ...]) -> list[str]:
    bounds = (0, *cuts, len(pieces))
    return [_line(pieces, hyphens, a, b) for a, b in zip(bounds, bounds[1:], strict=False)]


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
    """Too close to read apart: two labels on one line need a gap of about a space and a half,
    or "Lära dig mer" beside "information" reads as one name."""
    font = a.label.height / (1.2 * len(a.label.lines))
    gap_x, gap_y = 0.6 * font, 0.15 * font
    return (
        a.x0 < b.x1 + gap_x and b.x0 < a.x1 + gap_x and a.y0 < b.y1 + gap_y and b.y0 < a.y1 + gap_y
    )


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
