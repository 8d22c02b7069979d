"""Frameworks to and from JSON and Moodle's competency framework CSV (tool_lpimportcsv): JSON and
the export. The import is tests/competence/test_framework_io_moodle_import.py, the round-trip
properties tests/competence/test_framework_io_properties.py."""

from __future__ import annotations

import codecs
import json

import pytest

from competence.framework_io import (
    ImportRejected,
    default_proficient_from,
    framework_from_json,
    framework_from_moodle_csv,
    framework_to_json,
    framework_to_moodle_csv,
    read_moodle_csv,
)
from competence.frameworks import framework_from_document
from competence.texts import LANGUAGES, DocumentError
from tests.competence.framework_samples import (
    MOODLE_HEADERS,
    SYSTEMS,
    SYSTEMS_DOCUMENT,
    moodle_rows,
    text,
)

# --- JSON ---------------------------------------------------------------------------------


def test_json_round_trip_keeps_the_document():
    exported = framework_to_json(SYSTEMS)
    assert json.loads(exported) == SYSTEMS_DOCUMENT
    again = framework_from_json(exported)
    assert again == SYSTEMS
    assert framework_to_json(again) == exported


def test_json_is_readable_utf8_with_or_without_bom():
    exported = framework_to_json(SYSTEMS)
    assert "Våra system" in exported and exported.startswith('{\n  "id"')
    assert framework_from_json(codecs.BOM_UTF8 + exported.encode()) == SYSTEMS
    assert framework_from_json("\ufeff" + exported) == SYSTEMS


def test_json_syntax_error_has_a_line():
    broken = framework_to_json(SYSTEMS).replace('"version": "2",', '"version": "2"', 1)
    with pytest.raises(ImportRejected) as caught:
        framework_from_json(broken)
    assert caught.value.errors[0].line == 4  # where the missing comma was expected
    assert "not valid JSON" in caught.value.errors[0].message


def test_json_content_error_has_a_path():
    document = json.loads(framework_to_json(SYSTEMS))
    document["areas"][1]["competences"][0]["id"] = "admin.sis"
    with pytest.raises(DocumentError, match=r"areas\[1\]\.competences\[0\]\.id: 'admin.sis'"):
        framework_from_json(json.dumps(document))


def test_json_bytes_that_are_not_utf8_are_refused_by_line():
    content = framework_to_json(SYSTEMS).encode().replace("Våra".encode(), b"V\xe5ra")
    with pytest.raises(ImportRejected) as caught:
        framework_from_json(content)
    assert [e.line for e in caught.value.errors] == [5]


# --- Moodle CSV: export -------------------------------------------------------------------


def test_moodle_header_row_is_moodles():
    exported = framework_to_moodle_csv(SYSTEMS)
    assert moodle_rows(exported)[0] == MOODLE_HEADERS
    # Quoted only where needed, as PHP's fputcsv in Moodle's exporter; Moodle reads either.
    assert exported.startswith(",".join(MOODLE_HEADERS) + "\n")


def test_moodle_framework_row_carries_scale_and_configuration():
    rows = moodle_rows(framework_to_moodle_csv(SYSTEMS, language="en", proficient_from=2))
    framework = rows[1]
    assert framework[:6] == [
        "",
        "systems",
        "Our systems",
        "Competence in our systems.",
        "2",
        "Basic,Intermediate,Advanced,Expert",
    ]
    assert framework[12:] == ["1", "domain,competency"]
    configuration = json.loads(framework[6])
    # Moodle's format: the scale id first, then the marked values by 1-based position.
    assert list(configuration[0]) == ["scaleid"]
    assert configuration[1:] == [
        {"id": 2, "scaledefault": 1, "proficient": 1},
        {"id": 3, "scaledefault": 0, "proficient": 1},
        {"id": 4, "scaledefault": 0, "proficient": 1},
    ]
    assert all(row[12] == "" and len(row) == 14 for row in rows[2:])


def test_moodle_areas_are_top_level_and_competences_under_them():
    rows = moodle_rows(framework_to_moodle_csv(SYSTEMS))
    assert [(row[0], row[1], row[2]) for row in rows[2:]] == [
        ("", "area:admin", "Administration"),
        ("area:admin", "admin.sis", "Elevregistret"),
        ("area:admin", "admin.hr", "Personalsystemet"),
        ("", "area:teaching", "Undervisning"),
        ("area:teaching", "teaching.lms", "Lärplattformen"),
    ]
    # As Moodle's own exporter writes a competency without rule or scale of its own.
    assert rows[3][4:12] == ["2", "", "", "", "0", "null", "", ""]


@pytest.mark.parametrize("language", LANGUAGES)
def test_moodle_export_import_export_is_the_same(language):
    exported = framework_to_moodle_csv(SYSTEMS, language=language)
    imported = read_moodle_csv(exported, language=language)
    assert imported.proficient_from == 1
    assert imported.framework.name == {language: SYSTEMS.name[language]}
    assert [c.id for c in imported.framework.competences] == [c.id for c in SYSTEMS.competences]
    again = framework_to_moodle_csv(
        imported.framework, language=language, proficient_from=imported.proficient_from
    )
    assert again == exported


def test_moodle_texts_with_commas_quotes_newlines_and_swedish_letters_survive():
    tricky = 'Åsa säger: "hej, världen"\nrad två, med ö\n\n"citat"'
    document = json.loads(framework_to_json(SYSTEMS))
    document["description"] = {"sv": tricky}
    document["areas"][0]["name"] = {"sv": 'Område "A", ärenden'}
    document["areas"][0]["competences"][0]["description"] = {"sv": tricky + ","}
    exported = framework_to_moodle_csv(framework_from_document(document))
    rows = moodle_rows(exported)
    assert rows[1][3] == tricky
    assert rows[2][2] == 'Område "A", ärenden'
    imported = framework_from_moodle_csv(exported.encode("utf-8"))
    assert imported.description == {"sv": tricky}
    assert imported.areas[0].name == {"sv": 'Område "A", ärenden'}
    assert imported.competence("admin.sis").description == {"sv": tricky + ","}


def test_moodle_export_uses_the_other_language_where_one_is_missing():
    document = json.loads(framework_to_json(SYSTEMS))
    document["areas"][1]["competences"][0]["name"] = {"sv": "  ", "en": "Learning platform"}
    rows = moodle_rows(framework_to_moodle_csv(framework_from_document(document), "sv"))
    assert rows[-1][2] == "Learning platform"


def test_default_proficiency_starts_at_the_second_level_group():
    document = json.loads(framework_to_json(SYSTEMS))
    document["scale"]["groups"] = [
        {"id": "foundation", "name": text("Grund", "Foundation")},
        {"id": "intermediate", "name": text("Medel", "Intermediate")},
    ]
    for level, group in zip(
        document["scale"]["levels"],
        ["foundation", "foundation", "intermediate", "intermediate"],
        strict=True,
    ):
        level["group"] = group
    grouped = framework_from_document(document)
    assert default_proficient_from(grouped.scale) == 3
    assert default_proficient_from(SYSTEMS.scale) == 1
    configuration = json.loads(moodle_rows(framework_to_moodle_csv(grouped))[1][6])
    assert [(c["id"], c["scaledefault"]) for c in configuration[1:]] == [(3, 1), (4, 0)]
    assert read_moodle_csv(framework_to_moodle_csv(grouped)).proficient_from == 3


def test_moodle_export_refuses_what_moodle_would_change():
    document = json.loads(framework_to_json(SYSTEMS))
    document["scale"]["levels"][0]["name"]["sv"] = "Grund, nybörjare"
    document["areas"][0]["name"]["sv"] = "x" * 101
    with pytest.raises(DocumentError) as caught:
        framework_to_moodle_csv(framework_from_document(document))
    assert "commas" in str(caught.value) and "100 characters" in str(caught.value)
    with pytest.raises(ValueError, match="proficient_from"):
        framework_to_moodle_csv(SYSTEMS, proficient_from=5)
