"""Plain words for a result (competence.plain_language): every framework the shipped
instruments use has short names, every level in plain words and a text for work, in Swedish
and English; an organisation's own framework falls back to what its document says."""

from __future__ import annotations

import json

import pytest

from competence.frameworks import DATA, digcomp, framework_from_document, load_framework
from competence.plain_language import (
    at_work,
    level_words,
    scale_words,
    short_name,
    without_soft_hyphens,
)
from competence.radar_layout import text_width, wrap

SHIPPED = ["digcomp-2.2", "work-systems-example", "digital-maturity"]
INSTRUMENT_FRAMEWORKS = {
    json.loads(path.read_text(encoding="utf-8"))["framework"]
    for path in (DATA / "instruments").glob("*.json")
}


def test_the_words_cover_every_framework_a_shipped_instrument_uses():
    assert set(SHIPPED) == INSTRUMENT_FRAMEWORKS


@pytest.mark.parametrize("framework_id", SHIPPED)
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_every_level_has_a_plain_name_and_meaning_and_every_band_a_text_for_work(
    framework_id, lang
):
    framework = load_framework(DATA / f"{framework_id}.json")
    words = scale_words(framework, lang)

    assert [w.value for w in words] == list(range(framework.scale.max_level + 1))
    for level in words:
        assert level.name and level.description, (framework_id, lang, level)
        assert level.description[0].islower()  # it follows "Nivå 2 – Grundläggande: "
        assert level.sentence[0].isupper() and level.description.endswith(".")
        assert len(level.description) <= 110  # short enough to read at a glance
        text = at_work(framework, level.value, lang)
        assert 40 <= len(text) <= 260, (framework_id, level.value)
    assert len({at_work(framework, v, lang) for v in range(framework.scale.max_level + 1)}) >= 3


@pytest.mark.parametrize("framework_id", SHIPPED)
@pytest.mark.parametrize("lang", ["sv", "en"])
def test_short_names_fit_a_spoke_of_the_chart(framework_id, lang):
    framework = load_framework(DATA / f"{framework_id}.json")
    for competence in framework.competences:
        name = short_name(framework, competence.id, lang)
        assert name and len(without_soft_hyphens(name)) <= 26, name
        # On the phone's chart (12 px, labels up to about 82 px) at most three lines.
        lines = wrap(name, 12, 343 * 0.24)
        assert len(lines) <= 3 and max(text_width(line, 12) for line in lines) <= 120, lines


def test_the_example_from_the_issue_reads_as_asked():
    framework = digcomp()
    two = level_words(framework, 2, "sv")
    assert (two.name, two.description) == (
        "Grundläggande",
        "du klarar enkla uppgifter, mest på egen hand och ibland med stöd.",
    )
    assert level_words(framework, 8, "en").name == "Highly specialised"
    assert short_name(framework, "3.4", "sv") == "Automatisera"  # not "Programmering"


def test_an_organisations_own_framework_falls_back_to_its_own_words():
    framework = framework_from_document(
        {
            "id": "our-systems",
            "name": {"sv": "Våra system"},
            "scale": {
                "levels": [
                    {"value": 1, "name": {"sv": "Ny"}, "description": {"sv": "Du är ny."}},
                    {"value": 2, "name": {"sv": "Van"}},
                    {"value": 3, "name": {"sv": "Expert"}},
                ]
            },
            "areas": [
                {
                    "id": "a",
                    "name": {"sv": "System"},
                    "competences": [{"id": "crm", "name": {"sv": "Kundsystemet"}}],
                }
            ],
        }
    )

    assert short_name(framework, "crm", "sv") == "Kundsystemet"
    assert level_words(framework, 1, "sv").description == "du är ny."
    assert (level_words(framework, 2, "sv").name, level_words(framework, 2, "sv").description) == (
        "Van",
        "",
    )
    assert level_words(framework, 0, "sv").name == "Inte än"
    assert at_work(framework, 0, "sv").startswith("Det är helt i sin ordning att börja här")
    assert at_work(framework, 3, "en").startswith("You know a lot")


def test_a_long_word_breaks_at_its_soft_hyphen_only_when_spaces_do_not_fit():
    name = "Skydda person\u00aduppgifter"
    assert wrap(name, 14, 160) == ["Skydda", "personuppgifter"]
    assert wrap(name, 12, 82) == ["Skydda", "person-", "uppgifter"]
    assert wrap("Söka information", 12, 82) == ["Söka", "information"]  # as before
