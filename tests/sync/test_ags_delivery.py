"""A learner's score reaches the platform's gradebook: later if the platform is down, once."""

import json
from pathlib import Path

import pytest
from sqlalchemy import select, update

from storage import Delivery, DeliveryStatus
from storage.database import utcnow
from sync.dispatcher import deliver_due
from sync.scheduler import build_senders
from tests.support.assessing import answer_all, start, submit
from tests.support.platform_services import LINEITEM_SCOPE, SCORE_SCOPE, PlatformServices
from tests.support.platforms import TestPlatform

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "moodle-4.5"
CUSTOM = "https://purl.imsglobal.org/spec/lti/claim/custom"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


@pytest.fixture
def services(tool_url):
    double = PlatformServices(tool_url, "ags-client", {SCORE_SCOPE, LINEITEM_SCOPE})
    yield double
    double.stop()


@pytest.fixture
def moodle(tool_url, jwks_server, db, services) -> TestPlatform:
    site = TestPlatform(
        tool_url, jwks_server, issuer=services.url, client_id="ags-client", name="agsmoodle"
    )
    site.register(db)
    return site


@pytest.fixture
def deliver(database, settings):
    senders = build_senders(settings)
    return lambda: deliver_due(database, senders)


def complete_assessment(browser, tool_url, moodle, endpoint, sub="3"):
    launched = moodle.launch(
        browser, sub=sub, **{CUSTOM: {"instrument": "digcomp-2.2-short"}, AGS: endpoint}
    )
    assert launched.status_code == 200, launched.text
    return submit(browser, answer_all(browser, start(browser, tool_url), lambda o: o[1]))


def full_endpoint(services, lineitem=True):
    endpoint = {"scope": [SCORE_SCOPE, LINEITEM_SCOPE], "lineitems": services.lineitems_url}
    if lineitem:
        endpoint["lineitem"] = services.default_lineitem
    return endpoint


def make_due_now(db):
    db.execute(update(Delivery).values(next_attempt_at=utcnow()))
    db.commit()


def test_the_score_arrives_after_the_learner_completes(
    browser, tool_url, moodle, services, deliver
):
    complete_assessment(browser, tool_url, moodle, full_endpoint(services))

    counts = deliver()

    assert counts.delivered == 1
    score = services.scores[services.default_lineitem]["3"]
    assert (score["scoreGiven"], score["scoreMaximum"]) == (1.0, 8)
    assert (score["activityProgress"], score["gradingProgress"]) == ("Completed", "FullyGraded")
    assert services.refusals == []


def test_with_the_platform_down_the_score_arrives_later_exactly_once(
    browser, tool_url, moodle, services, deliver, db
):
    complete_assessment(browser, tool_url, moodle, full_endpoint(services))
    services.down = True

    assert deliver().retried == 1
    assert deliver().retried == 0  # not due again yet: it backs off
    make_due_now(db)
    assert deliver().retried == 1
    services.down = False
    make_due_now(db)

    assert deliver().delivered == 1
    make_due_now(db)
    assert deliver().delivered == 0
    assert services.score_posts == 1
    assert db.scalar(select(Delivery.status)) is DeliveryStatus.DELIVERED


def test_grade_sync_only_never_creates_line_items(browser, tool_url, moodle, services, deliver, db):
    services.granted_scopes = {SCORE_SCOPE}
    complete_assessment(
        browser, tool_url, moodle, {"scope": [SCORE_SCOPE], "lineitem": services.default_lineitem}
    )
    complete_assessment(
        browser,
        tool_url,
        moodle,
        {"scope": [SCORE_SCOPE], "lineitems": services.lineitems_url},
        sub="4",
    )

    counts = deliver()

    assert (counts.delivered, counts.dead) == (1, 1)
    assert list(services.line_items) == [services.default_lineitem]
    dead = db.scalar(select(Delivery).where(Delivery.status == DeliveryStatus.DEAD))
    assert "does not let the tool create one" in dead.last_error


def test_the_tool_creates_one_line_item_when_the_launch_names_none(
    browser, other_browser, tool_url, moodle, services, deliver
):
    endpoint = full_endpoint(services, lineitem=False)
    complete_assessment(browser, tool_url, moodle, endpoint, sub="3")
    complete_assessment(other_browser, tool_url, moodle, endpoint, sub="4")

    assert deliver().delivered == 2

    created = [url for url in services.line_items if url != services.default_lineitem]
    assert len(created) == 1
    assert services.line_items[created[0]]["tag"] == "kompetenslyft-overall"
    assert set(services.scores[created[0]]) == {"3", "4"}


def test_a_refusal_that_retrying_cannot_fix_is_dead_lettered_with_the_reason(
    browser, tool_url, moodle, services, deliver, db
):
    services.fail_scores_with = 400
    complete_assessment(browser, tool_url, moodle, full_endpoint(services))

    assert deliver().dead == 1
    dead = db.scalar(select(Delivery))
    assert dead.status is DeliveryStatus.DEAD
    assert "HTTP 400" in dead.last_error


def test_one_access_token_serves_many_scores(
    browser, other_browser, tool_url, moodle, services, deliver
):
    complete_assessment(browser, tool_url, moodle, full_endpoint(services), sub="3")
    complete_assessment(other_browser, tool_url, moodle, full_endpoint(services), sub="4")

    assert deliver().delivered == 2
    assert services.token_requests == 1


def test_a_score_sent_twice_is_harmless(browser, tool_url, moodle, services, deliver, db):
    complete_assessment(browser, tool_url, moodle, full_endpoint(services))
    deliver()
    first = db.scalar(select(Delivery))
    older = dict(
        first.payload,
        score=dict(
            first.payload["score"], scoreGiven=0.0, timestamp="2000-01-01T00:00:00.000+00:00"
        ),
    )
    db.add(Delivery(target="ags.score", key="resend", payload=first.payload))
    db.add(Delivery(target="ags.score", key="stale", payload=older))
    db.commit()

    assert deliver().delivered == 2
    assert services.scores[services.default_lineitem]["3"]["scoreGiven"] == 1.0


def test_a_hand_added_activity_gets_its_grade_in_a_column_tied_to_it(
    browser, other_browser, tool_url, moodle, services, deliver
):
    """Issue 17.3: "Accept grades from the tool" off, so the launch names no line item; the
    column the tool creates carries the launch's resourceLinkId (the fields Moodle accepted
    in tests/fixtures/moodle-4.5/ags-lineitem-post.json, plus the link), so Moodle ties it
    to the activity; the second learner's score goes to the same column."""
    endpoint = full_endpoint(services, lineitem=False)
    complete_assessment(browser, tool_url, moodle, endpoint, sub="3")
    complete_assessment(other_browser, tool_url, moodle, endpoint, sub="4")

    assert deliver().delivered == 2

    (created,) = [url for url in services.line_items if url != services.default_lineitem]
    item = services.line_items[created]
    assert item["resourceLinkId"] == "1"  # the launch's resource_link.id
    assert item["tag"] == "kompetenslyft-overall"
    # The fields and types Moodle 4.5 accepted (its recorded POST), plus the resource link.
    accepted = json.loads((FIXTURES / "ags-lineitem-post.json").read_text())
    recorded_body = accepted["exchanges"][0]["request"]["body"]
    assert {key: type(value) for key, value in recorded_body.items()} == {
        key: type(item[key]) for key in recorded_body
    }
    assert set(item) - {"id"} == set(recorded_body) | {"resourceLinkId"}
    assert set(services.scores[created]) == {"3", "4"}
    assert services.refusals == []


def test_the_activity_s_existing_column_is_used_not_a_second_one(
    browser, tool_url, moodle, services, deliver
):
    """The platform already has the activity's column (Moodle's own for resource link 1),
    but the launch named none: the score goes there."""
    services.line_items[services.default_lineitem].update(resourceLinkId="1", ltiLinkId="1")
    complete_assessment(browser, tool_url, moodle, full_endpoint(services, lineitem=False))

    assert deliver().delivered == 1

    assert list(services.line_items) == [services.default_lineitem]
    assert services.scores[services.default_lineitem]["3"]["scoreGiven"] == 1.0
