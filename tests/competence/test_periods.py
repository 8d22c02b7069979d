"""Programme follow-up reports per calendar year or quarter, as typed on the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from competence.periods import Period, parse_period, utc

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def at(year, month, day=1):
    return datetime(year, month, day, tzinfo=UTC)


def test_periods_are_years_or_quarters():
    assert parse_period("", NOW) == Period(2026)
    q2 = parse_period("2026-Q2", NOW)
    assert (q2.start, q2.end) == (at(2026, 4), at(2026, 7))
    assert Period(2026, 4).end == at(2027, 1)
    assert [x.key for x in q2.history(4)] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    assert [x.key for x in Period(2026).history(3)] == ["2024", "2025", "2026"]
    for bad in ("2026-Q5", "26", "2026-q1", "år", "1999"):
        with pytest.raises(ValueError):
            parse_period(bad, NOW)


def test_a_moment_without_a_time_zone_is_taken_as_utc_and_the_end_is_exclusive():
    q1 = Period(2026, 1)

    assert utc(datetime(2026, 3, 31, 23, 59)) == datetime(2026, 3, 31, 23, 59, tzinfo=UTC)
    assert q1.contains(datetime(2026, 3, 31, 23, 59))
    assert not q1.contains(at(2026, 4))
    assert not q1.contains(datetime(2026, 4, 1, 0, 30, tzinfo=timezone(timedelta(hours=-1))))
    assert not q1.contains(None)
