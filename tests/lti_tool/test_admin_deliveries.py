"""Admins see what failed to reach other systems, with the reason, and can try again."""

import re
from datetime import timedelta

from sqlalchemy import select

from storage import Delivery, DeliveryStatus, LrsEndpoint, Organisation
from storage.database import utcnow
from tests.lti_tool.test_admin import ADMINISTRATOR, LEARNER, launch_as, sign_in
from tests.support.assessing import csrf
from tests.support.browsing import text_of


def dead_letter(db, organisation_slug: str, reason: str) -> Delivery:
    organisation = db.scalar(select(Organisation).where(Organisation.slug == organisation_slug))
    delivery = Delivery(
        target="ags.score",
        key=f"attempt:{reason}",
        payload={},
        status=DeliveryStatus.DEAD,
        attempts=1,
        last_error=reason,
        organisation_id=organisation.id,
    )
    db.add(delivery)
    db.commit()
    return delivery


def test_the_owner_sees_every_failure_and_can_retry_one(
    browser, tool_url, admin_secret, platform, platform_b, db
):
    mine = dead_letter(db, "test-org", "HTTP 400: line item closed")
    dead_letter(db, "kommun-b", "HTTP 403: no such user")
    sign_in(browser, tool_url)

    page = browser.get(tool_url + "/admin/deliveries")
    text = text_of(page.text)
    assert "HTTP 400: line item closed" in text and "HTTP 403: no such user" in text
    assert "Betyg till kursens betygsbok" in text

    form = re.search(rf'action="(/admin/deliveries/{mine.id}/retry)"', page.text).group(1)
    retried = browser.post(tool_url + form, data={"csrf_token": csrf(page.text)})

    assert "försöks igen" in text_of(retried.text)
    db.expire_all()
    assert db.get(Delivery, mine.id).status is DeliveryStatus.PENDING


def test_an_organisations_administrator_sees_only_their_own(
    browser, tool_url, platform, platform_b, db
):
    dead_letter(db, "test-org", "HTTP 400: mine")
    theirs = dead_letter(db, "kommun-b", "HTTP 400: theirs")
    launch_as(platform, browser, ADMINISTRATOR)

    page = browser.get(tool_url + "/admin/deliveries")
    assert "HTTP 400: mine" in page.text and "theirs" not in page.text

    refused = browser.post(
        f"{tool_url}/admin/deliveries/{theirs.id}/retry", data={"csrf_token": csrf(page.text)}
    )
    assert refused.status_code == 404
    db.expire_all()
    assert db.get(Delivery, theirs.id).status is DeliveryStatus.DEAD


def test_learners_may_not_look(browser, tool_url, platform):
    launch_as(platform, browser, LEARNER)

    assert browser.get(tool_url + "/admin/deliveries").status_code == 403


def paused_lrs(db, organisation_slug: str) -> LrsEndpoint:
    organisation = db.scalar(select(Organisation).where(Organisation.slug == organisation_slug))
    lrs = db.scalar(select(LrsEndpoint).where(LrsEndpoint.organisation_id == organisation.id))
    if lrs is None:
        lrs = LrsEndpoint(organisation_id=organisation.id, endpoint="https://lrs.example.se/xAPI/")
        db.add(lrs)
    lrs.consecutive_failures = 3
    lrs.paused_until = utcnow() + timedelta(minutes=20)
    lrs.last_error = f"HTTP 503: {organisation_slug} LRS down for maintenance"
    db.commit()
    return lrs


def test_an_administrator_sees_a_paused_lrs_and_sends_now(
    browser, tool_url, platform, platform_b, db
):
    mine = paused_lrs(db, "test-org")
    theirs = paused_lrs(db, "kommun-b")
    launch_as(platform, browser, ADMINISTRATOR)

    page = browser.get(tool_url + "/admin/deliveries")
    text = text_of(page.text)
    assert "Paused after 3 failures in a row" in text
    assert "test-org LRS down" in text and "kommun-b" not in text

    refused = browser.post(
        f"{tool_url}/admin/record-stores/{theirs.id}/resume", data={"csrf_token": csrf(page.text)}
    )
    sent = browser.post(
        f"{tool_url}/admin/record-stores/{mine.id}/resume", data={"csrf_token": csrf(page.text)}
    )

    assert refused.status_code == 404
    assert "will be sent to the LRS" in text_of(sent.text)
    db.expire_all()
    assert db.get(LrsEndpoint, mine.id).paused_until is None
    assert db.get(LrsEndpoint, theirs.id).paused_until is not None
