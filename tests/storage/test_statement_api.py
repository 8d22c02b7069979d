"""An xAPI client's Basic credentials name the one organisation whose statements it reads."""

from __future__ import annotations

import uuid

from storage import Organisation, StatementApiCredential
from storage.statement_api import create_credential, credential_organisation


def test_a_credential_reads_its_organisation_and_its_use_is_recorded(database):
    with database.transaction() as session:
        organisation = Organisation(slug=f"org-{uuid.uuid4().hex[:8]}", name="A")
        session.add(organisation)
        session.flush()
        made = create_credential(session, organisation.id)
        organisation_id, key, secret = organisation.id, made.key, made.secret

    with database.sessions() as session:
        assert credential_organisation(session, key, secret) == organisation_id
    with database.sessions() as session:  # committed: another session sees the use
        assert session.get(StatementApiCredential, made.credential.id).last_used_at is not None


def test_a_wrong_secret_or_unknown_key_reads_nothing_and_records_nothing(database):
    with database.transaction() as session:
        organisation = Organisation(slug=f"org-{uuid.uuid4().hex[:8]}", name="A")
        session.add(organisation)
        session.flush()
        made = create_credential(session, organisation.id)
        key, secret, credential_id = made.key, made.secret, made.credential.id

    with database.sessions() as session:
        assert credential_organisation(session, key, "wrong") is None
        assert credential_organisation(session, "xapi-unknown", secret) is None
    with database.sessions() as session:
        assert session.get(StatementApiCredential, credential_id).last_used_at is None
