"""Programme figures and incomplete assessments: "finished" needs a competence assessed,
and "competence rose" compares only competences assessed in both attempts.

(Beside test_programme.py, which another part of the work changes: these rules come
from competence.scoring, see its docstring.)"""

from __future__ import annotations

from datetime import UTC, datetime

from competence import programme as p

YEAR = p.Period(2026)


def at(year, month):
    return datetime(year, month, 1, tzinfo=UTC)


def attempt(submitted, level, competences=None):
    result = None if competences is None else {"competences": competences}
    return p.AttemptRow(1, "digcomp-2.2-short", submitted, submitted, level, result)


def values(**levels):
    return {cid.replace("_", "."): {"value": float(v), "level": v} for cid, v in levels.items()}


def test_competence_rose_ignores_competences_not_assessed_in_both():
    first = attempt(at(2025, 3), 4, values(c1_1=2, c1_2=6))  # overall (2 + 6) / 2 = 4
    # The second time only the strong competence is answered: overall 6, but it stayed at 6.
    only_strong = attempt(at(2026, 3), 6, values(c1_2=6))
    assert p.competence_rose([first, only_strong], YEAR) is False
    # Only the weak one is answered, and it grew from 2 to 3: that is growth (overall 3 < 4).
    only_weak = attempt(at(2026, 3), 3, values(c1_1=3))
    assert p.competence_rose([first, only_weak], YEAR) is True
    # Nothing assessed in both: no before and after to compare.
    other = attempt(at(2026, 3), 8, values(c2_1=8))
    assert p.competence_rose([first, other], YEAR) is None


def test_a_submission_with_nothing_assessed_does_not_count_as_finished_or_for_rising():
    employee = p.EmployeeRow(id=1, gender="woman", digital_role_model=False)
    employment = p.EmploymentRow(1, None, None, "Undersköterska", at(2020, 1), None)
    empty = p.AttemptRow(1, "digcomp-2.2-short", at(2026, 3), at(2026, 3), None, {})
    facts = p.OrganisationFacts([employee], [employment], [empty], [])

    (outcome,) = p.outcomes(facts, YEAR)

    assert outcome.started and not outcome.finished
    assert outcome.rose is None
    done = p.AttemptRow(1, "digcomp-2.2-short", at(2026, 4), at(2026, 4), 3, values(c1_1=3))
    (outcome,) = p.outcomes(p.OrganisationFacts([employee], [employment], [empty, done], []), YEAR)
    assert outcome.finished
    assert outcome.rose is None  # the empty one is no "before"
