"""Whether an employee's manager may see a result: the one rule every manager's page asks.

A result is shown to the employee's manager only when every key says yes:

1. the activity (the course link) said "share the results with the manager: yes" when the
   attempt was started (`Attempt.shared_with_manager`): what the employee was told before
   the first question;
2. the activity still says yes, while it exists: a teacher who changes it to no hides the
   results already made under it, and changing it to yes never opens earlier ones;
3. the organisation shares the instrument with managers (`SharedInstrument`, set on the
   organisation page): the organisation can narrow what its activities share, never widen it.

An activity that does not say (no `share_with_manager` in its settings or custom parameters)
says no, as its settings page shows.  An attempt whose activity is gone (its platform was
removed) keeps what it was started with.

The team page, the team overview, the development dialogue and their downloads all ask
`results_for_manager` / `team_results`; the employee is told the outcome of the same
rule by `who_sees` before the first question and beside the result.  HR and programme leads
never see one person's result: only figures of groups of `MIN_GROUP` or more people
(competence.programme), which the employee is told too.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session, joinedload

from competence.programme import MIN_GROUP, AttemptRow
from storage.attempts import Attempt, AttemptStatus
from storage.courses import ResourceLink
from storage.frameworks import FrameworkVersion, InstrumentVersion
from storage.staff import Employee, SharedInstrument

SHARE_WITH_MANAGER = "share_with_manager"
YES = frozenset({"yes", "true", "1", "ja"})

# Why a manager does not see a result, for the sentence that tells the employee or manager.
SHARED, ACTIVITY_SAYS_NO, ORGANISATION_SAYS_NO = "shared", "activity", "organisation"


def parse_yes(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return isinstance(value, str) and value.strip().lower() in YES


def activity_shares(settings: Mapping | None, custom: Mapping | None) -> bool:
    """What an activity says: the teacher's choice in the tool wins over the custom parameter;
    an activity that does not say, says no."""
    settings = settings or {}
    if SHARE_WITH_MANAGER in settings:
        return parse_yes(settings[SHARE_WITH_MANAGER])
    return parse_yes((custom or {}).get(SHARE_WITH_MANAGER))


def link_shares_with_manager(link: ResourceLink | None) -> bool:
    if link is None:
        return False
    return activity_shares(link.settings, link.custom)


def manager_sees(
    *, shared_when_started: bool, activity_now: bool | None, organisation_shares: bool
) -> str:
    """The rule: SHARED, or why not.  `activity_now` is None when the activity is gone."""
    if not shared_when_started or activity_now is False:
        return ACTIVITY_SAYS_NO
    if not organisation_shares:
        return ORGANISATION_SAYS_NO
    return SHARED


def shared_instrument_keys(session: Session, organisation_id: int) -> set[str]:
    """The instruments the organisation shares with managers (the organisation's key)."""
    return set(
        session.scalars(
            select(SharedInstrument.instrument_key).where(
                SharedInstrument.organisation_id == organisation_id
            )
        )
    )


def attempt_sharing(attempt: Attempt, organisation_keys: Collection[str]) -> str:
    """The rule for one attempt (submitted or not), with the organisation's shared keys."""
    link = attempt.resource_link
    return manager_sees(
        shared_when_started=bool(attempt.shared_with_manager),
        activity_now=None if link is None else link_shares_with_manager(link),
        organisation_shares=attempt.instrument.key in organisation_keys,
    )


def team_results(session: Session, organisation_id: int, employee_ids: Collection[int]):
    """The submitted results of these employees that their manager may see, as the rows the
    programme's means are computed from (competence.programme.AttemptRow)."""
    keys = shared_instrument_keys(session, organisation_id)
    if not keys or not employee_ids:
        return []
    rows = session.execute(
        select(
            Employee.id,
            InstrumentVersion.key,
            FrameworkVersion.key,
            Attempt.started_at,
            Attempt.submitted_at,
            Attempt.overall_level,
            Attempt.result,
            ResourceLink.id,
            ResourceLink.settings,
            ResourceLink.custom,
        )
        .join(Employee, Employee.person_id == Attempt.person_id)
        .join(InstrumentVersion, InstrumentVersion.id == Attempt.instrument_id)
        .join(FrameworkVersion, FrameworkVersion.id == InstrumentVersion.framework_id)
        .outerjoin(ResourceLink, ResourceLink.id == Attempt.resource_link_id)
        .where(
            Employee.organisation_id == organisation_id,
            Employee.id.in_(list(employee_ids)),
            Attempt.status == AttemptStatus.SUBMITTED,
            Attempt.shared_with_manager.is_(True),
            InstrumentVersion.key.in_(keys),
        )
    )
    return [
        AttemptRow(employee_id, key, started, submitted, level, result, framework_key)
        for (
            employee_id,
            key,
            framework_key,
            started,
            submitted,
            level,
            result,
            link_id,
            settings,
            custom,
        ) in rows
        if link_id is None or activity_shares(settings, custom)
    ]


@dataclass(frozen=True)
class ManagerView:
    """What a manager sees of one person's results: the shared ones, newest first, and how
    many submitted results they do not see (so the page can say so instead of a bare
    "nothing yet")."""

    results: list[Attempt]
    not_shared: int


def results_for_manager(session: Session, organisation_id: int, person_id: int) -> ManagerView:
    """The person's finished results their manager may see, newest first (a submission with
    nothing assessed has no result to show: competence.scoring.counts_as_finished)."""
    submitted = list(
        session.scalars(
            select(Attempt)
            .where(
                Attempt.person_id == person_id,
                Attempt.status == AttemptStatus.SUBMITTED,
                Attempt.overall_level.is_not(None),
            )
            .options(joinedload(Attempt.instrument), joinedload(Attempt.resource_link))
            .order_by(Attempt.submitted_at.desc(), Attempt.id)
        )
    )
    keys = shared_instrument_keys(session, organisation_id)
    shown = [attempt for attempt in submitted if attempt_sharing(attempt, keys) == SHARED]
    return ManagerView(shown, len(submitted) - len(shown))


@dataclass(frozen=True)
class WhoSees:
    """What the employee is told about who sees a result (before answering, and after)."""

    manager: bool
    why: str  # SHARED, ACTIVITY_SAYS_NO or ORGANISATION_SAYS_NO
    group_minimum: int = MIN_GROUP


def who_sees(
    session: Session,
    organisation_id: int,
    *,
    instrument_key: str,
    link: ResourceLink | None,
    attempt: Attempt | None = None,
) -> WhoSees:
    """For an attempt, the rule applied to it; before one is started, to what the activity
    and the organisation say now (what a new attempt would be started with)."""
    keys = shared_instrument_keys(session, organisation_id)
    if attempt is not None:
        why = attempt_sharing(attempt, keys)
    else:
        says = link_shares_with_manager(link)
        why = manager_sees(
            shared_when_started=says,
            activity_now=says,
            organisation_shares=instrument_key in keys,
        )
    return WhoSees(manager=why == SHARED, why=why)


def share_instruments(session: Session, organisation_id: int, keys: Collection[str]) -> None:
    """The instruments whose results the organisation's managers see: exactly these."""
    session.execute(
        delete(SharedInstrument).where(SharedInstrument.organisation_id == organisation_id)
    )
    session.add_all(
        SharedInstrument(organisation_id=organisation_id, instrument_key=key)
        for key in sorted(keys)
    )
    session.commit()
