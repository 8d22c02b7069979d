"""A launch's session ends after a while idle and after a working day at most, in a cookie
or in the URL alike, and the person is told to open the tool again from Moodle."""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import select

from storage import Launch

IDLE = 120 * 60  # the defaults: session_idle_minutes, session_absolute_hours
ABSOLUTE = 8 * 3600


@pytest.fixture
def session_clock(app):
    interface = app.session_interface
    offset = {"seconds": 0.0}
    interface.clock = lambda: time.time() + offset["seconds"]
    yield offset
    del interface.clock  # back to the class's real clock


@pytest.fixture
def launched(platform, browser, tool_url):
    response = platform.launch(
        browser, **{"https://purl.imsglobal.org/spec/lti/claim/launch_presentation": None}
    )
    assert response.status_code == 200, response.text
    return browser


def test_a_session_survives_an_hour_of_reading(launched, tool_url, session_clock):
    session_clock["seconds"] = 60 * 60

    assert launched.get(tool_url + "/my/plan").status_code == 200


def test_an_idle_cookie_session_expires_with_a_page_saying_so(launched, tool_url, session_clock):
    session_clock["seconds"] = IDLE + 60

    response = launched.get(tool_url + "/my/plan")

    assert response.status_code == 401
    assert "Din session har gått ut. Öppna verktyget igen från din kurs i Moodle." in response.text


def test_the_expired_page_speaks_the_chosen_language(launched, tool_url, session_clock):
    session_clock["seconds"] = IDLE + 60

    response = launched.get(tool_url + "/my/plan?lang=en")

    assert response.status_code == 401
    assert "Your session has expired. Open the tool again from your course in Moodle." in (
        response.text
    )


def test_every_request_restarts_the_idle_time(launched, tool_url, session_clock, other_browser):
    other_browser.cookies.update(launched.cookies)  # the same session, left untouched
    session_clock["seconds"] = IDLE - 60
    assert launched.get(tool_url + "/my/plan").status_code == 200

    session_clock["seconds"] = 2 * IDLE - 120

    assert launched.get(tool_url + "/my/plan").status_code == 200
    assert other_browser.get(tool_url + "/my/plan").status_code == 401


def test_no_session_outlives_the_working_day(launched, tool_url, session_clock):
    for hours in range(1, 8):
        session_clock["seconds"] = hours * 3600
        assert launched.get(tool_url + "/my/plan").status_code == 200

    session_clock["seconds"] = ABSOLUTE + 60

    assert launched.get(tool_url + "/my/plan").status_code == 401


def _url_token(app, db, started_ago: float) -> str:
    launch_id = db.scalar(select(Launch.id).order_by(Launch.id.desc()))
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.dumps({"launch_id": launch_id, "started_at": int(time.time() - started_ago)})


def test_a_url_session_within_the_day_opens_the_tool(launched, app, db, tool_url):
    token = _url_token(app, db, started_ago=ABSOLUTE - 3600)

    response = requests.get(tool_url + "/my/plan", params={"ls": token}, timeout=10)

    assert response.status_code == 200


def test_a_url_session_older_than_the_absolute_lifetime_is_refused(launched, app, db, tool_url):
    token = _url_token(app, db, started_ago=ABSOLUTE + 60)

    response = requests.get(tool_url + "/my/plan", params={"ls": token}, timeout=10)

    assert response.status_code == 401
    assert "Din session har gått ut" in response.text


def test_an_idle_url_session_is_refused(launched, app, db, tool_url, session_clock):
    token = _url_token(app, db, started_ago=0)
    session_clock["seconds"] = IDLE + 60

    response = requests.get(tool_url + "/my/plan", params={"ls": token}, timeout=10)

    assert response.status_code == 401
    assert "Din session har gått ut" in response.text


def test_a_forged_url_session_is_no_expired_session(launched, tool_url):
    response = requests.get(tool_url + "/my/plan", params={"ls": "forged.token"}, timeout=10)

    assert response.status_code == 401
    assert "Din session har gått ut" not in response.text
