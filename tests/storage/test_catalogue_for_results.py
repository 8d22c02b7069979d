"""What a results page recommends from, and which role profile's targets a result meets."""

from __future__ import annotations

import uuid

import pytest

from competence.recommendations import Activity
from storage import LearningActivity, Organisation, RoleProfile
from storage.catalogue import activities_for, profile_targets, role_targets

DIGCOMP = "digcomp-2.2"


@pytest.fixture
def organisations(db):
    """Two new organisations, ours and another; each test rolls back what it adds."""
    made = [Organisation(slug=f"org-{uuid.uuid4().hex[:8]}", name="Kommun") for _ in "ab"]
    db.add_all(made)
    db.flush()
    return made[0].id, made[1].id


def activity(organisation_id, title, framework_key=DIGCOMP, active=True):
    return LearningActivity(
        organisation_id=organisation_id,
        title=title,
        kind="course",
        url=f"https://learn.example/{title}",
        language="sv",
        duration_minutes=30,
        framework_key=framework_key,
        builds=[{"competence": "1.1", "from_level": "1", "to_level": 3}],
        active=active,
    )


def test_a_results_page_recommends_from_its_frameworks_entries_own_and_shared(db, organisations):
    ours, theirs = organisations
    db.add_all(
        [
            activity(ours, "Own"),
            activity(ours, "Retired", active=False),
            activity(ours, "Other framework", framework_key="other"),
            activity(theirs, "Theirs"),
        ]
    )
    db.flush()

    found = activities_for(db, ours, DIGCOMP)

    own = next(a for a in found if a.title == "Own")
    assert own == Activity(
        id=own.id,
        title="Own",
        kind="course",
        url="https://learn.example/Own",
        language="sv",
        duration_minutes=30,
        builds=(("1.1", 1, 3),),
    )
    titles = {a.title for a in found}
    assert {"Own", "Retired"} <= titles
    assert not titles & {"Other framework", "Theirs"}
    db.rollback()


def profile(organisation_id, key, name, targets, framework_key=DIGCOMP):
    return RoleProfile(
        organisation_id=organisation_id,
        framework_key=framework_key,
        key=key,
        name=name,
        targets=targets,
    )


def test_a_course_links_role_profile_gives_the_targets_of_that_key_only(db, organisations):
    ours, theirs = organisations
    db.add_all(
        [
            profile(ours, "nurse", {"sv": "Sjuksköterska"}, {"1.1": 4}),
            profile(theirs, "teacher", {"sv": "Lärare"}, {"1.1": 2}),
        ]
    )
    db.flush()

    assert profile_targets(db, ours, DIGCOMP, "nurse") == {"1.1": 4}
    assert profile_targets(db, ours, "other", "nurse") == {}
    assert profile_targets(db, ours, DIGCOMP, "teacher") == {}
    db.rollback()


@pytest.mark.parametrize(
    ("role", "targets"),
    [
        ("  SJUKSKÖTERSKA ", {"1.1": 4}),  # a name in any language, case and spaces ignored
        ("Nurse", {"1.1": 4}),
        ("nurse", {"1.1": 4}),  # the key
        ("Lärare", {}),  # another organisation's profile
        ("Kock", {}),
        (None, {}),
        ("", {}),
    ],
)
def test_a_team_members_role_title_finds_the_profile_it_names(db, organisations, role, targets):
    ours, theirs = organisations
    db.add_all(
        [
            profile(ours, "nurse", {"sv": "Sjuksköterska", "en": "Nurse"}, {"1.1": 4}),
            profile(ours, "nurse-other", {"sv": "Sjuksköterska"}, {"1.1": 1}, "other"),
            profile(theirs, "teacher", {"sv": "Lärare"}, {"1.1": 2}),
        ]
    )
    db.flush()

    assert role_targets(db, ours, DIGCOMP, role) == targets
    db.rollback()
