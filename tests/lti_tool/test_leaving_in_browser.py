"""Leaving the assessment in a real browser (Debian's Chromium): the page tells the tool with a
beacon when it goes away, moving on inside the tool does not, and the Leave button works with
the same form and keeps the page accessible."""

from __future__ import annotations

from playwright.sync_api import expect
from sqlalchemy import select

from storage import XapiStatement
from tests.support.accessibility import assert_accessible

TERMINATED = "http://adlnet.gov/expapi/verbs/terminated"
COUNT_BEACONS = """(() => {
    const send = navigator.sendBeacon.bind(navigator);
    navigator.sendBeacon = (url, data) => {
        sessionStorage.setItem("beacons", String(Number(sessionStorage.getItem("beacons")) + 1));
        return send(url, data);
    };
})()"""
BEACONS_SENT = "() => Number(sessionStorage.getItem('beacons'))"


def terminated(db) -> list[XapiStatement]:
    db.expire_all()
    return db.scalars(select(XapiStatement).where(XapiStatement.verb == TERMINATED)).all()


def launch_and_start(page, tool_url: str) -> None:
    page.goto(f"{tool_url}/dev-platform/")
    page.get_by_test_id("launch-learner").click()
    page.wait_for_url(f"{tool_url}/")
    page.get_by_test_id("start").click()
    expect(page.locator(".progress-text")).to_have_text("Fråga 1 av 21")


def test_leaving_the_tool_sends_a_beacon_but_moving_on_inside_it_does_not(page, tool_url, db):
    # Count the page's beacons where the next page of the tab can read them: a beacon leaves
    # an unloading page, which Playwright no longer watches.
    page.add_init_script(COUNT_BEACONS)
    launch_and_start(page, tool_url)
    page.locator('input[name="answer"]').first.check()
    page.get_by_test_id("next").click()  # the tool's own form
    expect(page.locator(".progress-text")).to_have_text("Fråga 2 av 21")
    page.get_by_role("link", name="English").click()  # the tool's own link
    expect(page.locator(".progress-text")).to_have_text("Question 2 of 21")
    assert page.evaluate(BEACONS_SENT) == 0

    page.goto(f"{tool_url}/healthz")  # the person goes elsewhere
    assert page.evaluate(BEACONS_SENT) == 1

    # What that beacon carried, sent from a page that is still there to watch it arrive.
    page.go_back()
    expect(page.locator(".progress-text")).to_have_text("Question 2 of 21")
    with page.expect_request_finished(lambda r: r.url.split("?")[0].endswith("/leave")) as sent:
        page.evaluate("window.dispatchEvent(new PageTransitionEvent('pagehide'))")
    assert sent.value.method == "POST"
    assert sent.value.response().status == 204
    assert len(terminated(db)) == 1  # both beacons: one departure from this launch


def test_the_leave_button_returns_to_the_start_page_and_says_so(page, tool_url, db):
    launch_and_start(page, tool_url)
    assert_accessible(page)  # a question with its Leave button

    page.get_by_test_id("leave").click()

    page.wait_for_url(lambda url: "left=1" in url)
    expect(page.get_by_test_id("left")).to_have_text(
        "Du har lämnat självskattningen. Dina svar är sparade."
    )
    assert_accessible(page)
    assert len(terminated(db)) == 1
