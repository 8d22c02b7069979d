"""What a connected learning platform last did with the tool, for the admin pages.

A Moodle administrator checks that a new registration works by seeing a launch arrive
(`PlatformRegistration.last_launch_at`) and a grade reach Moodle's gradebook: the newest
AGS score the outbox delivered for the registration.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.outbox import Delivery, DeliveryStatus

AGS_SCORE_TARGET = "ags.score"  # lti.grades.TARGET (storage may not import lti)


def last_grades_sent(session: Session, registration_ids: Iterable[int]) -> dict[int, datetime]:
    """When a score was last delivered to each registration's platform (absent: never)."""
    ids = list(registration_ids)
    if not ids:
        return {}
    registration = Delivery.payload["registration_id"].as_integer()
    rows = session.execute(
        select(registration, func.max(Delivery.delivered_at))
        .where(
            Delivery.target == AGS_SCORE_TARGET,
            Delivery.status == DeliveryStatus.DELIVERED,
            registration.in_(ids),
        )
        .group_by(registration)
    )
    return {registration_id: at for registration_id, at in rows if at is not None}
