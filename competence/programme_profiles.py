"""Mean results per area or competence, for the programme's radars and the maturity page:
the organisation's, each unit's and a team's, small groups hidden (competence.small_groups)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING

from competence.maturity import DIGITAL_WAYS_ITEM, DIGITAL_WAYS_MIN_LEVEL
from competence.periods import utc
from competence.small_groups import MIN_GROUP, Figure, suppress

if TYPE_CHECKING:
    from competence.programme import AttemptRow, Member


@dataclass(frozen=True)
class Profile:
    """Mean values per axis over `people` results; hidden when computed over too few."""

    values: list[float | None]
    people: int
    suppressed: bool = False  # hidden so that another group cannot be derived

    @property
    def hidden(self) -> bool:
        return self.suppressed or self.people < MIN_GROUP


def latest_results(
    attempts: Iterable[AttemptRow],
    *,
    instrument_keys: set[str] | None = None,
    framework_key: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[int, AttemptRow]:
    """Each employee's latest submitted attempt (of these instruments, in [since, until))."""
    latest: dict[int, AttemptRow] = {}
    for attempt in attempts:
        if attempt.submitted_at is None or not attempt.result:
            continue
        if instrument_keys is not None and attempt.instrument_key not in instrument_keys:
            continue
        if framework_key is not None and attempt.framework_key != framework_key:
            continue
        if until is not None and utc(attempt.submitted_at) >= until:
            continue
        if since is not None and utc(attempt.submitted_at) < since:
            continue
        known = latest.get(attempt.employee_id)
        if known is None or utc(attempt.submitted_at) > utc(known.submitted_at):
            latest[attempt.employee_id] = attempt
    return latest


def mean_profile(results: Iterable[dict], axes: Sequence[str], part: str = "areas") -> Profile:
    """Mean of each axis (area or competence ids) over the result documents."""
    results = list(results)
    values: list[float | None] = []
    for axis in axes:
        found = [r[part][axis]["value"] for r in results if axis in r.get(part, {})]
        values.append(round(sum(found) / len(found), 2) if found else None)
    return Profile(values, len(results))


@dataclass(frozen=True)
class UnitProfiles:
    """The organisation's mean profile and each unit's, small units hidden as in `suppress`."""

    total: Profile
    units: dict[str, Profile]
    digital_ways: dict[str, Figure] = field(default_factory=dict)  # by unit
    total_digital_ways: Figure | None = None


def profiles_by_unit(
    period_members: Sequence[Member],
    latest: dict[int, AttemptRow],
    axes: Sequence[str],
    part: str = "areas",
    with_digital_ways: bool = False,
) -> UnitProfiles:
    """Mean results of the members' latest attempts, for the organisation and per unit."""
    units: dict[str, list[dict]] = {}
    everyone: list[dict] = []
    for member in period_members:
        attempt = latest.get(member.employee_id)
        if attempt is None:
            continue
        everyone.append(attempt.result)
        units.setdefault(member.unit, []).append(attempt.result)
    profiles = _hide_small_units(
        mean_profile(everyone, axes, part),
        {u: mean_profile(units[u], axes, part) for u in sorted(units)},
    )
    if with_digital_ways:
        profiles = replace(
            profiles,
            total_digital_ways=_ways_figure(everyone, profiles.total.hidden),
            digital_ways={
                u: _ways_figure(units[u], shown.hidden) for u, shown in profiles.units.items()
            },
        )
    return profiles


@dataclass(frozen=True)
class ResultSums:
    """What a group's mean profile is made of: how many results, and per axis the sum and
    the number of the values (a result may lack an axis).  The database adds these up
    (storage.programme_data.latest_result_sums) so that a profile of 50,000 people needs
    no result documents in Python."""

    people: int
    sums: tuple[float, ...]
    counts: tuple[int, ...]

    def __add__(self, other: ResultSums) -> ResultSums:
        return ResultSums(
            self.people + other.people,
            tuple(a + b for a, b in zip(self.sums, other.sums, strict=True)),
            tuple(a + b for a, b in zip(self.counts, other.counts, strict=True)),
        )

    def profile(self) -> Profile:
        """As `mean_profile` of the same results (the means rounded to two decimals)."""
        values = [
            round(total / count, 2) if count else None
            for total, count in zip(self.sums, self.counts, strict=True)
        ]
        return Profile(values, self.people)


def profiles_from_sums(units: dict[str, ResultSums], axes: Sequence[str]) -> UnitProfiles:
    """`profiles_by_unit` from each unit's sums; the organisation's are their total."""
    total = ResultSums(0, (0.0,) * len(axes), (0,) * len(axes))
    for unit in units.values():
        total += unit
    return _hide_small_units(total.profile(), {u: units[u].profile() for u in sorted(units)})


def _hide_small_units(total: Profile, units: dict[str, Profile]) -> UnitProfiles:
    """Small units hidden as in `suppress` (with the next smallest), and a small total."""
    shown_total, cells = suppress(
        Figure(total.people, total.people), [Figure(u.people, u.people) for u in units.values()]
    )
    return UnitProfiles(
        replace(total, suppressed=shown_total.hidden),
        {
            u: replace(profile, suppressed=cell.hidden)
            for (u, profile), cell in zip(units.items(), cells, strict=True)
        },
    )


def _ways_figure(results: list[dict], hidden: bool) -> Figure:
    answered = [a for a in map(digital_ways_of, results) if a is not None]
    return Figure(sum(answered), len(answered), "share", hidden or len(answered) < MIN_GROUP)


def digital_ways_of(result: dict) -> bool | None:
    value = result.get("competences", {}).get(DIGITAL_WAYS_ITEM, {}).get("value")
    return None if value is None else value >= DIGITAL_WAYS_MIN_LEVEL
