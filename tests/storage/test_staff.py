"""An organisation admin grants and withdraws the programme-lead and organisation-admin
roles; only their own organisation's people can be given one."""

from __future__ import annotations

from storage.staff import (
    grant_role,
    grants_of,
    organisation_grant,
    organisation_grants,
    organisation_person,
    withdraw_grant,
)
from tests.support.organisations import new_organisation, new_person


def test_granting_a_role_twice_gives_it_once(database):
    ours = new_organisation(database)
    anna = new_person(database, ours)
    with database.sessions() as session:
        person = organisation_person(session, ours, anna)
        grant_role(session, person, "programme_lead", by_person_id=anna)
        grant_role(session, person, "programme_lead", by_person_id=anna)
    with database.sessions() as later:  # committed
        assert [g.role for g in organisation_grants(later, ours)] == ["programme_lead"]
        assert grants_of(later, anna) == {"programme_lead"}


def test_another_organisation_s_person_and_grant_do_not_exist_for_the_admin(database):
    ours, theirs = new_organisation(database), new_organisation(database)
    bo = new_person(database, theirs, "Bo Ström")
    with database.sessions() as session:
        assert organisation_person(session, ours, bo) is None
        grant_role(session, organisation_person(session, theirs, bo), "organisation_admin",
                   by_person_id=bo)  # fmt: skip
        grant = organisation_grants(session, theirs)[0]
        assert organisation_grant(session, ours, grant.id) is None
        assert organisation_grant(session, theirs, grant.id) is grant


def test_a_withdrawn_role_is_gone(database):
    ours = new_organisation(database)
    anna = new_person(database, ours)
    with database.sessions() as session:
        grant_role(session, organisation_person(session, ours, anna), "organisation_admin",
                   by_person_id=anna)  # fmt: skip
        withdraw_grant(session, organisation_grants(session, ours)[0])
    with database.sessions() as later:
        assert grants_of(later, anna) == set()
