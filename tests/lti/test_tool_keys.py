"""Retired keys leave the JWKS only after their grace period."""

from datetime import timedelta

from lti.tool_keys import published_keys, rotate_keys
from storage import utcnow


def test_retired_keys_leave_jwks_after_the_grace_period(database):
    grace = timedelta(days=14)
    with database.transaction() as session:
        retired = rotate_keys(session)  # the key active until now is retired at this moment
        kids_now = {key["kid"] for key in published_keys(session, grace)}
        kids_later = {
            key["kid"] for key in published_keys(session, grace, now=utcnow() + grace * 2)
        }

    assert retired.kid in kids_now
    assert len(kids_now - kids_later) >= 1
    assert retired.kid in kids_later  # the newly active key itself stays
