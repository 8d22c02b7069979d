"""The organisation administrator's changes to role profiles: copy a shipped starting point,
rename a profile and change its levels.  Each owns its transaction and leaves an audit row
(who changed which profile, and the levels before and after)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from storage.audit import ROLE_PROFILE, record_audit
from storage.frameworks import RoleProfile
from storage.role_profiles import change_profile, copy_starting_point, own_profile


def copy_role_profile(
    session: Session, organisation_id: int, key: str, *, by_person_id: int | None
) -> RoleProfile | None:
    """The organisation's own copy of the starting point `key`; None when there is none."""
    profile = copy_starting_point(session, organisation_id, key)
    if profile is None:
        return None
    record_audit(
        session,
        organisation_id=organisation_id,
        action=ROLE_PROFILE,
        actor_person_id=by_person_id,
        subject_person_id=None,
        detail={"change": "copied", "profile": profile.key, "starting_point": key},
    )
    session.commit()
    return profile


def save_role_profile_change(
    session: Session,
    organisation_id: int,
    profile_id: int,
    *,
    names: dict[str, str],
    targets: dict[str, int],
    by_person_id: int | None,
) -> RoleProfile | None:
    """New name and levels for one of the organisation's profiles; None when it has no
    profile with this id."""
    profile = own_profile(session, organisation_id, profile_id)
    if profile is None:
        return None
    before = dict(profile.targets)
    change_profile(profile, names, targets)
    record_audit(
        session,
        organisation_id=organisation_id,
        action=ROLE_PROFILE,
        actor_person_id=by_person_id,
        subject_person_id=None,
        detail={
            "change": "edited",
            "profile": profile.key,
            "targets_before": before,
            "targets_after": dict(targets),
        },
    )
    session.commit()
    return profile
