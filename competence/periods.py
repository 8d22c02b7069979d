"""Calendar years and quarters: the periods programme follow-up reports per
(competence.programme)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property

_PERIOD = re.compile(r"(?P<year>\d{4})(?:-Q(?P<quarter>[1-4]))?\Z")


@dataclass(frozen=True)
class Period:
    """A calendar year ("2026") or quarter ("2026-Q2"), in UTC; `end` is exclusive."""

    year: int
    quarter: int | None = None

    @property
    def key(self) -> str:
        return f"{self.year}" if self.quarter is None else f"{self.year}-Q{self.quarter}"

    # Cached: asked for every attempt of every employee when 50,000 people are counted.
    @cached_property
    def start(self) -> datetime:
        month = 1 if self.quarter is None else 3 * self.quarter - 2
        return datetime(self.year, month, 1, tzinfo=UTC)

    @cached_property
    def end(self) -> datetime:
        if self.quarter is None or self.quarter == 4:
            return datetime(self.year + 1, 1, 1, tzinfo=UTC)
        return datetime(self.year, 3 * self.quarter + 1, 1, tzinfo=UTC)

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= utc(moment) < self.end

    def previous(self) -> Period:
        if self.quarter is None:
            return Period(self.year - 1)
        if self.quarter == 1:
            return Period(self.year - 1, 4)
        return Period(self.year, self.quarter - 1)

    def history(self, count: int) -> list[Period]:
        """This period and the `count - 1` before it, oldest first."""
        periods = [self]
        while len(periods) < count:
            periods.append(periods[-1].previous())
        return periods[::-1]


def parse_period(text: str | None, today: datetime) -> Period:
    """ "2026" or "2026-Q2"; empty means the current year.  ValueError for anything else."""
    if not text:
        return Period(today.year)
    match = _PERIOD.match(text.strip())
    if match is None or not 2000 <= int(match["year"]) <= 2100:
        raise ValueError(text)
    quarter = match["quarter"]
    return Period(int(match["year"]), int(quarter) if quarter else None)


def utc(moment: datetime) -> datetime:
    """A moment as UTC; one without a time zone (SQLite gives those) is taken as UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
