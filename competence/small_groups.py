"""Small groups hidden: the rule that no figure, nor any figure worked out from the others,
concerns fewer than `MIN_GROUP` people (competence.programme explains it in full)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

MIN_GROUP = 5


@dataclass(frozen=True)
class Figure:
    """A count (`count` of `people`) or a share (`count` of `people` as a per cent)."""

    count: int
    people: int  # how many people the figure is computed over
    kind: str = "count"  # "count" (with its share of the population) | "share" | "size"
    hidden: bool = False

    @property
    def percent(self) -> float | None:
        return None if self.people == 0 else 100.0 * self.count / self.people


def hide_small(figure: Figure) -> Figure:
    return replace(figure, hidden=True) if figure.people < MIN_GROUP else figure


def suppress(total: Figure, cells: Sequence[Figure]) -> tuple[Figure, list[Figure]]:
    """Hide small cells, then enough others that no hidden cell follows from the total."""
    if total.people < MIN_GROUP:
        return replace(total, hidden=True), [replace(c, hidden=True) for c in cells]
    cells = [hide_small(c) for c in cells]
    while True:
        hidden_people = sum(c.people for c in cells if c.hidden)
        visible = [i for i, c in enumerate(cells) if not c.hidden]
        if not 0 < hidden_people < MIN_GROUP or not visible:
            return total, cells
        smallest = min(visible, key=lambda i: cells[i].people)
        cells[smallest] = replace(cells[smallest], hidden=True)
