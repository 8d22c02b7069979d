"""What a course link asks for: instrument, attempts, sharing with the manager, language.

Two sources, per setting: what a teacher chose in the tool (`ResourceLink.settings`)
wins over the link's custom parameters (set in the platform, or by the tool through
deep linking).  Custom parameters travel with the link when a course is copied (the
platform then sends a new resource link id), so a copied course keeps working; the
settings saved in the tool belong to the one link they were saved for.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from competence.frameworks import digcomp
from competence.instruments import shipped_instruments
from competence.maturity import MATURITY_INSTRUMENT, maturity_framework, maturity_instrument
from competence.texts import Text
from lti.claims import course_roles
from storage import Attempt, InstrumentVersion, ResourceLink
from storage.attempts import load_instrument
from storage.result_sharing import SHARE_WITH_MANAGER as SHARE_WITH_MANAGER
from storage.result_sharing import link_shares_with_manager

INSTRUMENT = "instrument"
ATTEMPTS = "attempts"
LOCALE = "locale"
DEFAULT_INSTRUMENT = "digcomp-2.2-full"
MAX_ATTEMPTS = 100

# Who may add the tool to a course and change a link's settings.
CONFIGURING_ROLES = frozenset({"Instructor", "Administrator", "SysAdmin", "ContentDeveloper"})


def may_configure(roles: list[str]) -> bool:
    """Teachers and administrators (and content developers), not learners or mentors."""
    return bool(course_roles(roles) & CONFIGURING_ROLES)


def configured(link: ResourceLink | None, name: str) -> object:
    """A link's setting: the teacher's choice in the tool, else its custom parameter."""
    if link is None:
        return None
    settings = link.settings or {}
    if name in settings:
        return settings[name]
    return (link.custom or {}).get(name)


def instrument_key(link: ResourceLink | None) -> str | None:
    value = configured(link, INSTRUMENT)
    return value if isinstance(value, str) and value else None


def attempts_allowed(link: ResourceLink | None) -> int | None:
    """How many attempts the link allows; None (unlimited) when unset or not a positive number."""
    return parse_attempts(configured(link, ATTEMPTS))


def shares_with_manager(link: ResourceLink | None) -> bool:
    """What the activity says now; whether a manager sees a result is storage.result_sharing's."""
    return link_shares_with_manager(link)


def link_locale(link: ResourceLink | None) -> str | None:
    value = configured(link, LOCALE)
    return value if isinstance(value, str) and value else None


def parse_attempts(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        allowed = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return allowed if allowed > 0 else None


@dataclass(frozen=True)
class InstrumentChoice:
    """An instrument a teacher can choose for a link."""

    key: str
    name: Text
    max_level: int
    questions: int
    own: bool  # imported by the organisation, not shipped with the tool
    # The yearly digital-maturity survey: about the workplace, shown only per unit.
    survey: bool = False


def instrument_choices(session: Session, organisation_id: int | None) -> list[InstrumentChoice]:
    """The shipped DigComp instruments (full first), the yearly digital-maturity survey, then
    the organisation's own, newest version."""
    scale_max = digcomp().scale.max_level
    shipped = sorted(shipped_instruments().values(), key=lambda i: i.id != DEFAULT_INSTRUMENT)
    choices = [InstrumentChoice(i.id, i.name, scale_max, len(i.items), own=False) for i in shipped]
    survey = maturity_instrument()
    choices.append(
        InstrumentChoice(
            MATURITY_INSTRUMENT,
            survey.name,
            maturity_framework().scale.max_level,
            len(survey.items),
            own=False,
            survey=True,
        )
    )
    if organisation_id is None:
        return choices
    rows = session.scalars(
        select(InstrumentVersion)
        .where(InstrumentVersion.organisation_id == organisation_id)
        .order_by(
            InstrumentVersion.key, InstrumentVersion.created_at.desc(), InstrumentVersion.id.desc()
        )
    )
    seen = {choice.key for choice in choices}
    for row in rows:
        if row.key in seen:
            continue
        seen.add(row.key)
        loaded = load_instrument(session, row.id)
        choices.append(
            InstrumentChoice(
                row.key,
                loaded.instrument.name,
                loaded.framework.scale.max_level,
                len(loaded.instrument.items),
                own=True,
            )
        )
    return choices


def attempts_on_other_instruments(session: Session, link: ResourceLink, key: str) -> int:
    """How many attempts at this link were made on another instrument than `key`."""
    return session.scalar(
        select(func.count())
        .select_from(Attempt)
        .join(InstrumentVersion, Attempt.instrument_id == InstrumentVersion.id)
        .where(Attempt.resource_link_id == link.id, InstrumentVersion.key != key)
    )


def save_link_settings(
    session: Session, link: ResourceLink, *, instrument: str, attempts: int | None, share: bool
) -> None:
    """What a teacher chose for the link, saved over its custom parameters; attempts
    already made keep the instrument version they were started on."""
    link.settings = {
        **(link.settings or {}),
        INSTRUMENT: instrument,
        ATTEMPTS: attempts,
        SHARE_WITH_MANAGER: share,
    }
    session.commit()
