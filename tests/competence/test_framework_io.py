"""Frameworks to and from JSON and Moodle's competency framework CSV (tool_lpimportcsv)."""

from __future__ import annotations

import codecs
import csv
import io
import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from competence.framework_io import (
    ImportRejected,
    RowError,
    default_proficient_from,
    framework_from_json,
    framework_from_moodle_csv,
    framework_to_json,
    framework_to_moodle_csv,
    read_moodle_csv,
)
from competence.frameworks import Area, Competence, Framework, Level, Scale, framework_from_document
from competence.texts import LANGUAGES, DocumentError

# lang/en/tool_lpimportcsv.php, in framework_importer::list_required_headers() order.
MOODLE_HEADERS = [
    "Parent ID number",
    "ID number",
    "Short name",
    "Description",
    "Description format",
    "Scale values",
    "Scale configuration",
    "Rule type (optional)",
    "Rule outcome (optional)",
    "Rule config (optional)",
    "Cross-referenced competency ID numbers",
    "Exported ID (optional)",
    "Is framework",
    "Taxonomy",
]
HEADER_LINE = ",".join(f'"{h}"' if " " in h or "-" in h else h for h in MOODLE_HEADERS)
SCALE_CONFIGURATION = '"[{""scaleid"":0},{""id"":1,""scaledefault"":1,""proficient"":1}]"'


def text(sv: str, en: str) -> dict:
    return {"sv": sv, "en": en}


LEVELS = [("Grundläggande", "Basic"), ("Mellan", "Intermediate"), ("Avancerad", "Advanced")]
SYSTEMS_DOCUMENT = {
    "id": "systems",
    "version": "2",
    "name": text("Våra system", "Our systems"),
    "description": text("Kompetens i verksamhetens system.", "Competence in our systems."),
    "source": {"title": "Intern", "url": "https://example.org/systems"},
    "licence": "CC-BY-4.0",
    "attribution": text("Skolan", "The school"),
    "scale": {
        "levels": [
            {"value": value, "name": text(sv, en), "group": None, "description": {}}
            for value, (sv, en) in enumerate([*LEVELS, ("Expert", "Expert")], start=1)
        ],
        "groups": [],
    },
    "areas": [
        {
            "id": "admin",
            "name": text("Administration", "Administration"),
            "description": text("Schema, närvaro, betyg.", "Timetables, attendance, grades."),
            "competences": [
                {
                    "id": "admin.sis",
                    "name": text("Elevregistret", "Student register"),
                    "description": {},
                },
                {
                    "id": "admin.hr",
                    "name": text("Personalsystemet", "HR system"),
                    "description": text("Ledighet, lön", "Leave, pay"),
                },
            ],
        },
        {
            "id": "teaching",
            "name": text("Undervisning", "Teaching"),
            "description": {},
            "competences": [
                {
                    "id": "teaching.lms",
                    "name": text("Lärplattformen", "Learning platform"),
                    "description": text("Kurser och uppgifter.", "Courses and assignments."),
                },
            ],
        },
    ],
}
SYSTEMS = framework_from_document(SYSTEMS_DOCUMENT)


def moodle_rows(content: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content, newline="")))


def rejected_lines(content: str | bytes, **options) -> list[int]:
    with pytest.raises(ImportRejected) as caught:
        framework_from_moodle_csv(content, **options)
    return [error.line for error in caught.value.errors]


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


# --- Moodle CSV: import -------------------------------------------------------------------


def test_moodle_import_accepts_a_bom_and_excels_line_endings():
    exported = framework_to_moodle_csv(SYSTEMS)
    # Excel: a BOM, CR LF, and blank lines at the end, which Moodle trims away.
    excel = codecs.BOM_UTF8 + (exported + "\n  \n").replace("\n", "\r\n").encode("utf-8")
    assert framework_from_moodle_csv(excel) == framework_from_moodle_csv(exported)
    assert framework_from_moodle_csv("\ufeff" + exported).id == "systems"


def test_moodle_import_reports_every_bad_row_in_order():
    content = "\n".join(
        [
            HEADER_LINE,  # 1
            f',fw,Ramverk,"Två\nrader",2,"A,B",{SCALE_CONFIGURATION},,,,,,1,"domain,competency"',
            ",area:a,Område A,,2,,,,0,null,,,,",  # 4
            "area:a,a.1,Kompetens,,2,,,,0,null,,,,",  # 5
            'area:a,,Utan id,"flera\nrader\nhär",2,,,,0,null,,,,',  # 6: no ID number
            "area:a,a.1,Dubblett,,2,,,,0,null,,,,",  # 9: duplicate
            "saknas,a.2,Föräldralös,,2,,,,0,null,,,,",  # 10: parent missing
            "area:a,a.3,För få kolumner,,2,,,,0,null,,,",  # 11: 13 columns
            ',fw2,Ramverk igen,,2,"A,B",[],,,,,,1,',  # 12: second framework row
            "a.1,a.4,För djup,,2,,,,0,null,,,,",  # 13: three levels
            ",area:tom,Tomt område,,2,,,,0,null,,,,",  # 14: area without competences
            "area:a,a b,Mellanslag,,2,,,,0,null,,,,",  # 15: not an identifier
            "area:a,a.5,,,3,,,,0,null,,,,",  # 16: no short name, bad format
        ]
    )
    with pytest.raises(ImportRejected) as caught:
        framework_from_moodle_csv(content)
    errors = caught.value.errors
    assert [e.line for e in errors] == [6, 9, 10, 11, 12, 13, 14, 15, 16, 16]
    assert all(isinstance(e, RowError) for e in errors)
    messages = {e.line: e.message for e in errors[:8]}
    assert "ID number is missing" in messages[6]
    assert "already used on line 5" in messages[9]
    assert "'saknas' is not in the file" in messages[10]
    assert "13 columns" in messages[11]
    assert "framework is on line 2" in messages[12]
    assert "two levels" in messages[13]
    assert "no competences" in messages[14]
    assert "cannot be used as an id" in messages[15]
    assert "line 6: the ID number is missing" in str(caught.value)


def test_moodle_import_checks_the_scale_configuration():
    def framework_row(configuration: str) -> str:
        return "\n".join(
            [
                HEADER_LINE,
                f',fw,Ramverk,,2,"A,B,C",{configuration},,,,,,1,',
                ",area:a,A,,2,,,,0,null,,,,",
                "area:a,a.1,K,,2,,,,0,null,,,,",
            ]
        )

    for configuration, problem in [
        ('"[{""scaleid"":1},{""id"":2"', "not valid JSON"),
        ('"{""scaleid"":1}"', "JSON list"),
        ('"[{""scaleid"":1},{""id"":4,""scaledefault"":1,""proficient"":1}]"', "1..3"),
        ('"[{""scaleid"":1},{""id"":2,""scaledefault"":1,""proficient"":0}]"', "as proficient"),
        ('"[{""scaleid"":1},{""id"":2,""scaledefault"":0,""proficient"":1}]"', "the default"),
    ]:
        with pytest.raises(ImportRejected) as caught:
            framework_from_moodle_csv(framework_row(configuration))
        assert [e.line for e in caught.value.errors] == [2], configuration
        assert problem in caught.value.errors[0].message
    moodle_style = '"[{""scaleid"":""7""},{""id"":2,""scaledefault"":1,""proficient"":1}]"'
    assert read_moodle_csv(framework_row(moodle_style)).proficient_from == 2


def test_moodle_import_refuses_files_without_a_framework():
    assert rejected_lines("") == [1]
    no_framework = "\n".join(
        [HEADER_LINE, ",area:a,A,,2,,,,0,null,,,,", "area:a,a.1,K,,2,,,,0,null,,,,"]
    )
    assert rejected_lines(no_framework) == [1]
    with pytest.raises(ImportRejected, match="semicolons"):
        framework_from_moodle_csv(";".join(MOODLE_HEADERS) + "\n")


def test_moodle_import_reports_bad_quoting_where_its_row_starts():
    exported = framework_to_moodle_csv(SYSTEMS)
    unclosed = exported.replace(",Lärplattformen,", ',"Lärplattformen,')
    with pytest.raises(ImportRejected, match="never closed") as caught:
        framework_from_moodle_csv(unclosed)
    assert [e.line for e in caught.value.errors] == [7]
    stray = exported.replace(",Elevregistret,", ',"Elevregistret,')
    with pytest.raises(ImportRejected, match="after a closing quote") as caught:
        framework_from_moodle_csv(stray)
    assert [e.line for e in caught.value.errors] == [4]


def test_moodle_import_refuses_other_encodings_by_line():
    latin1 = framework_to_moodle_csv(SYSTEMS).encode("latin-1")
    assert rejected_lines(latin1) == [2, 3, 5, 7]  # åä; ä; ö; ä
    utf16 = framework_to_moodle_csv(SYSTEMS).encode("utf-16")
    with pytest.raises(ImportRejected, match="UTF-16"):
        framework_from_moodle_csv(utf16)


def test_moodle_import_of_a_framework_made_in_moodle():
    # As Moodle exports a hand-made framework: English headers of an older release, HTML
    # descriptions, database ids, rules and cross-references, no "area:" prefix.
    content = "\n".join(
        [
            '"Parent id number","Id number",Shortname,Description,"Description format",'
            '"Scale values","Scale configuration","Rule type (optional)",'
            '"Rule outcome (optional)","Rule config (optional)",'
            '"Cross referenced competency id numbers","Exported id (optional)",'
            '"Is framework",Taxonomy',
            ',OECD-CORE,OECD,"<p>Core <b>competencies</b></p><p>Två &amp; tre</p>",1,'
            '"Not yet competent,Competent",'
            '"[{""scaleid"":""2""},{""id"":2,""scaledefault"":1,""proficient"":1}]",'
            ',,,,,1,"competency,competency"',
            ',delivery,Delivery-related,"<p>Achieving<br>Results</p>",1,,,,0,null,,8,,',
            'delivery,DR-AT1,"Distinguishes information",,1,,,'
            'core_competency\\competency_rule_all,1,null,"I-CF-1",26,,',
            'delivery,I-CF-1,"Client Focus",,1,,,,0,null,DR-AT1,27,,',
        ]
    )
    imported = read_moodle_csv(content, language="en", framework_id="oecd")
    framework = imported.framework
    assert framework.id == "oecd" and imported.proficient_from == 2
    assert framework.description == {"en": "Core competencies\n\nTvå & tre"}
    assert [level.name for level in framework.scale.levels] == [
        {"en": "Not yet competent"},
        {"en": "Competent"},
    ]
    assert [(a.id, a.description) for a in framework.areas] == [
        ("delivery", {"en": "Achieving\nResults"})
    ]
    assert [c.id for c in framework.competences] == ["DR-AT1", "I-CF-1"]
    with pytest.raises(DocumentError, match="framework_id"):
        read_moodle_csv(content, framework_id="not an id")


def test_moodle_import_needs_the_frameworks_scale_everywhere():
    content = framework_to_moodle_csv(SYSTEMS).replace(
        "area:teaching,teaching.lms,Lärplattformen,Kurser och uppgifter.,2,,",
        'area:teaching,teaching.lms,Lärplattformen,Kurser och uppgifter.,2,"Nej,Ja",',
    )
    assert rejected_lines(content) == [7]


# --- properties ---------------------------------------------------------------------------

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
