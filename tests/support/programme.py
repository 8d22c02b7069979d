"""The seeded organisation of 200 people (lti_tool/dev_platform/programme_seed.py) under a test
platform."""

from __future__ import annotations

from sqlalchemy import select

from lti import claims as c
from lti_tool.dev_platform.programme_seed import seed_programme
from storage import Grant, Organisation, Person, PlatformRegistration

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
# Seeded people who launch in the tests: (LTI subject, employee number).
KARIN = ("dev-1003", "KARIN1003")  # team leader 3: fifteen reports, all with shared results
ANNA = ("dev-1001", "ANNA1001")  # employee 24, reports to Karin, manages nobody
MARIA = ("dev-1004", "MARIA1004")  # head of unit 0; made programme lead where a test needs it


def seed(db, platform) -> int:
    """Seed the platform's organisation; returns its id."""
    registration = db.scalar(
        select(PlatformRegistration).where(PlatformRegistration.issuer == platform.issuer)
    )
    organisation_id = registration.organisation_id
    seed_programme(db, organisation_id, platform.issuer)
    db.commit()
    return organisation_id


def make_programme_lead(db, organisation_id: int, platform, who=MARIA) -> None:
    person = db.scalar(
        select(Person).where(Person.issuer == platform.issuer, Person.subject == who[0])
    )
    db.add(Grant(organisation_id=organisation_id, person_id=person.id, role="programme_lead"))
    db.commit()


def launch_as(platform, browser, who, roles=(LEARNER,)):
    subject, number = who
    response = platform.launch(
        browser,
        sub=subject,
        email=f"{number.lower()}@seed.invalid",
        **{c.ROLES: list(roles), c.LIS: {"person_sourcedid": number}},
    )
    assert response.status_code == 200, response.text
    return response


def organisation_of(db, slug: str) -> Organisation:
    return db.scalar(select(Organisation).where(Organisation.slug == slug))
