"""An operator connects an organisation's Moodle: `kompetenslyft sync target add --kind moodle`."""

import uuid

import pytest
from sqlalchemy import select

from config import load_settings
from storage import Organisation
from storage.completions import SyncTarget
from storage.lrs import unseal
from tests.support.moodle_ws import TOKEN, MoodleDouble


@pytest.fixture
def moodle():
    double = MoodleDouble()
    yield double
    double.stop()


def organisation(db) -> Organisation:
    row = Organisation(slug=f"kommun-{uuid.uuid4().hex[:6]}", name="Kommun")
    db.add(row)
    db.commit()
    return row


def test_a_moodle_target_is_added_with_its_token_sealed_and_polled(kompetenslyft, db, moodle):
    org = organisation(db)

    added = kompetenslyft(
        "sync", "target", "add", "--organisation", org.slug, "--kind", "moodle",
        "--url", moodle.url + "/", "--token-stdin", "--framework-idnumber", "DIGCOMP-H",
        "--competency-prefix", "DC-", input=f"{TOKEN}\n",
    )  # fmt: skip

    assert added.exit_code == 0, added.output
    assert TOKEN not in added.output
    db.expire_all()
    target = db.scalar(select(SyncTarget).where(SyncTarget.organisation_id == org.id))
    assert (target.kind, target.settings["url"]) == ("moodle", moodle.url)
    assert target.settings["framework_idnumber"] == "DIGCOMP-H"
    assert TOKEN not in target.sealed_secret
    secret_key = load_settings(environ=kompetenslyft.env).secret_key
    assert unseal(secret_key, target.sealed_secret) == TOKEN

    polled = kompetenslyft("sync", "poll-moodle", "--organisation", org.slug)
    assert polled.exit_code == 0, polled.output
    assert "new completions 0" in polled.output


def test_a_target_needs_a_token_and_an_http_url(kompetenslyft, db):
    org = organisation(db)

    no_token = kompetenslyft(
        "sync", "target", "add", "--organisation", org.slug, "--kind", "moodle",
        "--url", "https://moodle.example.se",
    )  # fmt: skip
    bad_url = kompetenslyft(
        "sync", "target", "add", "--organisation", org.slug, "--kind", "moodle",
        "--url", "moodle.example.se", "--token-stdin", input="x\n",
    )  # fmt: skip

    assert no_token.exit_code != 0 and "token" in no_token.output
    assert bad_url.exit_code != 0 and "http(s) URL" in bad_url.output
    db.expire_all()
    assert db.scalar(select(SyncTarget).where(SyncTarget.organisation_id == org.id)) is None


def test_the_operator_creates_the_framework_in_moodle_once(kompetenslyft, db, moodle):
    """Issue 17.4: no CSV import by hand; run twice, the second run makes nothing."""
    org = organisation(db)
    kompetenslyft(
        "sync", "target", "add", "--organisation", org.slug, "--kind", "moodle",
        "--url", moodle.url, "--token-stdin", "--framework-idnumber", "DIGCOMP-H",
        "--competency-prefix", "DC-", input=f"{TOKEN}\n",
    )  # fmt: skip
    db.expire_all()
    target_id = str(db.scalar(select(SyncTarget.id).where(SyncTarget.organisation_id == org.id)))

    first = kompetenslyft(
        "sync", "target", "create-framework", target_id, "--organisation", org.slug
    )
    again = kompetenslyft(
        "sync", "target", "create-framework", target_id, "--organisation", org.slug
    )
    moodle.token = "another-token"
    refused = kompetenslyft(
        "sync", "target", "create-framework", target_id, "--organisation", org.slug
    )

    assert first.exit_code == 0, first.output
    assert "framework DIGCOMP-H found in Moodle; 18 competences created, 3 there" in first.output
    assert "0 competences created, 21 there already" in again.output
    assert refused.exit_code != 0 and "invalidtoken" in refused.output
    assert moodle.count("core_competency_create_competency") == 18 + 5  # and the 5 areas
