"""Any framework survives a JSON round trip, and a Moodle CSV round trip in one language
(property-based, with Hypothesis)."""

from __future__ import annotations

import codecs
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from competence.framework_io import (
    default_proficient_from,
    framework_from_json,
    framework_to_json,
    framework_to_moodle_csv,
    read_moodle_csv,
)
from competence.frameworks import Area, Competence, Framework, Level, Scale, framework_from_document
from competence.texts import LANGUAGES

IDS = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,11}\Z")
CHARACTERS = st.one_of(
    st.sampled_from(",;\"'\r\n\t åäöÅÄÖ\\<>&"),
    st.characters(exclude_categories=("Cs",)),
)
ANY_TEXT = st.text(CHARACTERS, max_size=40)
NAMES = ANY_TEXT.filter(str.strip)
LEVEL_NAMES = st.text(CHARACTERS.filter(lambda c: c != ","), max_size=20).filter(str.strip)


def translations(names: st.SearchStrategy[str]) -> st.SearchStrategy[dict]:
    """Swedish or English present (require_text), the other maybe missing or blank."""
    maybe = st.one_of(names, st.sampled_from(["", "  "]))
    return st.one_of(
        st.fixed_dictionaries({"sv": names}, optional={"en": maybe}),
        st.fixed_dictionaries({"en": names}, optional={"sv": maybe}),
        st.fixed_dictionaries({"sv": names, "en": names}),
    )


DESCRIPTIONS = st.one_of(st.just({}), translations(NAMES))


@st.composite
def framework_documents(draw) -> dict:
    sizes = draw(st.lists(st.integers(1, 3), min_size=1, max_size=4))
    area_ids = draw(st.lists(IDS, min_size=len(sizes), max_size=len(sizes), unique=True))
    competence_ids = iter(
        draw(st.lists(IDS, min_size=sum(sizes), max_size=sum(sizes), unique=True))
    )
    group_ids = draw(st.lists(IDS, max_size=3, unique=True))
    groups = st.sampled_from(group_ids) if group_ids else st.none()
    return {
        "id": draw(IDS),
        "version": draw(IDS),
        "name": draw(translations(NAMES)),
        "description": draw(DESCRIPTIONS),
        "source": draw(st.one_of(st.just({}), st.fixed_dictionaries({"title": ANY_TEXT}))),
        "licence": draw(ANY_TEXT),
        "attribution": draw(DESCRIPTIONS),
        "scale": {
            "levels": [
                {
                    "value": value,
                    "name": draw(translations(LEVEL_NAMES)),
                    "group": draw(st.one_of(st.none(), groups)),
                    "description": draw(DESCRIPTIONS),
                }
                for value in range(1, draw(st.integers(2, 8)) + 1)
            ],
            "groups": [{"id": g, "name": draw(translations(NAMES))} for g in group_ids],
        },
        "areas": [
            {
                "id": area_id,
                "name": draw(translations(NAMES)),
                "description": draw(DESCRIPTIONS),
                "competences": [
                    {
                        "id": next(competence_ids),
                        "name": draw(translations(NAMES)),
                        "description": draw(DESCRIPTIONS),
                    }
                    for _ in range(size)
                ],
            }
            for area_id, size in zip(area_ids, sizes, strict=True)
        ],
    }


def in_language(value: dict, language: str) -> str:
    """What a one-language export shows: the language, else another non-blank text, with line
    breaks as Moodle stores them (LF)."""
    chosen = next(
        (value[k] for k in (language, "sv", "en", *value) if value.get(k, "").strip()), ""
    )
    return re.sub(r"\r\n?", "\n", chosen)


def as_moodle_keeps_it(framework: Framework, language: str) -> Framework:
    """The framework reduced to what Moodle's CSV carries in one language."""

    def one(value: dict) -> dict:
        chosen = in_language(value, language)
        return {language: chosen} if chosen else {}

    return Framework(
        id=framework.id,
        version="1",
        name=one(framework.name),
        description=one(framework.description),
        scale=Scale(
            levels=tuple(
                Level(value=level.value, name={language: in_language(level.name, language).strip()})
                for level in framework.scale.levels
            )
        ),
        areas=tuple(
            Area(
                id=area.id,
                name=one(area.name),
                description=one(area.description),
                competences=tuple(
                    Competence(
                        id=c.id, name=one(c.name), description=one(c.description), area_id=area.id
                    )
                    for c in area.competences
                ),
            )
            for area in framework.areas
        ),
    )


@settings(max_examples=60, deadline=None)
@given(framework_documents())
def test_json_round_trip_is_lossless(document):
    framework = framework_from_document(document)
    exported = framework_to_json(framework)
    again = framework_from_json(exported)
    assert again == framework
    assert framework_to_json(again) == exported


@settings(max_examples=60, deadline=None)
@given(framework_documents(), st.sampled_from(LANGUAGES), st.data())
def test_moodle_csv_round_trip_is_lossless_in_one_language(document, language, data):
    framework = framework_from_document(document)
    proficient_from = data.draw(st.one_of(st.none(), st.integers(1, framework.scale.max_level)))
    exported = framework_to_moodle_csv(framework, language, proficient_from)
    imported = read_moodle_csv(codecs.BOM_UTF8 + exported.encode("utf-8"), language=language)
    assert imported.framework == as_moodle_keeps_it(framework, language)
    expected_from = proficient_from or default_proficient_from(framework.scale)
    assert imported.proficient_from == expected_from
    assert framework_to_moodle_csv(imported.framework, language, expected_from) == exported
