"""Shared pieces of the forwarding tests: an organisation with an LRS, and realistic statements."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from competence.instruments import shipped_instruments
from storage import Database, Delivery, DeliveryStatus, LrsEndpoint, Organisation
from storage.lrs import seal
from tests.support.answered_statements import answered_statements
from xapi.record import TARGET, record_json

SECRET_KEY = "forwarding-test-secret-key-0123456789abcdef"
FULL = shipped_instruments()["digcomp-2.2-full"]


def organisation_with_lrs(database: Database, lrs, **options) -> tuple[int, int]:
    """A new organisation whose LRS is `lrs` (a RalphLrs); returns (organisation id, LRS id)."""
    from tests.support.ralph_lrs import PASSWORD, USERNAME

    with database.transaction() as session:
        organisation = Organisation(slug=f"org-{uuid.uuid4().hex[:8]}", name="Umeå kommun")
        session.add(organisation)
        session.flush()
        endpoint = LrsEndpoint(
            organisation_id=organisation.id,
            endpoint=lrs.endpoint,
            username=USERNAME,
            sealed_password=seal(SECRET_KEY, options.pop("password", PASSWORD)),
            **options,
        )
        session.add(endpoint)
        session.flush()
        return organisation.id, endpoint.id


def learner_statements(count: int, learner: str = "learner-1") -> list[dict]:
    """`count` distinct answered statements, as the assessment records them."""
    return [
        statement.to_json()
        for statement in answered_statements(count, learner, per_attempt=50, instrument=FULL)
    ]


def record_all(database: Database, organisation_id: int, made: list[dict], per_event: int = 50):
    """Records statements as the app does: each in the transaction of its event."""
    for start in range(0, len(made), per_event):
        with database.transaction() as session:
            for statement in made[start : start + per_event]:
                record_json(session, statement, organisation_id)


def deliveries(database: Database, organisation_id: int) -> dict[DeliveryStatus, int]:
    with database.sessions() as session:
        rows = session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.target == TARGET, Delivery.organisation_id == organisation_id)
            .group_by(Delivery.status)
        )
        return dict(rows.all())


def lrs_row(database: Database, lrs_id: int) -> LrsEndpoint:
    with database.sessions() as session:
        return session.get(LrsEndpoint, lrs_id)
