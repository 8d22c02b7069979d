"""HR's organisation made by hand for tests: units, employees and who manages whom.

Without the HR import: rows are created directly, with the e-mail (or employee
number = `lis.person_sourcedid`) the test platform sends, so a launch links the
person to their employee as it would after a real import.
"""

from __future__ import annotations

from sqlalchemy import select

from lti import claims as c
from storage import Organisation
from storage.catalogue import LearningActivity
from storage.frameworks import RoleProfile
from storage.staff import Employee, Employment, Grant, SharedInstrument, Unit

LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
ADMINISTRATOR = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


def organisation(db, slug: str) -> Organisation:
    return db.scalar(select(Organisation).where(Organisation.slug == slug))


def unit(db, org: Organisation, code: str = "U1", name: str = "Hemtjänst Norr") -> Unit:
    found = db.scalar(select(Unit).where(Unit.organisation_id == org.id, Unit.code == code))
    if found is None:
        found = Unit(organisation_id=org.id, code=code, name=name)
        db.add(found)
        db.flush()
    return found


def employee(
    db,
    org: Organisation,
    number: str,
    name: str,
    *,
    email: str | None = None,
    manager: Employee | None = None,
    role_title: str | None = None,
    unit_code: str = "U1",
) -> Employee:
    """An employee with a current employment (unit, manager, yrkesroll), committed."""
    row = Employee(
        organisation_id=org.id,
        employee_number=number,
        name=name,
        email=(email or "").lower() or None,
    )
    db.add(row)
    db.flush()
    db.add(
        Employment(
            employee_id=row.id,
            unit_id=unit(db, org, unit_code).id,
            manager_id=manager.id if manager else None,
            role_title=role_title,
        )
    )
    db.commit()
    return row


def grant(db, org: Organisation, person_id: int, role: str) -> None:
    db.add(Grant(organisation_id=org.id, person_id=person_id, role=role))
    db.commit()


def share_with_managers(db, org: Organisation, instrument_key: str) -> None:
    db.add(SharedInstrument(organisation_id=org.id, instrument_key=instrument_key))
    db.commit()


def role_profile(db, org: Organisation, key: str, name: str, targets: dict[str, int]):
    profile = RoleProfile(
        organisation_id=org.id,
        framework_key="digcomp-2.2",
        key=key,
        name={"sv": name, "en": name},
        targets=targets,
    )
    db.add(profile)
    db.commit()
    return profile


def activity(
    db,
    org: Organisation | None,
    title: str,
    builds: list[tuple[str, int, int]],
    *,
    kind: str = "course",
    language: str = "sv",
    roles: list[str] | None = None,
    duration: int | None = 60,
    url: str | None = "https://moodle.example.invalid/course/view.php?id=7",
) -> LearningActivity:
    row = LearningActivity(
        organisation_id=org.id if org else None,
        title=title,
        kind=kind,
        url=url,
        language=language,
        duration_minutes=duration,
        framework_key="digcomp-2.2",
        builds=[{"competence": cid, "from_level": a, "to_level": b} for cid, a, b in builds],
        roles=roles or [],
    )
    db.add(row)
    db.commit()
    return row


def person_claims(sub: str, name: str, email: str, *, admin: bool = False, **extra) -> dict:
    """Claims for TestPlatform.launch: who launches (and links to the employee by e-mail)."""
    given, _, family = name.partition(" ")
    return {
        "sub": sub,
        "name": name,
        "given_name": given,
        "family_name": family,
        "email": email,
        c.ROLES: [ADMINISTRATOR if admin else LEARNER],
        **extra,
    }


def maja_and_her_team(db) -> dict:
    """The plan and team tests' organisation: Maja Chef (E10) manages Anna Andersson (E11,
    undersköterska) and Bo Berg (E12)."""
    org = organisation(db, "test-org")
    maja = employee(db, org, "E10", "Maja Chef", email="maja@example.invalid")
    anna = employee(
        db,
        org,
        "E11",
        "Anna Andersson",
        email="anna@example.invalid",
        manager=maja,
        role_title="Undersköterska",
    )
    bo = employee(db, org, "E12", "Bo Berg", email="bo@example.invalid", manager=maja)
    return {"org": org, "maja": maja, "anna": anna, "bo": bo}
