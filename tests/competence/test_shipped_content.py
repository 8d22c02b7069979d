"""Content shipped with the tool: DigComp 2.2, its instruments and the work-system example."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from competence.frameworks import DATA, Framework, digcomp, load_framework
from competence.instruments import (
    Instrument,
    instrument_from_document,
    load_instrument,
    plain_topic,
    shipped_instruments,
)
from competence.maturity import maturity_framework, maturity_instrument

DIGCOMP_AREAS = {
    "1": "Information and data literacy",
    "2": "Communication and collaboration",
    "3": "Digital content creation",
    "4": "Safety",
    "5": "Problem solving",
}

DIGCOMP_COMPETENCES = {
    "1.1": "Browsing, searching and filtering data, information and digital content",
    "1.2": "Evaluating data, information and digital content",
    "1.3": "Managing data, information and digital content",
    "2.1": "Interacting through digital technologies",
    "2.2": "Sharing through digital technologies",
    "2.3": "Engaging citizenship through digital technologies",
    "2.4": "Collaborating through digital technologies",
    "2.5": "Netiquette",
    "2.6": "Managing digital identity",
    "3.1": "Developing digital content",
    "3.2": "Integrating and re-elaborating digital content",
    "3.3": "Copyright and licences",
    "3.4": "Programming",
    "4.1": "Protecting devices",
    "4.2": "Protecting personal data and privacy",
    "4.3": "Protecting health and well-being",
    "4.4": "Protecting the environment",
    "5.1": "Solving technical problems",
    "5.2": "Identifying needs and technological responses",
    "5.3": "Creatively using digital technologies",
    "5.4": "Identifying digital competence gaps",
}

AUTONOMY = ["not_yet", "with_help", "on_my_own", "guide_others", "expert"]

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "instruments"
WORK_SYSTEMS_FRAMEWORK = DATA / "work-systems-example.json"
WORK_SYSTEMS_INSTRUMENT = DATA / "instruments" / "work-systems-example.json"

SHIPPED_FILES = [
    DATA / "digcomp-2.2.json",
    DATA / "instruments" / "digcomp-2.2-full.json",
    DATA / "instruments" / "digcomp-2.2-short.json",
    WORK_SYSTEMS_FRAMEWORK,
    WORK_SYSTEMS_INSTRUMENT,
]


def work_systems() -> tuple[Framework, Instrument]:
    framework = load_framework(WORK_SYSTEMS_FRAMEWORK)
    return framework, load_instrument(WORK_SYSTEMS_INSTRUMENT, framework)


def framework_texts(framework: Framework):
    yield "name", framework.name
    yield "description", framework.description
    yield "attribution", framework.attribution
    for level in framework.scale.levels:
        yield f"level {level.value} name", level.name
        yield f"level {level.value} description", level.description
    for group in framework.scale.groups:
        yield f"group {group.id}", group.name
    for area in framework.areas:
        yield f"area {area.id} name", area.name
        yield f"area {area.id} description", area.description
        for competence in area.competences:
            yield f"competence {competence.id} name", competence.name
            yield f"competence {competence.id} description", competence.description


def instrument_texts(instrument: Instrument):
    yield "name", instrument.name
    yield "description", instrument.description
    for item in instrument.items:
        yield f"item {item.id}", item.text
        if item.topic:
            yield f"item {item.id} topic", item.topic
        if item.help:
            yield f"item {item.id} help", item.help
        for option in item.options:
            yield f"item {item.id} option {option.id}", option.text


def assert_bilingual(texts) -> None:
    missing = [
        where
        for where, text in texts
        if not all(text.get(language, "").strip() for language in ("sv", "en"))
    ]
    assert missing == []


def test_digcomp_has_the_five_areas_with_their_english_names():
    framework = digcomp()
    assert framework.id == "digcomp-2.2"
    assert framework.version == "2.2"
    assert {area.id: area.name["en"] for area in framework.areas} == DIGCOMP_AREAS
    assert [area.id for area in framework.areas] == list(DIGCOMP_AREAS)


def test_digcomp_has_the_21_competences_with_their_ids_and_english_names():
    framework = digcomp()
    assert [c.id for c in framework.competences] == list(DIGCOMP_COMPETENCES)
    assert {c.id: c.name["en"] for c in framework.competences} == DIGCOMP_COMPETENCES
    for competence in framework.competences:
        assert competence.area_id == competence.id.split(".")[0]


def test_digcomp_scale_has_eight_levels_in_four_groups():
    scale = digcomp().scale
    assert [level.value for level in scale.levels] == list(range(1, 9))
    assert [group.id for group in scale.groups] == [
        "foundation",
        "intermediate",
        "advanced",
        "highly_specialised",
    ]
    assert [level.group for level in scale.levels] == [
        "foundation",
        "foundation",
        "intermediate",
        "intermediate",
        "advanced",
        "advanced",
        "highly_specialised",
        "highly_specialised",
    ]
    assert scale.max_level == 8


def test_digcomp_credits_its_source():
    framework = digcomp()
    assert framework.licence == "CC-BY-4.0"
    assert framework.source["url"] == (
        "https://publications.jrc.ec.europa.eu/repository/handle/JRC128415"
    )
    assert framework.source["year"] == 2022
    assert "DigComp 2.2" in framework.attribution["sv"]
    assert "DigComp 2.2" in framework.attribution["en"]


def test_every_framework_text_is_in_swedish_and_english():
    assert_bilingual(framework_texts(digcomp()))
    assert_bilingual(framework_texts(work_systems()[0]))


@pytest.mark.parametrize("instrument_id", ["digcomp-2.2-full", "digcomp-2.2-short"])
def test_every_instrument_text_is_in_swedish_and_english(instrument_id):
    assert_bilingual(instrument_texts(shipped_instruments()[instrument_id]))


def test_every_work_system_instrument_text_is_in_swedish_and_english():
    assert_bilingual(instrument_texts(work_systems()[1]))


def test_the_shipped_digcomp_instruments_are_the_full_and_the_short_one():
    assert set(shipped_instruments()) == {"digcomp-2.2-full", "digcomp-2.2-short"}


# Statements of version 1 that asked two things at once (its questions 8, 11, 40, 41 and 53),
# each split in two in version 2, in its place, under new ids.
SPLIT = {"1.3-b": 8, "2.1-b": 11, "4.1-a": 40, "4.1-b": 41, "5.1-b": 53}


def full_item_ids() -> list[str]:
    ids = []
    for competence in DIGCOMP_COMPETENCES:
        for suffix in "abk":
            old = f"{competence}-{suffix}"
            ids += [old + "1", old + "2"] if old in SPLIT else [old]
    return ids


def test_full_instrument_has_self_ratings_and_one_question_per_competence():
    instrument = shipped_instruments()["digcomp-2.2-full"]
    assert instrument.framework_id == "digcomp-2.2"
    assert instrument.version == "2"
    assert len(instrument.items) == 63 + len(SPLIT) == 68
    # Ordered by competence: -a, -b, -k for 1.1, then 1.2, ...; a split statement's halves
    # in its place (-b1, -b2).
    assert [item.id for item in instrument.items] == full_item_ids()
    assert {c for c, n in Counter(i.competence_id for i in instrument.items).items() if n > 3} == {
        "1.3",
        "2.1",
        "4.1",
        "5.1",
    }
    for item in instrument.items:
        suffix = item.id.rsplit("-", 1)[1]
        if suffix == "k":
            assert item.kind == "knowledge"
        else:
            assert item.kind == "self_rating"
            assert [option.id for option in item.options] == AUTONOMY
            expected = [0, 1, 3, 5, 7] if suffix[0] == "a" else [0, 2, 4, 6, 8]
            assert [option.level for option in item.options] == expected


def test_double_questions_are_split():
    """Each statement of version 1 that asked two things is now two statements, each asking
    one (no "och"/"and" joining two abilities), in both languages."""
    old = json.loads((FIXTURES / "digcomp-2.2-full-v1.json").read_text(encoding="utf-8"))
    old_numbers = {item["id"]: number for number, item in enumerate(old["items"], start=1)}
    assert {item_id: old_numbers[item_id] for item_id in SPLIT} == SPLIT
    instrument = shipped_instruments()["digcomp-2.2-full"]
    for old_id in SPLIT:
        assert instrument.item(old_id) is None  # old attempts keep their own version
        halves = [instrument.item(old_id + "1"), instrument.item(old_id + "2")]
        assert all(halves), old_id
        for half in halves:
            for language, joiner in (("sv", " och jag "), ("en", " and I ")):
                assert joiner not in half.text[language], half.id
            assert half.text["sv"].startswith("Jag ") and half.text["en"].startswith("I ")
        assert halves[0].text != halves[1].text


def test_full_instrument_questions_have_one_correct_option_that_is_not_dont_know():
    instrument = shipped_instruments()["digcomp-2.2-full"]
    questions = [item for item in instrument.items if item.kind == "knowledge"]
    assert len(questions) == 21
    for item in questions:
        ids = [option.id for option in item.options]
        assert len(ids) in (3, 4), item.id
        assert ids == list("abcd"[: len(ids)]), item.id
        dont_know = item.options[-1]
        assert dont_know.text["sv"] == "Vet inte", item.id
        assert dont_know.text["en"] == "I don't know", item.id
        assert item.correct in ids, item.id
        assert item.correct != dont_know.id, item.id


def test_short_instrument_has_one_self_rating_per_competence():
    instrument = shipped_instruments()["digcomp-2.2-short"]
    assert instrument.framework_id == "digcomp-2.2"
    assert [item.id for item in instrument.items] == [f"{c}-s" for c in DIGCOMP_COMPETENCES]
    assert [item.competence_id for item in instrument.items] == list(DIGCOMP_COMPETENCES)
    for item in instrument.items:
        assert item.kind == "self_rating"
        assert [option.id for option in item.options] == AUTONOMY
        assert [option.level for option in item.options] == [0, 1, 3, 5, 7]


def test_instrument_durations():
    """The stated time is what a walk at a human pace measured (bench/assessment_walk.py):
    short 7.4 (sv) and 7.6 (en) minutes, full 27.5 and 28.9 (it said "about 5" and "about 18")."""
    instruments = shipped_instruments()
    assert instruments["digcomp-2.2-full"].estimated_minutes == 29
    assert instruments["digcomp-2.2-short"].estimated_minutes == 8


def test_work_system_example_loads_with_one_level_choice_per_system():
    framework, instrument = work_systems()
    assert framework.id == "work-systems-example"
    assert [level.value for level in framework.scale.levels] == [1, 2, 3, 4]
    assert [area.id for area in framework.areas] == ["comm", "case"]
    assert [c.id for c in framework.competences] == [
        "email-calendar",
        "teams",
        "intranet",
        "case-management",
        "hr-system",
        "e-services",
    ]
    assert instrument.id == "work-systems-example"
    assert instrument.framework_id == "work-systems-example"
    assert [item.competence_id for item in instrument.items] == [
        c.id for c in framework.competences
    ]
    for item in instrument.items:
        assert item.kind == "level_choice"
        assert item.options[0].id == "none"
        assert [option.level for option in item.options] == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("path", SHIPPED_FILES, ids=lambda path: path.name)
def test_shipped_files_are_utf8_json_indented_by_two_spaces(path):
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), ensure_ascii=False, indent=2) + "\n"


def shown_label(instrument: Instrument, framework: Framework, item) -> dict:
    """What the question page shows above the question (lti_tool.assessment._topic)."""
    return plain_topic(instrument, item) or framework.competence(item.competence_id).name


def words(text: str) -> set[str]:
    """The word stems of a text: its words of 4 letters or more, cut to 4 (e-ID stays)."""
    return {w[:4].lower() for w in re.findall(r"[\w-]+", text) if len(w) >= 4 or "-" in w}


def every_shipped_item():
    for instrument in shipped_instruments().values():
        for item in instrument.items:
            yield instrument, digcomp(), item
    for item in maturity_instrument().items:
        yield maturity_instrument(), maturity_framework(), item
    framework, instrument = work_systems()
    for item in instrument.items:
        yield instrument, framework, item


def test_question_label_matches_what_is_asked():
    """The line above each question names what it asks, in plain words in both languages:
    it shares a word with the question or its answers. Every DigComp item has a label of its
    own: the official competence name misleads ("Programmering" above a question about an
    e-mail rule)."""
    mismatched = []
    for instrument, framework, item in every_shipped_item():
        label = shown_label(instrument, framework, item)
        for language in ("sv", "en"):
            asked = item.text[language] + " " + " ".join(o.text[language] for o in item.options)
            if not label.get(language, "").strip() or not words(label[language]) & words(asked):
                mismatched.append((instrument.id, item.id, language, label.get(language)))
        if instrument.framework_id == "digcomp-2.2":
            assert item.topic, (instrument.id, item.id)
    assert mismatched == []
    full = shipped_instruments()["digcomp-2.2-full"]
    assert full.item("3.4-a").topic == {"sv": "Regler i e-posten", "en": "Rules in your e-mail"}


def test_an_older_version_shows_the_labels_of_the_shipped_one():
    """An attempt started on version 1 (before labels) still gets the plain label."""
    old = instrument_from_document(
        json.loads((FIXTURES / "digcomp-2.2-full-v1.json").read_text(encoding="utf-8")), digcomp()
    )
    assert old.version == "1" and not old.item("3.4-a").topic
    assert plain_topic(old, old.item("3.4-a"))["sv"] == "Regler i e-posten"
