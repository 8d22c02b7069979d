"""An organisation's role profiles as its administrator keeps them: copied from a shipped
starting point (competence.role_profiles), renamed and their levels changed.

The rows are `storage.frameworks.RoleProfile`; the dialogue matches one to a person's role
title (`storage.frameworks.role_profile_for`) and offers every other one to choose.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from competence.role_profiles import StartingPoint, starting_point, starting_points
from storage.frameworks import RoleProfile


def organisation_profiles(session: Session, organisation_id: int) -> list[RoleProfile]:
    return list(
        session.scalars(
            select(RoleProfile)
            .where(RoleProfile.organisation_id == organisation_id)
            .order_by(RoleProfile.id)
        )
    )


def own_profile(session: Session, organisation_id: int, profile_id: int) -> RoleProfile | None:
    """The organisation's profile with this id; None for another organisation's."""
    return session.scalar(
        select(RoleProfile).where(
            RoleProfile.id == profile_id, RoleProfile.organisation_id == organisation_id
        )
    )


def offered_profiles(
    session: Session, organisation_id: int, framework_key: str
) -> list[RoleProfile | StartingPoint]:
    """What the dialogue offers for a framework: the organisation's own profiles, then the
    shipped starting points it has not copied under the same key."""
    own = [
        p
        for p in organisation_profiles(session, organisation_id)
        if p.framework_key == framework_key
    ]
    keys = {p.key for p in own}
    shipped = [
        p for p in starting_points() if p.framework_key == framework_key and p.key not in keys
    ]
    return [*own, *shipped]


def copy_starting_point(session: Session, organisation_id: int, key: str) -> RoleProfile | None:
    """A new profile of the organisation from a shipped starting point (None: no such one);
    under the starting point's key, or the key with -2, -3 … when that is taken."""
    found = starting_point(key)
    if found is None:
        return None
    taken = {p.key for p in organisation_profiles(session, organisation_id)}
    new_key, number = found.key, 1
    while new_key in taken:
        number += 1
        new_key = f"{found.key}-{number}"
    profile = RoleProfile(
        organisation_id=organisation_id,
        framework_key=found.framework_key,
        key=new_key,
        name=dict(found.name),
        targets=dict(found.targets),
    )
    session.add(profile)
    session.flush()
    return profile


def change_profile(profile: RoleProfile, names: dict[str, str], targets: dict[str, int]) -> None:
    profile.name = dict(names)
    profile.targets = dict(targets)
