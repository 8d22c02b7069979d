"""A teacher changes what a course link asks for; the next launch follows it."""

from __future__ import annotations

from lti import link_settings as ls
from storage import Deployment, ResourceLink
from tests.support.organisations import new_organisation, new_registration


def _link(database) -> int:
    registration_id = new_registration(database, new_organisation(database))
    with database.transaction() as session:
        deployment = Deployment(registration_id=registration_id, deployment_id="1")
        session.add(deployment)
        session.flush()
        link = ResourceLink(
            deployment_id=deployment.id,
            lti_resource_link_id="link-1",
            custom={ls.ATTEMPTS: "1", "other": "kept"},
            settings={"earlier": True},
        )
        session.add(link)
        session.flush()
        return link.id


def test_what_the_teacher_saves_wins_over_the_link_s_custom_parameters(database):
    link_id = _link(database)
    with database.sessions() as session:
        link = session.get(ResourceLink, link_id)
        ls.save_link_settings(session, link, instrument="digcomp", attempts=3, share=True)
    with database.sessions() as later:  # committed
        link = later.get(ResourceLink, link_id)
        assert ls.attempts_allowed(link) == 3
        assert ls.shares_with_manager(link) is True
        assert ls.instrument_key(link) == "digcomp"
        assert link.settings["earlier"] is True  # what it did not choose is kept


def test_attempts_left_empty_means_the_custom_parameter_no_longer_limits(database):
    link_id = _link(database)
    with database.sessions() as session:
        link = session.get(ResourceLink, link_id)
        ls.save_link_settings(session, link, instrument="digcomp", attempts=None, share=False)
    with database.sessions() as later:
        link = later.get(ResourceLink, link_id)
        assert ls.attempts_allowed(link) is None
        assert ls.shares_with_manager(link) is False
