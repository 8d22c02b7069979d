"""The shipped starting points for municipal role profiles, and the profile form's rules."""

from __future__ import annotations

from competence.frameworks import digcomp
from competence.role_profiles import about, profile_from_form, starting_point, starting_points

ROLES = {
    "administrator": ("Administratör", "Administrative officer"),
    "underskoterska": ("Undersköterska", "Assistant nurse"),
    "chef": ("Chef", "Manager"),
    "larare": ("Lärare", "Teacher"),
    "bibliotekarie": ("Bibliotekarie", "Librarian"),
    "kulturarbetare": ("Kulturarbetare", "Cultural worker"),
    "socialsekreterare": ("Socialsekreterare", "Social worker"),
}


def test_every_starting_point_sets_a_digcomp_level_for_each_of_the_21_competences():
    framework = digcomp()
    competences = {c.id for c in framework.competences}
    points = starting_points()
    assert {p.key: (p.name["sv"], p.name["en"]) for p in points} == ROLES
    for point in points:
        assert point.framework_key == framework.id
        assert set(point.targets) == competences, point.key
        assert all(1 <= level <= framework.scale.max_level for level in point.targets.values())
        assert point.why["sv"] and point.why["en"]  # why these levels, in both languages
    assert about()["sv"].startswith("Utgångspunkter")


def test_the_levels_follow_the_work():
    nurse, librarian = starting_point("underskoterska"), starting_point("bibliotekarie")
    assert librarian.targets["1.1"] > nurse.targets["1.1"]  # information searching
    assert nurse.targets["4.2"] >= 4  # sensitive personal data of clients
    assert starting_point("chef").targets["5.4"] >= 5  # sees the team's competence gaps
    assert starting_point("nobody") is None


def test_the_profile_form_keeps_levels_and_names_and_says_what_is_wrong():
    ids = ["1.1", "1.2", "2.1"]
    names, targets, problems = profile_from_form(
        {"name-sv": " Vårdbiträde ", "name-en": "", "target-1.1": "3", "target-2.1": ""}, ids, 8
    )
    assert names == {"sv": "Vårdbiträde"} and targets == {"1.1": 3} and not problems

    _, _, problems = profile_from_form({"target-1.1": "9", "target-1.2": "²"}, ids, 8)
    assert problems.names_missing and problems.bad_levels == ("1.1", "1.2")
    _, _, problems = profile_from_form({"name-sv": "X" * 101}, ids, 8)
    assert problems.name_too_long and problems.no_targets


def test_a_level_of_thousands_of_digits_is_refused_not_converted():
    _, targets, problems = profile_from_form({"name-sv": "X", "target-1.1": "9" * 4301}, ["1.1"], 8)
    assert targets == {} and problems.bad_levels == ("1.1",)
