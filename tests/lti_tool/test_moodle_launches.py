"""Real Moodle 4.5 launch messages, re-signed by a test key, are accepted as they are.

Only what must be fresh for any launch changes: the nonce (the tool's own, from
its login), iat and exp.  And the recordings were made with a tool at
http://127.0.0.1:9001, so its address in `target_link_uri` (login and claim) becomes
the address of the tool under test, as Moodle would send it for this tool: path and
query stay exactly what Moodle sent.  Every other claim is exactly what Moodle sent.
"""

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from lti.claims import TARGET_LINK_URI
from storage import Launch, Person
from tests.support.browsing import text_of
from tests.support.platforms import TestPlatform

MOODLE = Path(__file__).parent.parent / "fixtures" / "moodle-4.5"
FLOW = json.loads((MOODLE / "lti-launch-learner1.flow.json").read_text())
LOGIN = FLOW["oidc_login_initiation"]["params"]
RECORDED_TOOL = "http://127.0.0.1:9001"


def moodle_claims(name: str) -> dict:
    return json.loads((MOODLE / name).read_text())


@pytest.fixture
def moodle(tool_url, jwks_server, db) -> TestPlatform:
    """The Moodle site of the recordings, registered as Moodle's admin would."""
    site = TestPlatform(
        tool_url,
        jwks_server,
        issuer=LOGIN["iss"],
        client_id=LOGIN["client_id"],
        deployment_id=LOGIN["lti_deployment_id"],
        name="moodle",
    )
    site.register(db)
    return site


def at_tool(moodle: TestPlatform, recorded: str) -> str:
    """A recorded address of the recording's tool, moved to the tool under test."""
    assert recorded.startswith(RECORDED_TOOL + "/")
    return moodle.tool_url + recorded.removeprefix(RECORDED_TOOL)


def launch_recorded(browser, moodle: TestPlatform, fixture: str):
    body = moodle_claims(fixture)
    body[TARGET_LINK_URI] = at_tool(moodle, body[TARGET_LINK_URI])
    # Moodle POSTs the login initiation, exactly these parameters, for the link's target.
    auth = moodle.login(browser, **{**LOGIN, "target_link_uri": body[TARGET_LINK_URI]})
    now = int(time.time())
    body.update(nonce=auth["nonce"], iat=now, exp=now + 60)
    return browser.post(
        moodle.tool_url + "/lti/launch",
        data={"id_token": moodle.sign(body), "state": auth["state"]},
    )


@pytest.mark.parametrize(
    ("fixture", "greeting", "role"),
    [
        ("lti-launch-learner1.claims.json", "Hello, Lea Learner!", "a participant"),
        ("lti-launch-learner2.claims.json", "Hello, Leo Learner!", "a participant"),
        ("lti-launch-teacher1.claims.json", "Hello, Tina Teacher!", "a teacher"),
        ("lti-launch-manager1.claims.json", "Hello, Max Manager!", "a teacher"),
        (
            "lti-launch-learner1-deeplinked-activity.claims.json",
            "Hello, Lea Learner!",
            "a participant",
        ),
        ("lti-deeplink-request-teacher1.claims.json", "Hello, Tina Teacher!", "a teacher"),
    ],
)
def test_moodle_launch_is_accepted_unchanged(browser, moodle, fixture, greeting, role):
    page = launch_recorded(browser, moodle, fixture)

    assert page.status_code == 200, page.text
    text = text_of(page.text)
    assert greeting in text  # Moodle's launch_presentation.locale is "en"
    assert f"You are {role} in the course Digital Competence 101." in text


def test_moodle_identity_fields_are_stored(browser, moodle, db):
    launch_recorded(browser, moodle, "lti-launch-learner1.claims.json")

    person = db.scalar(select(Person))
    assert (person.issuer, person.subject) == ("http://127.0.0.1:8081", "3")
    assert person.person_sourcedid == "LEARNER1"
    assert person.email == "learner1@example.invalid"
    launch = db.scalar(select(Launch))
    assert launch.context.label == "DIGI101"
    assert launch.resource_link.title == "Breakout game (LTI 1.3)"
    assert launch.claims["https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"]["lineitem"]


def test_name_and_email_are_forgotten_when_moodle_stops_sharing_them(browser, moodle, db):
    launch_recorded(browser, moodle, "lti-launch-learner1.claims.json")
    body = moodle_claims("lti-launch-learner1.claims.json")
    body[TARGET_LINK_URI] = at_tool(moodle, body[TARGET_LINK_URI])
    auth = moodle.login(browser, **{**LOGIN, "target_link_uri": body[TARGET_LINK_URI]})
    for private in ("name", "given_name", "family_name", "email"):
        del body[private]
    now = int(time.time())
    body.update(nonce=auth["nonce"], iat=now, exp=now + 60)

    page = browser.post(
        moodle.tool_url + "/lti/launch",
        data={"id_token": moodle.sign(body), "state": auth["state"]},
    )

    assert "Welcome!" in text_of(page.text)
    db.expire_all()
    person = db.scalar(select(Person))
    assert (person.name, person.email) == (None, None)


def test_the_recorded_login_and_launch_name_the_same_target():
    """The check below the launch relies on this: Moodle signs the target its login named."""
    claims = moodle_claims("lti-launch-learner1.claims.json")
    assert claims[TARGET_LINK_URI] == LOGIN["target_link_uri"]
