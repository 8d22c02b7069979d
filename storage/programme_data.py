"""The rows programme follow-up counts (competence.programme), fetched in a few bulk queries.

One query per kind of row for the whole organisation, so the programme page
costs the same five queries for 200 people as for 20,000, and the counting
stays in plain Python where its rules can be read and tested.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime

from sqlalchemy import DateTime, String, and_, case, exists, func, null, or_, select, type_coerce
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session, aliased

from competence.maturity import DIGITAL_WAYS_ITEM, MATURITY_INSTRUMENT
from competence.programme import (
    AttemptRow,
    EmployeeRow,
    EmploymentRow,
    OrganisationFacts,
    Period,
    PlanAgreementRow,
    ResultSums,
)
from storage.attempts import Attempt, AttemptStatus
from storage.frameworks import FrameworkVersion, InstrumentVersion
from storage.plans import DevelopmentPlan, PlanVersion
from storage.staff import Employee, Employment, SharedInstrument, Unit


def organisation_facts(
    session: Session,
    organisation_id: int,
    employee_ids: set[int] | None = None,
    documents: bool | Collection[str] = True,
) -> OrganisationFacts:
    """Everything the indicators need about one organisation (or only these employees).

    `documents` says which result documents come along, a couple of kilobytes of JSON
    each and most of the cost of 100,000s of attempts: every attempt's (True), only
    these instruments' (a set of keys; the others' results are None), or none but what
    the indicators read of them (False: each submitted maturity survey answer's result
    is `{"competences": {ways of working: {"value": ...}}}`, the item left out when not
    answered; each other submitted attempt with an overall level has only its
    "competences", which "rose" compares; other results are None).  /programme counts
    with False and adds up the means for its radars with `latest_result_sums`;
    /programme/maturity needs only the survey's documents."""

    def only(column):
        return [] if employee_ids is None else [column.in_(employee_ids)]

    employees = [
        EmployeeRow(
            id=r.id,
            gender=r.gender,
            digital_role_model=bool(r.digital_role_model),
            person_id=r.person_id,
        )
        for r in session.execute(
            select(
                Employee.id,
                Employee.gender,
                Employee.digital_role_model,
                Employee.person_id,
            ).where(Employee.organisation_id == organisation_id, *only(Employee.id))
        )
    ]
    employments = [
        EmploymentRow(r[0], r[1], r[2], r[3], _utc(r[4]), _utc(r[5]))
        for r in session.execute(
            select(
                Employment.employee_id,
                Employment.unit_id,
                Employment.manager_id,
                Employment.role_title,
                _plain(Employment.valid_from),
                _plain(Employment.valid_to),
            )
            .join(Employee, Employee.id == Employment.employee_id)
            .where(Employee.organisation_id == organisation_id, *only(Employee.id))
        )
    ]
    submitted = AttemptStatus.SUBMITTED.value
    if documents is True:
        result = Attempt.result
    elif documents is False:
        result = case(
            (
                InstrumentVersion.key == MATURITY_INSTRUMENT,
                Attempt.result[("competences", DIGITAL_WAYS_ITEM, "value")].as_float(),
            )
        )
        # What "rose" compares, of finished assessments.  (Limiting it with a window to
        # people with two or more was slower on SQLite than reading them all.)
        competences = case(
            (
                (InstrumentVersion.key != MATURITY_INSTRUMENT) & Attempt.overall_level.is_not(None),
                Attempt.result["competences"],
            )
        )
    else:  # the database reads no other document (CASE stops at the first test)
        result = case((InstrumentVersion.key.in_(list(documents)), Attempt.result))
    if documents is not False:
        competences = null()
    rows = session.execute(
        select(
            Employee.id,
            InstrumentVersion.key,
            FrameworkVersion.key,
            _plain(Attempt.started_at),
            _plain(Attempt.submitted_at),
            type_coerce(Attempt.status, String),
            Attempt.overall_level,
            result,
            competences,
        )
        .join(Employee, Employee.person_id == Attempt.person_id)
        .join(InstrumentVersion, InstrumentVersion.id == Attempt.instrument_id)
        .join(FrameworkVersion, FrameworkVersion.id == InstrumentVersion.framework_id)
        .where(Employee.organisation_id == organisation_id, *only(Employee.id))
    )
    attempts = [
        AttemptRow(
            employee_id,
            instrument_key,
            _utc(started_at),
            _utc(submitted_at) if status == submitted else None,
            overall_level,
            document
            if documents is not False
            else _indicator_document(instrument_key, status == submitted, document, competences),
            framework_key,
        )
        for (
            employee_id,
            instrument_key,
            framework_key,
            started_at,
            submitted_at,
            status,
            overall_level,
            document,
            competences,
        ) in rows
    ]
    agreeing_manager = aliased(Employee)
    plans = [
        PlanAgreementRow(
            r.employee_id, r.manager_employee_id, r.employee_agreed_at, r.manager_agreed_at
        )
        for r in session.execute(
            select(
                DevelopmentPlan.employee_id,
                agreeing_manager.id.label("manager_employee_id"),
                PlanVersion.employee_agreed_at,
                PlanVersion.manager_agreed_at,
            )
            .join(PlanVersion, PlanVersion.plan_id == DevelopmentPlan.id)
            .outerjoin(
                agreeing_manager,
                (agreeing_manager.person_id == PlanVersion.manager_person_id)
                & (agreeing_manager.organisation_id == organisation_id),
            )
            .where(
                DevelopmentPlan.organisation_id == organisation_id,
                PlanVersion.employee_agreed_at.is_not(None),
                PlanVersion.manager_agreed_at.is_not(None),
            )
        )
    ]
    units = {
        unit_id: name
        for unit_id, name in session.execute(
            select(Unit.id, Unit.name).where(Unit.organisation_id == organisation_id)
        )
    }
    return OrganisationFacts(employees, employments, attempts, plans, units)


def _plain(column):
    """A timestamp column without UTCDateTime's per-value hook (`_utc` is applied in the
    row's constructor instead: a few hundred thousand calls fewer)."""
    return type_coerce(column, DateTime)


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=UTC)


def _indicator_document(
    instrument_key: str, submitted: bool, value: float | None, competences: dict | None
) -> dict | None:
    """What the indicators read of a result (see organisation_facts, documents=False)."""
    if not submitted:
        return None
    if instrument_key == MATURITY_INSTRUMENT:
        return {"competences": {} if value is None else {DIGITAL_WAYS_ITEM: {"value": value}}}
    return None if competences is None else {"competences": competences}


def shared_instrument_keys(session: Session, organisation_id: int) -> set[str]:
    return set(
        session.scalars(
            select(SharedInstrument.instrument_key).where(
                SharedInstrument.organisation_id == organisation_id
            )
        )
    )


def framework_documents(session: Session, keys: set[str], organisation_id: int) -> dict[str, dict]:
    """The newest stored document of each framework key (the organisation's own, else shipped)."""
    documents: dict[str, dict] = {}
    rows = session.execute(
        select(FrameworkVersion.key, FrameworkVersion.document, FrameworkVersion.organisation_id)
        .where(FrameworkVersion.key.in_(keys))
        .where(
            (FrameworkVersion.organisation_id == organisation_id)
            | FrameworkVersion.organisation_id.is_(None)
        )
        .order_by(FrameworkVersion.created_at, FrameworkVersion.id)
    )
    for key, document, owner in rows:
        if owner is not None or key not in documents:
            documents[key] = document
    return documents


def latest_result_sums(
    session: Session,
    organisation_id: int,
    period: Period,
    framework_key: str,
    axes: Sequence[str],
    part: str = "areas",
    left_out: Collection[int] = (),
) -> dict[str, ResultSums]:
    """Per unit (by name): the sums behind the mean of the period's members' latest results.

    `left_out`: employees not counted (competence.programme.left_out_by_gender).

    What competence.programme's `members`, `latest_results(framework_key=..., until=
    period.end)` and `profiles_by_unit` give from the rows, added up by the database: the
    organisation radar of 50,000 people then costs two queries and no result documents in
    Python.  A submitted attempt always holds its result (storage.attempts.submit_attempt),
    so being submitted is what `latest_results` asks of a result here.  (Sums of fractions
    may differ from Python's in the last binary digit; the means are rounded to two
    decimals.)
    """
    end, start = period.end, period.start

    def overlapping(employment):
        return and_(
            employment.valid_from < end,
            or_(employment.valid_to.is_(None), employment.valid_to > start),
        )

    later = aliased(Employment)
    member = (
        select(Employee.person_id, Employment.unit_id)
        .join(Employment, Employment.employee_id == Employee.id)
        .where(
            Employee.organisation_id == organisation_id,
            # Whoever worked in the period, also those who have left since.
            overlapping(Employment),
            *([Employee.id.not_in(list(left_out))] if left_out else []),
            # The employment valid during the period is the latest one overlapping it.
            ~exists().where(
                later.employee_id == Employment.employee_id,
                overlapping(later),
                or_(
                    later.valid_from > Employment.valid_from,
                    and_(later.valid_from == Employment.valid_from, later.id > Employment.id),
                ),
            ),
        )
        .subquery("member")
    )
    instruments = (
        select(InstrumentVersion.id)
        .join(FrameworkVersion, FrameworkVersion.id == InstrumentVersion.framework_id)
        .where(FrameworkVersion.key == framework_key)
    )
    latest = _first_of_each(
        select(Attempt.person_id, Attempt.id).where(
            Attempt.status == AttemptStatus.SUBMITTED,
            Attempt.submitted_at < end,
            Attempt.instrument_id.in_(instruments.scalar_subquery()),
        ),
        Attempt.person_id,
        (Attempt.submitted_at.desc(), Attempt.id),
        session.get_bind().dialect.name == "postgresql",
    )
    document = aliased(Attempt)
    # OFFSET 0 keeps each subquery whole, so a (compressed) document is read once per
    # person rather than once per axis.
    winner = (
        select(member.c.unit_id, document.result[part].label("part"))
        .join(latest, latest.c.person_id == member.c.person_id)
        .join(document, document.id == latest.c.id)
        .offset(0)
        .subquery("winner")
    )
    values = (
        select(
            winner.c.unit_id,
            *[
                winner.c.part[(axis, "value")].as_float().label(f"v{i}")
                for i, axis in enumerate(axes)
            ],
        )
        .offset(0)
        .subquery("value")
    )
    query = select(
        values.c.unit_id,
        func.count(),
        *[func.sum(values.c[f"v{i}"]) for i in range(len(axes))],
        *[func.count(values.c[f"v{i}"]) for i in range(len(axes))],
    ).group_by(values.c.unit_id)
    names = {
        unit_id: name
        for unit_id, name in session.execute(
            select(Unit.id, Unit.name).where(Unit.organisation_id == organisation_id)
        )
    }
    n = len(axes)
    sums: dict[str, ResultSums] = {}
    for row in session.execute(query):
        unit = names.get(row[0], "") if row[0] else ""
        found = ResultSums(row[1], tuple(v or 0.0 for v in row[2 : 2 + n]), row[2 + n : 2 + 2 * n])
        sums[unit] = found if unit not in sums else sums[unit] + found
    return sums


def _first_of_each(query, key, order, postgres: bool):
    """The first row of `query` for each `key` in `order`, as a subquery.

    DISTINCT ON on PostgreSQL: estimated as one row per key, so the joins above it are
    hashed (a window's "rank = 1" is estimated at a few hundred rows, which turns them
    into nested loops over 25,000 people, twice as slow).  A window elsewhere."""
    if postgres:
        return query.ext(distinct_on(key)).order_by(key, *order).subquery()
    ranked = query.add_columns(
        func.row_number().over(partition_by=key, order_by=order).label("rank")
    ).subquery()
    return select(*[c for c in ranked.c if c.name != "rank"]).where(ranked.c.rank == 1).subquery()
