"""One handler turns every refusal into the page (or JSON) the person is told why on."""

from __future__ import annotations

import pytest

import lti.dynamic_registration  # noqa: F401  (defines RegistrationRefused)
from lti.errors import LaunchRejected, Refusal
from lti_tool import create_app
from lti_tool.errors import REFUSALS, PageRefused


def _kinds(kind: type[Refusal]) -> set[type[Refusal]]:
    return {kind} | {grand for child in kind.__subclasses__() for grand in _kinds(child)}


def test_every_reason_a_person_can_be_refused_for_has_a_message_beside_its_class():
    kinds = _kinds(Refusal) - {Refusal}
    assert kinds and kinds <= set(REFUSALS)
    for kind in kinds - {PageRefused}:  # a page's refusal brings its own sentence
        assert set(REFUSALS[kind].messages) == set(kind.reasons), kind.__name__


@pytest.fixture
def client(settings, database):
    app = create_app(settings, database)

    @app.get("/test/teachers-only")
    def teachers_only():
        raise PageRefused("forbidden", "Only the teachers of the course can see this.")

    @app.get("/test/registration")
    def registration():
        raise lti.dynamic_registration.RegistrationRefused("platform_refused", "quota full")

    @app.get("/test/launch")
    def launch():
        raise LaunchRejected("nonce_replayed")

    return app.test_client()


def test_a_learner_on_a_teachers_page_gets_a_403_saying_why(client):
    answer = client.get("/test/teachers-only")
    assert answer.status_code == 403
    assert "Only the teachers of the course can see this." in answer.text


def test_a_platform_refusing_the_registration_is_named_with_what_it_answered(client):
    answer = client.get("/test/registration")
    assert answer.status_code == 400
    assert "platform_refused" in answer.text and "quota full" in answer.text


def test_a_program_gets_the_refusal_s_code_and_message_as_json(client):
    answer = client.get("/test/launch", headers={"Accept": "application/json"})
    assert answer.status_code == 403
    assert answer.json["error"] == "nonce_replayed"
    assert answer.json["message"]
