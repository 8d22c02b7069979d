"""An operator points an organisation's statements at its LRS with `kompetenslyft xapi lrs`."""

import uuid

from sqlalchemy import select

from config import load_settings
from storage import Delivery, LrsEndpoint, Organisation
from storage.lrs import credentials_of, lrs_of
from tests.sync.forwarding import learner_statements
from xapi.record import TARGET, record_json


def organisation(db) -> Organisation:
    row = Organisation(slug=f"kommun-{uuid.uuid4().hex[:6]}", name="Kommun")
    db.add(row)
    db.commit()
    return row


def test_the_password_is_stored_encrypted_and_never_shown(kompetenslyft, db):
    org = organisation(db)
    result = kompetenslyft(
        "xapi", "lrs", "set", "--organisation", org.slug,
        "--endpoint", "https://lrs.umea.example.se/xAPI/", "--username", "lrs-key",
        "--password-stdin", "--version", "2.0.0", "--batch-size", "300",
        input="hemligt-lösenord\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    shown = kompetenslyft("xapi", "lrs", "show", "--organisation", org.slug).output

    assert "lrs-key" in shown and "2.0.0" in shown and "300" in shown
    assert "hemligt" not in shown and "hemligt" not in result.output
    db.expire_all()
    row = lrs_of(db, org.id)
    assert "hemligt" not in row.sealed_password
    secret_key = load_settings(environ=kompetenslyft.env).secret_key
    assert credentials_of(row, secret_key) == ("lrs-key", "hemligt-lösenord")


def test_credentials_can_come_from_the_environment(kompetenslyft, db):
    org = organisation(db)
    result = kompetenslyft(
        "xapi", "lrs", "set", "--organisation", org.slug,
        "--endpoint", "https://lrs.example.se/xAPI/", "--credentials-env", "UMEA_LRS",
    )  # fmt: skip

    assert result.exit_code == 0 and "from $UMEA_LRS" in result.output
    db.expire_all()
    row = lrs_of(db, org.id)
    assert credentials_of(row, "any", environ={"UMEA_LRS": "key:secret:with:colons"}) == (
        "key",
        "secret:with:colons",
    )


def test_an_endpoint_with_credentials_in_it_or_not_a_url_is_refused(kompetenslyft, db):
    org = organisation(db)
    for endpoint in ("https://key:secret@lrs.example.se/xAPI/", "lrs.example.se"):
        result = kompetenslyft(
            "xapi", "lrs", "set", "--organisation", org.slug, "--endpoint", endpoint
        )
        assert result.exit_code == 2 and "--endpoint" in result.output
        assert "secret" not in result.output
    db.expire_all()
    assert lrs_of(db, org.id) is None


def test_backfill_queues_what_was_stored_before_the_lrs_and_remove_drops_the_queue(
    kompetenslyft, db
):
    org = organisation(db)
    for statement in learner_statements(7, learner=org.slug):
        record_json(db, statement, org.id)
    db.commit()
    kompetenslyft(
        "xapi", "lrs", "set", "--organisation", org.slug, "--endpoint", "https://lrs.example.se/"
    )

    first = kompetenslyft("xapi", "lrs", "backfill", "--organisation", org.slug)
    second = kompetenslyft("xapi", "lrs", "backfill", "--organisation", org.slug)

    assert "7 statement(s) queued" in first.output
    assert "0 statement(s) queued" in second.output
    removed = kompetenslyft("xapi", "lrs", "remove", "--organisation", org.slug)
    assert "7 statement(s) waiting" in removed.output
    db.expire_all()
    assert (
        db.scalars(
            select(Delivery).where(Delivery.target == TARGET, Delivery.organisation_id == org.id)
        ).all()
        == []
    )
    assert db.scalars(select(LrsEndpoint).where(LrsEndpoint.organisation_id == org.id)).all() == []


def test_an_unknown_organisation_is_named_in_the_error(kompetenslyft):
    result = kompetenslyft("xapi", "lrs", "show", "--organisation", "finns-inte")
    assert result.exit_code == 1 and "finns-inte" in result.output
