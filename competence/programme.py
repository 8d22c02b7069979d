"""Programme follow-up: the indicators an EU-funded competence programme reports, per period.

Plain functions over plain rows (`OrganisationFacts`), so the rules below can be
read, tested with hand-computed numbers and reused for pages and exports alike.
Storage fetches the rows (storage/programme_data.py); the web layer only labels
and formats them.

Who is counted in a period (the population):
    employees whose employment overlaps the period, whether or not HR still lists
    them today: an HR import that ends someone's employment closes it on that day
    (storage.hr_import), so last year's figures never change when people leave.
    Their unit, manager and role (yrkesroll) are those of the employment valid
    during the period (the latest one that overlaps it), so a move keeps old
    periods as they were.

The indicators (the page shows the same definitions in words):
- `employees`: the population.
- `started` / `finished`: people who started / finished an assessment (any
  instrument but the maturity survey) during the period.  Finished means
  submitted with at least one competence assessed (competence.scoring.
  counts_as_finished): a submission with nothing answered does not count.
- `rose`: among people with at least two finished assessments of the same
  instrument by the end of the period, the share whose latest overall level is
  higher than their first one's (on the instrument of their most recent such
  assessment), both taken over only the competences assessed in both
  (competence.scoring.compared_levels), so skipping questions is never growth.
  Equal or lower does not count as rising.
- `managers_agreed`: among managers (people someone reported to during the
  period), the share who agreed at least one development plan in the period: a
  plan version with both the employee's and the manager's agreement inside the
  period, agreed by them (the version's manager), or, when the version does not
  say who, by the employee's manager during the period.
- `role_models`: digital role models in the population.
- `digital_ways`: among people who answered the maturity survey in the period
  (their latest answer counts), the share answering the ways-of-working question
  with "to a large extent" or "fully" (competence.maturity).

Small groups: a figure computed over fewer than `MIN_GROUP` people is hidden.
Within a split hiding one cell is not enough, because the total minus the
visible cells would give it back.  Two rules make sure it cannot:

- Gender (`leave_out_small_gender_groups`): the ESF reports by women and men, so
  these two must be shown whenever each is five or more.  People of another
  gender and people whose gender is not stated are one group; a gender group
  with 1 to 4 people in a figure is left out of that figure everywhere, the
  organisation's total, the other splits and the development over time
  included.  Hiding the total of the gender table alone would not do: the same
  period's total is on the page without a split and over time, and the units
  add up to it.  Left out of every total, the small group cannot be worked out
  from any of them; the price is a total that is up to four people short per
  gender group, which the page says.  (The radars and the maturity page count
  everyone: they have no split by gender to subtract from.)
- Unit and role (`suppress`): while the hidden cells of an indicator together
  cover 1 to 4 people, the visible cell with the fewest people is hidden too.
  The hidden cells then only ever add up to five or more people (or to nobody),
  at least two of them, so no single one follows from the total.  A total
  under five hides the whole column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from operator import attrgetter

from competence.maturity import MATURITY_INSTRUMENT

# Periods, small groups and profiles have modules of their own; their names are this
# module's too, as its callers know them (competence.programme.Period, .MIN_GROUP, ...).
from competence.periods import Period as Period
from competence.periods import parse_period as parse_period
from competence.periods import utc
from competence.programme_profiles import Profile as Profile
from competence.programme_profiles import ResultSums as ResultSums
from competence.programme_profiles import UnitProfiles as UnitProfiles
from competence.programme_profiles import digital_ways_of
from competence.programme_profiles import latest_results as latest_results
from competence.programme_profiles import mean_profile as mean_profile
from competence.programme_profiles import profiles_by_unit as profiles_by_unit
from competence.programme_profiles import profiles_from_sums as profiles_from_sums
from competence.scoring import compared_levels, counts_as_finished
from competence.small_groups import MIN_GROUP as MIN_GROUP
from competence.small_groups import Figure as Figure
from competence.small_groups import hide_small as hide_small
from competence.small_groups import suppress as suppress

INDICATORS = (
    "employees",
    "started",
    "finished",
    "rose",
    "managers_agreed",
    "role_models",
    "digital_ways",
)
SPLITS = ("gender", "unit", "role")
GENDERS = ("woman", "man", "other", "unknown")
# The groups of the split by gender: another gender and not stated are one group.
GENDER_GROUPS = ("woman", "man", "other_or_unknown")

# --- the rows ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EmployeeRow:
    """An employee as HR lists them; whether they are still employed is not asked here:
    their employments (`EmploymentRow`) say when they worked."""

    id: int
    gender: str | None
    digital_role_model: bool
    person_id: int | None = None


@dataclass(frozen=True)
class EmploymentRow:
    employee_id: int
    unit_id: int | None
    manager_id: int | None
    role: str | None
    valid_from: datetime
    valid_to: datetime | None

    def overlaps(self, period: Period) -> bool:
        return utc(self.valid_from) < period.end and (
            self.valid_to is None or utc(self.valid_to) > period.start
        )


@dataclass(frozen=True)
class AttemptRow:
    employee_id: int
    instrument_key: str
    started_at: datetime
    submitted_at: datetime | None
    overall_level: int | None
    result: dict | None = None
    framework_key: str = ""


@dataclass(frozen=True)
class PlanAgreementRow:
    """One plan version: whose plan, who agreed it as manager (if known) and when both did."""

    employee_id: int
    manager_employee_id: int | None
    employee_agreed_at: datetime | None
    manager_agreed_at: datetime | None


@dataclass(frozen=True)
class OrganisationFacts:
    employees: Sequence[EmployeeRow]
    employments: Sequence[EmploymentRow]
    attempts: Sequence[AttemptRow]
    plans: Sequence[PlanAgreementRow]
    units: dict[int, str] = field(default_factory=dict)  # unit id -> name

    @cached_property
    def attempts_by_employee(self) -> dict[int, tuple[list[AttemptRow], list[AttemptRow]]]:
        """Each employee's attempts: (assessments, maturity survey answers), grouped once
        for every period counted from these facts."""
        grouped: dict[int, tuple[list[AttemptRow], list[AttemptRow]]] = {}
        for attempt in self.attempts:
            assessments, surveys = grouped.setdefault(attempt.employee_id, ([], []))
            (surveys if attempt.instrument_key == MATURITY_INSTRUMENT else assessments).append(
                attempt
            )
        return grouped


# --- people in a period --------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    """An employee as counted in one period."""

    employee_id: int
    gender: str
    unit: str
    role: str
    digital_role_model: bool
    manager_id: int | None
    is_manager: bool


@dataclass(frozen=True)
class Outcome:
    """What one member did in the period; None where the indicator does not apply to them."""

    member: Member
    started: bool
    finished: bool
    rose: bool | None
    agreed_plan: bool | None
    digital_ways: bool | None
    # Indicators this member is left out of (a small gender group, see the module docstring).
    left_out: frozenset[str] = frozenset()


def employments_in(facts: OrganisationFacts, period: Period) -> dict[int, EmploymentRow]:
    """Each employee's employment valid during the period: the latest one overlapping it."""
    valid: dict[int, EmploymentRow] = {}
    for employment in facts.employments:
        if not employment.overlaps(period):
            continue
        known = valid.get(employment.employee_id)
        if known is None or utc(employment.valid_from) >= utc(known.valid_from):
            valid[employment.employee_id] = employment
    return valid


def members(facts: OrganisationFacts, period: Period) -> list[Member]:
    """Everyone employed during the period, also those who have left since."""
    employments = employments_in(facts, period)
    managers = {e.manager_id for e in employments.values() if e.manager_id is not None}
    people = []
    for employee in facts.employees:
        employment = employments.get(employee.id)
        if employment is None:
            continue
        people.append(
            Member(
                employee_id=employee.id,
                gender=employee.gender if employee.gender in GENDERS else "unknown",
                unit=facts.units.get(employment.unit_id, "") if employment.unit_id else "",
                role=(employment.role or "").strip(),
                digital_role_model=employee.digital_role_model,
                manager_id=employment.manager_id,
                is_manager=employee.id in managers,
            )
        )
    return people


def outcomes(facts: OrganisationFacts, period: Period) -> list[Outcome]:
    """Every member of the period with what they did in it (see the module docstring)."""
    people = members(facts, period)
    by_employee = facts.attempts_by_employee
    manager_of = {m.employee_id: m.manager_id for m in people}
    agreed_by: set[int] = set()
    for plan in facts.plans:
        if period.contains(plan.employee_agreed_at) and period.contains(plan.manager_agreed_at):
            manager = plan.manager_employee_id or manager_of.get(plan.employee_id)
            if manager is not None:
                agreed_by.add(manager)
    result = []
    for member in people:
        assessments, surveys = by_employee.get(member.employee_id, ((), ()))
        result.append(
            Outcome(
                member=member,
                started=any(period.contains(a.started_at) for a in assessments),
                finished=any(
                    period.contains(a.submitted_at) and counts_as_finished(a.overall_level)
                    for a in assessments
                ),
                rose=competence_rose(assessments, period),
                agreed_plan=(member.employee_id in agreed_by) if member.is_manager else None,
                digital_ways=_digital_ways(surveys, period),
            )
        )
    return result


def competence_rose(attempts: Iterable[AttemptRow], period: Period) -> bool | None:
    """Latest overall level above the first, on one instrument, over the competences both
    assessed; None with fewer than two finished attempts (or none assessed in both)."""
    submitted = sorted(
        (
            a
            for a in attempts
            if a.submitted_at is not None
            and a.overall_level is not None
            and utc(a.submitted_at) < period.end
        ),
        key=lambda a: utc(a.submitted_at),
    )
    per_instrument: dict[str, list[AttemptRow]] = {}
    for attempt in submitted:
        per_instrument.setdefault(attempt.instrument_key, []).append(attempt)
    repeated = [a for a in reversed(submitted) if len(per_instrument[a.instrument_key]) >= 2]
    if not repeated:
        return None
    series = per_instrument[repeated[0].instrument_key]
    first, latest = series[0].result, series[-1].result
    if first and latest and "competences" in first and "competences" in latest:
        compared = compared_levels(first["competences"], latest["competences"])
        return None if compared is None else compared[1] > compared[0]
    return series[-1].overall_level > series[0].overall_level  # rows without their results


def _digital_ways(surveys: list[AttemptRow], period: Period) -> bool | None:
    answered = sorted(
        (a for a in surveys if period.contains(a.submitted_at) and a.result),
        key=lambda a: utc(a.submitted_at),
    )
    return digital_ways_of(answered[-1].result) if answered else None


# --- figures and small groups --------------------------------------------------------------------


# Each indicator: what one member contributes (None: the indicator does not apply to them).
# attrgetter rather than lambdas: read for 50,000 people several times per page.
INDICATOR_VALUES = {
    "employees": lambda o: True,
    "started": attrgetter("started"),
    "finished": attrgetter("finished"),
    "rose": attrgetter("rose"),
    "managers_agreed": attrgetter("agreed_plan"),
    "role_models": attrgetter("member.digital_role_model"),
    "digital_ways": attrgetter("digital_ways"),
}
KINDS = {
    "employees": "size",
    "started": "count",
    "finished": "count",
    "rose": "share",
    "managers_agreed": "share",
    "role_models": "count",
    "digital_ways": "share",
}


def figures(group: Sequence[Outcome]) -> dict[str, Figure]:
    """The indicators of a group of people (without those left out of an indicator)."""
    anyone_left_out = any(o.left_out for o in group)
    result = {}
    for indicator in INDICATORS:
        counted = [o for o in group if indicator not in o.left_out] if anyone_left_out else group
        kind = KINDS[indicator]
        if kind == "size":
            result[indicator] = Figure(len(counted), len(counted), kind)
            continue
        values = list(map(INDICATOR_VALUES[indicator], counted))
        if kind == "share":
            values = [v for v in values if v is not None]
        result[indicator] = Figure(sum(values), len(values), kind)
    return result


def gender_group(gender: str) -> str:
    """The member's group in the split by gender."""
    return gender if gender in ("woman", "man") else "other_or_unknown"


def leave_out_small_gender_groups(period_outcomes: Sequence[Outcome]) -> list[Outcome]:
    """The outcomes with every gender group of 1 to 4 people in an indicator left out of it.

    Applied before anything is counted (`split_figures`, `over_time`), so the people left
    out are in no total of any table: that is what keeps them from being worked out as
    the total minus women and men, while women and men are shown (module docstring)."""
    by_gender: dict[str, list[Outcome]] = {}
    for outcome in period_outcomes:
        by_gender.setdefault(outcome.member.gender, []).append(outcome)
    groups: dict[str, list[Outcome]] = {}
    for gender, people in by_gender.items():
        groups.setdefault(gender_group(gender), []).extend(people)
    left_out: dict[int, set[str]] = {}  # id() of the outcome -> indicators
    for people in groups.values():
        for indicator in INDICATORS:
            applicable = people
            if KINDS[indicator] == "share":
                values = list(map(INDICATOR_VALUES[indicator], people))
                if len(values) - values.count(None) >= MIN_GROUP:
                    continue
                applicable = [o for o, v in zip(people, values, strict=True) if v is not None]
            if len(applicable) < MIN_GROUP:
                for outcome in applicable:
                    left_out.setdefault(id(outcome), set()).add(indicator)
    if not left_out:
        return list(period_outcomes)
    return [
        replace(o, left_out=frozenset(left_out[id(o)])) if id(o) in left_out else o
        for o in period_outcomes
    ]


def left_out_by_gender(
    period_members: Iterable[Member], counted: Callable[[Member], bool] = lambda _m: True
) -> set[int]:
    """The employees in gender groups of 1 to 4 among those `counted`: whom
    `leave_out_small_gender_groups` leaves out of the figure counting them.

    For the tables not counted from outcomes (the radars over everyone, the maturity
    survey over its respondents): were they counted there, that table less the
    indicators would give the small group back."""
    groups: dict[str, list[int]] = {}
    for member in period_members:
        if counted(member):
            groups.setdefault(gender_group(member.gender), []).append(member.employee_id)
    return {i for ids in groups.values() if len(ids) < MIN_GROUP for i in ids}


def group_key(member: Member, split: str) -> str:
    if split == "gender":
        return gender_group(member.gender)
    if split == "unit":
        return member.unit
    if split == "role":
        return member.role
    raise ValueError(split)


@dataclass(frozen=True)
class SplitFigures:
    """The indicators in total and per group of a split; hidden cells are marked."""

    groups: list[str]
    total: dict[str, Figure]
    by_group: dict[str, dict[str, Figure]]


def split_figures(period_outcomes: Sequence[Outcome], split: str | None) -> SplitFigures:
    """The period's indicators in total and by the split, small groups hidden or left out
    (module docstring): the same people are counted whatever the split."""
    period_outcomes = leave_out_small_gender_groups(period_outcomes)
    total = figures(period_outcomes)
    if not split:
        return SplitFigures([], {k: hide_small(f) for k, f in total.items()}, {})
    grouped: dict[str, list[Outcome]] = {}
    for outcome in period_outcomes:
        grouped.setdefault(group_key(outcome.member, split), []).append(outcome)
    order = GENDER_GROUPS if split == "gender" else sorted(grouped)
    groups = [g for g in order if g in grouped]
    raw = {g: figures(grouped[g]) for g in groups}
    shown_total: dict[str, Figure] = {}
    by_group: dict[str, dict[str, Figure]] = {g: {} for g in groups}
    for indicator in INDICATORS:
        shown, cells = suppress(total[indicator], [raw[g][indicator] for g in groups])
        shown_total[indicator] = shown
        for g, cell in zip(groups, cells, strict=True):
            by_group[g][indicator] = cell
    return SplitFigures(groups, shown_total, by_group)


def over_time(
    facts: OrganisationFacts,
    periods: Sequence[Period],
    known: dict[Period, Sequence[Outcome]] | None = None,
) -> dict[str, dict[str, Figure]]:
    """The organisation's indicators in each period (period key -> indicator -> figure);
    `known` holds outcomes already counted (the page's own period), so they are reused."""
    known = known or {}
    return {
        period.key: {
            k: hide_small(f)
            for k, f in figures(
                leave_out_small_gender_groups(
                    known[period] if period in known else outcomes(facts, period)
                )
            ).items()
        }
        for period in periods
    }


def maturity_by_year(
    facts: OrganisationFacts, years: Sequence[Period], axes: Sequence[str]
) -> dict[str, UnitProfiles]:
    """Per year: the maturity survey's mean per area, for the organisation and by unit.

    Each person's latest answer in the year counts, in the unit they worked in then;
    respondents whom the year's "digital ways" indicator leaves out by gender are left
    out here too (`left_out_by_gender`)."""
    by_year = {}
    surveys = facts.attempts_by_employee
    for year in years:
        latest = latest_results(
            facts.attempts,
            instrument_keys={MATURITY_INSTRUMENT},
            since=year.start,
            until=year.end,
        )
        people = members(facts, year)

        def answered(member: Member, year: Period = year) -> bool:
            return _digital_ways(surveys.get(member.employee_id, ((), ()))[1], year) is not None

        out = left_out_by_gender(people, answered)
        by_year[year.key] = profiles_by_unit(
            [m for m in people if m.employee_id not in out],
            latest,
            axes,
            "areas",
            with_digital_ways=True,
        )
    return by_year
