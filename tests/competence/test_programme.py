"""The rules of programme follow-up on small hand-made rows: the rising rule and the hiding
of small groups, including cells that a total would give back (the periods and the
small-group rule itself: test_periods.py, test_small_groups.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from competence import programme as p

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def at(year, month, day=1):
    return datetime(year, month, day, tzinfo=UTC)


def attempt(key, submitted, level):
    return p.AttemptRow(1, key, submitted, submitted, level)


def test_competence_rose_compares_first_and_latest_of_one_instrument():
    year = p.Period(2026)
    assert p.competence_rose([attempt("a", at(2026, 2), 3)], year) is None
    assert p.competence_rose([attempt("a", at(2025, 2), 3), attempt("a", at(2026, 2), 4)], year)
    assert not p.competence_rose([attempt("a", at(2025, 2), 3), attempt("a", at(2026, 2), 3)], year)
    # Two instruments with one attempt each are not a before and after.
    assert (
        p.competence_rose([attempt("a", at(2025, 2), 3), attempt("b", at(2026, 2), 5)], year)
        is None
    )
    # Attempts after the period do not count for it.
    assert (
        p.competence_rose([attempt("a", at(2025, 2), 3), attempt("a", at(2027, 2), 5)], year)
        is None
    )


# --- who is counted in a period ------------------------------------------------------------------


def test_someone_who_left_still_counts_in_the_periods_they_worked_in():
    """Deactivating someone today never changes last year: an employment says when they
    worked, and a leaver's ended on the day HR stopped listing them."""
    employees = [p.EmployeeRow(i, "woman", False) for i in range(6)]
    employments = [p.EmploymentRow(i, 1, None, "Lärare", at(2024, 1), None) for i in range(5)]
    employments.append(p.EmploymentRow(5, 1, None, "Lärare", at(2024, 1), at(2026, 3, 15)))
    facts = p.OrganisationFacts(employees, employments, [], [], {1: "Skolan"})

    def counted(key):
        return [m.employee_id for m in p.members(facts, p.parse_period(key, NOW))]

    assert counted("2025") == [0, 1, 2, 3, 4, 5]
    assert counted("2026-Q1") == [0, 1, 2, 3, 4, 5]  # employed until 15 March
    assert counted("2026-Q2") == [0, 1, 2, 3, 4]
    assert counted("2026") == [0, 1, 2, 3, 4, 5]  # part of the year is in it


# --- small groups by gender: women and men always shown ------------------------------------------


def person(employee_id, gender, *, started=False, manager=False, agreed=None):
    member = p.Member(employee_id, gender, "A", "Lärare", False, None, manager)
    return p.Outcome(member, started, False, None, agreed, None)


def test_three_people_of_another_gender_never_hide_the_94_men():
    """The seeded organisation's shape: 99 women, 94 men and 3 of another gender.  The three
    are left out of every figure (totals too), so women and men are both shown and the
    total minus women and men gives nobody back."""
    people = [person(i, "woman", started=i % 2 == 0) for i in range(99)]
    people += [person(100 + i, "man", started=i % 3 == 0) for i in range(94)]
    people += [person(200 + i, "other", started=True) for i in range(3)]
    split = p.split_figures(people, "gender")
    assert split.groups == ["woman", "man", "other_or_unknown"]
    employees = [split.by_group[g]["employees"] for g in split.groups]
    assert [(f.hidden, f.count) for f in employees] == [(False, 99), (False, 94), (True, 0)]
    started = split.total["started"]
    assert (started.count, started.people) == (50 + 32, 99 + 94)
    # Every table of the period counts the same people: without a split, by unit, over time.
    assert split.total == p.split_figures(people, None).total
    assert split.total == p.split_figures(people, "unit").total
    assert (split.total["employees"].hidden, split.total["employees"].count) == (False, 193)


def test_another_gender_and_not_stated_together_make_a_group_that_is_shown():
    people = [person(i, "woman") for i in range(20)] + [person(20 + i, "man") for i in range(20)]
    people += [person(40, "other"), person(41, "other"), person(42, "other")]
    people += [person(43, "unknown"), person(44, "unknown")]
    split = p.split_figures(people, "gender")
    group = split.by_group["other_or_unknown"]["employees"]
    assert (group.hidden, group.count) == (False, 5)
    assert split.total["employees"].count == 45


def test_a_small_group_of_men_in_one_figure_is_left_out_of_that_figure_only():
    """Three of the managers are men: they are left out of the managers' figure (and its
    total), while every other figure counts all the men."""
    women = [person(i, "woman", manager=True, agreed=i % 2 == 0) for i in range(8)]
    men = [person(10 + i, "man", manager=i < 3, agreed=True if i < 3 else None) for i in range(9)]
    split = p.split_figures(women + men, "gender")
    agreed = split.total["managers_agreed"]
    assert (agreed.count, agreed.people) == (4, 8)
    assert split.by_group["man"]["managers_agreed"].hidden
    assert split.by_group["man"]["employees"].count == 9
    assert split.total["employees"].count == 17


# --- the property: nothing hidden can be worked out, women and men always shown ------------------
#
# Random organisations (group sizes from none to a few dozen, small ones often) with random
# outcomes; every split of one period is published as the page would.  What a reader has:
# every shown figure, and the rule that each split's groups add up to its total.


@st.composite
def organisations(draw) -> list[p.Outcome]:
    sizes = {
        "woman": draw(st.integers(0, 30)),
        "man": draw(st.integers(0, 30)),
        "other": draw(st.integers(0, 7)),
        "unknown": draw(st.integers(0, 7)),
    }
    maybe = st.sampled_from([None, False, True])
    people = []
    for gender, size in sizes.items():
        for _ in range(size):
            agreed = draw(maybe)
            member = p.Member(
                employee_id=len(people),
                gender=gender,
                unit=draw(st.sampled_from(["Skolan", "Vården", "Tekniska", "Kultur"])),
                role=draw(st.sampled_from(["Lärare", "Undersköterska", "Jurist"])),
                digital_role_model=draw(st.booleans()),
                manager_id=None,
                is_manager=agreed is not None,
            )
            people.append(
                p.Outcome(
                    member,
                    started=draw(st.booleans()),
                    finished=draw(st.booleans()),
                    rose=draw(maybe),
                    agreed_plan=agreed,
                    digital_ways=draw(maybe),
                )
            )
    return people


# What each member adds to an indicator (None: it does not apply to them), as defined.
VALUES = {
    "employees": lambda o: True,
    "started": lambda o: o.started,
    "finished": lambda o: o.finished,
    "rose": lambda o: o.rose,
    "managers_agreed": lambda o: o.agreed_plan,
    "role_models": lambda o: o.member.digital_role_model,
    "digital_ways": lambda o: o.digital_ways,
}
SHARES = {"rose", "managers_agreed", "digital_ways"}


def applies(outcome: p.Outcome, indicator: str) -> bool:
    return VALUES[indicator](outcome) is not None


def gender_of_split(outcome: p.Outcome) -> str:
    gender = outcome.member.gender
    return gender if gender in ("woman", "man") else "other_or_unknown"


def left_out(people: list[p.Outcome], indicator: str) -> set[int]:
    """The rule as the page states it: a gender group (another gender and not stated are
    one) with fewer than five people in a figure is left out of it everywhere."""
    groups: dict[str, set[int]] = {}
    for o in people:
        if applies(o, indicator):
            groups.setdefault(gender_of_split(o), set()).add(o.member.employee_id)
    return {i for ids in groups.values() if len(ids) < p.MIN_GROUP for i in ids}


def true_figure(people: list[p.Outcome], indicator: str) -> tuple[int, int]:
    values = [VALUES[indicator](o) for o in people if applies(o, indicator)]
    return sum(values), len(values)


def variable(split, group, indicator: str, part: str) -> tuple:
    """The unknown a figure's part stands for.  Counts of people (the size of a group and
    the "out of" of started, finished, role models) are one and the same number."""
    if part == "people" and indicator not in SHARES or indicator == "employees":
        return (split, group, "people in the group")
    return (split, group, indicator, part)


def determined(equations: list[dict[tuple, int]]) -> set[tuple]:
    """The unknowns that the equations fix (Gauss-Jordan over the rationals: an unknown is
    fixed exactly when a row of the reduced form holds nothing else)."""
    pivots: dict[tuple, dict[tuple, Fraction]] = {}
    for equation in equations:
        row = {k: Fraction(v) for k, v in equation.items() if v}
        for var, pivot_row in pivots.items():
            if var in row:
                factor = row[var]
                for k, v in pivot_row.items():
                    row[k] = row.get(k, 0) - factor * v
                row = {k: v for k, v in row.items() if v}
        if not row:
            continue
        var = next(iter(row))
        row = {k: v / row[var] for k, v in row.items()}
        for other, pivot_row in pivots.items():
            if var in pivot_row:
                factor = pivot_row[var]
                for k, v in row.items():
                    pivot_row[k] = pivot_row.get(k, 0) - factor * v
                pivots[other] = {k: v for k, v in pivot_row.items() if v}
        pivots[var] = row
    return {var for var, row in pivots.items() if len(row) == 1}


@settings(max_examples=300, deadline=None)
@given(organisations())
def test_no_hidden_figure_can_be_worked_out_and_women_and_men_are_shown(people):
    published = {split: p.split_figures(people, split) for split in (None, *p.SPLITS)}
    known: dict[tuple, int] = {}
    hidden: list[tuple] = []  # the unknowns of hidden cells about somebody
    equations: list[dict[tuple, int]] = []
    for indicator in p.INDICATORS:
        # Women and men are shown whenever each group has five people or more.
        for gender in ("woman", "man"):
            group = [o for o in people if o.member.gender == gender and applies(o, indicator)]
            if len(group) >= p.MIN_GROUP:
                figure = published["gender"].by_group[gender][indicator]
                assert not figure.hidden, (gender, indicator)
                assert (figure.count, figure.people) == true_figure(group, indicator)

        out = left_out(people, indicator)
        counted = [o for o in people if o.member.employee_id not in out]
        total = published[None].total[indicator]
        if not total.hidden:
            # Those left out are in no total: the total is of the people counted.
            assert (total.count, total.people) == true_figure(counted, indicator)
            assert total.people >= p.MIN_GROUP
            known[variable("all", "", indicator, "people")] = total.people
            known[variable("all", "", indicator, "count")] = total.count
        for split in p.SPLITS:
            shown = published[split]
            # Every table of the period counts the same people: one total.
            assert shown.total[indicator] == total
            for part in ("people", "count"):
                equation = {variable("all", "", indicator, part): 1}
                for group in shown.groups:
                    equation[variable(split, group, indicator, part)] = -1
                equations.append(equation)
            for group in shown.groups:
                cell = shown.by_group[group][indicator]
                members = [o for o in counted if p.group_key(o.member, split) == group]
                count, size = true_figure(members, indicator)
                if cell.hidden:
                    if size:
                        hidden.append(variable(split, group, indicator, "people"))
                        hidden.append(variable(split, group, indicator, "count"))
                    continue
                # A shown figure is exactly its group's (with nobody left out in it), and
                # about five people or more.
                assert (cell.count, cell.people) == (count, size)
                assert size >= p.MIN_GROUP
                known[variable(split, group, indicator, "people")] = size
                known[variable(split, group, indicator, "count")] = count

    # With every shown figure put in, no hidden cell's people or count follows from the
    # totals (a lone hidden cell in a split with a shown total would).
    fixed = determined([{k: v for k, v in eq.items() if k not in known} for eq in equations])
    for unknown in hidden:
        assert unknown not in known and unknown not in fixed, unknown
