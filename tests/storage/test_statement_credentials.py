"""An xAPI client's Basic credentials name the one organisation whose statements it reads."""

from __future__ import annotations

import uuid

import pytest

from storage import Organisation, StatementApiCredential
from storage.statements import create_credential, credential_organisation


@pytest.fixture
def credential(database) -> tuple[int, int, str, str]:
    """A new organisation's credential: (organisation id, credential id, key, secret)."""
    with database.transaction() as session:
        organisation = Organisation(slug=f"org-{uuid.uuid4().hex[:8]}", name="A")
        session.add(organisation)
        session.flush()
        made = create_credential(session, organisation.id)
        return organisation.id, made.credential.id, made.key, made.secret


def last_used(database, credential_id: int):
    with database.sessions() as session:  # another session: what was committed
        return session.get(StatementApiCredential, credential_id).last_used_at


def test_a_credential_reads_its_organisation_and_its_use_is_recorded(database, credential):
    organisation_id, credential_id, key, secret = credential

    with database.sessions() as session:
        assert credential_organisation(session, key, secret) == organisation_id

    assert last_used(database, credential_id) is not None


def test_a_wrong_secret_or_unknown_key_reads_nothing_and_records_nothing(database, credential):
    _, credential_id, key, secret = credential

    with database.sessions() as session:
        assert credential_organisation(session, key, "wrong") is None
        assert credential_organisation(session, "xapi-unknown", secret) is None

    assert last_used(database, credential_id) is None
