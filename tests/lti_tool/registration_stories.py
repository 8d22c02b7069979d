"""What the Dynamic Registration stories share: reading the tool's pages and what it stored.
(The Moodle double `moodle`, the operator's `invite` and the instance's `admin_secret` are
fixtures of tests/lti_tool/conftest.py.)"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from storage import PlatformRegistration
from tests.support.browsing import form_fields, text_of


def refused(response, status: int, reason: str) -> None:
    assert response.status_code == status, response.text
    assert re.search(rf'data-testid="reason">{reason}<', response.text), text_of(response.text)


def frame_ancestors(response) -> list[str]:
    policy = dict(
        part.strip().split(" ", 1)
        for part in response.headers["Content-Security-Policy"].split(";")
    )
    return policy["frame-ancestors"].split()


def post_form(browser, tool_url: str, page, **changes):
    fields = {**form_fields(page.text), **changes}
    return browser.post(tool_url + "/lti/register", data=fields)


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["registration_token"][0]


def registrations(db) -> list[PlatformRegistration]:
    db.expire_all()
    return db.scalars(select(PlatformRegistration).order_by(PlatformRegistration.id)).all()
