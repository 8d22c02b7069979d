"""A framework read from Moodle's competency framework CSV (tool_lpimportcsv): what is accepted,
and every bad row refused by its line."""

from __future__ import annotations

import codecs

import pytest

from competence.framework_io import (
    ImportRejected,
    RowError,
    framework_from_moodle_csv,
    framework_to_moodle_csv,
    read_moodle_csv,
)
from competence.texts import DocumentError
from tests.competence.framework_samples import (
    HEADER_LINE,
    MOODLE_HEADERS,
    SCALE_CONFIGURATION,
    SYSTEMS,
    rejected_lines,
)


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
