"""An organisation admin imports its own per-system framework and carries it into Moodle."""

import json

from sqlalchemy import func, select

from competence import framework_io
from competence.frameworks import DATA, load_framework
from storage import FrameworkVersion, Organisation, RoleProfile
from tests.support.assessing import answer_all, question_number, start, submit, table_levels

EXAMPLE = DATA / "work-systems-example.json"


def organisation(db) -> Organisation:
    org = Organisation(slug="umea", name="Umeå kommun")
    db.add(org)
    db.commit()
    return org


def test_import_json_then_export_moodle_csv_round_trips(kompetenslyft, db, tmp_path):
    organisation(db)

    imported = kompetenslyft("framework", "import", str(EXAMPLE), "--organisation", "umea")
    exported = kompetenslyft(
        "framework",
        "export",
        "work-systems-example",
        "--organisation",
        "umea",
        "--format",
        "moodle-csv",
    )

    assert imported.exit_code == 0, imported.output
    assert "2 areas, 6 competences" in imported.output
    assert exported.exit_code == 0, exported.output
    expected = framework_io.framework_to_moodle_csv(load_framework(EXAMPLE), language="sv")
    assert exported.output == expected
    csv_file = tmp_path / "systems.csv"
    csv_file.write_text(exported.output, encoding="utf-8")
    again = framework_io.framework_from_moodle_csv(csv_file.read_bytes(), language="sv")
    assert framework_io.framework_to_moodle_csv(again, language="sv") == expected


def test_import_moodle_csv(kompetenslyft, db, tmp_path):
    organisation(db)
    csv_file = tmp_path / "systems.csv"
    csv_file.write_text(
        framework_io.framework_to_moodle_csv(load_framework(EXAMPLE), language="sv"), "utf-8"
    )

    result = kompetenslyft("framework", "import", str(csv_file), "--organisation", "umea")

    assert result.exit_code == 0, result.output
    stored = db.scalar(select(FrameworkVersion).where(FrameworkVersion.organisation_id.isnot(None)))
    assert stored.key == "work-systems-example"
    assert len(stored.document["areas"]) == 2


def test_a_csv_with_bad_rows_is_refused_with_line_numbers_and_nothing_stored(
    kompetenslyft, db, tmp_path
):
    organisation(db)
    lines = framework_io.framework_to_moodle_csv(
        load_framework(EXAMPLE), language="sv"
    ).splitlines()
    lines[3] = lines[3].replace(",", ",,", 1)  # a row with one column too many
    lines.append(lines[4])  # the same ID number twice
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")

    result = kompetenslyft("framework", "import", str(bad), "--organisation", "umea")

    assert result.exit_code == 1
    assert "line 4:" in result.output
    assert f"line {len(lines)}:" in result.output
    assert "nothing imported" in result.output
    assert db.scalar(select(func.count()).select_from(FrameworkVersion)) == 0


def test_the_same_version_twice_is_refused(kompetenslyft, db):
    organisation(db)
    kompetenslyft("framework", "import", str(EXAMPLE), "--organisation", "umea")

    again = kompetenslyft("framework", "import", str(EXAMPLE), "--organisation", "umea")

    assert again.exit_code == 1
    assert "already imported" in again.output


def test_digcomp_can_be_exported_for_moodle(kompetenslyft):
    result = kompetenslyft(
        "framework", "export", "digcomp-2.2", "--format", "moodle-csv", "--language", "en"
    )

    assert result.exit_code == 0
    assert (
        "Browsing, searching and filtering data, information and digital content" in result.output
    )


def test_role_profiles_are_checked_against_the_framework(kompetenslyft, db, tmp_path):
    organisation(db)
    good = tmp_path / "roles.json"
    good.write_text(
        json.dumps(
            [
                {
                    "key": "handlaggare",
                    "framework": "digcomp-2.2",
                    "name": {"sv": "Handläggare"},
                    "targets": {"1.1": 4, "4.2": 6},
                }
            ]
        )
    )
    bad = tmp_path / "bad-roles.json"
    bad.write_text(
        json.dumps(
            {
                "key": "x",
                "framework": "digcomp-2.2",
                "name": {"sv": "X"},
                "targets": {"9.9": 3, "1.1": 12},
            }
        )
    )

    assert (
        kompetenslyft("role-profile", "import", str(good), "--organisation", "umea").exit_code == 0
    )
    refused = kompetenslyft("role-profile", "import", str(bad), "--organisation", "umea")

    assert refused.exit_code == 1
    assert "9.9: not in the framework" in refused.output
    assert "1.1: level out of range" in refused.output
    assert [p.key for p in db.scalars(select(RoleProfile))] == ["handlaggare"]


def test_a_per_system_assessment_runs_through_a_course_link(
    kompetenslyft, db, browser, platform, tool_url
):
    instrument_file = DATA / "instruments" / "work-systems-example.json"
    organisation = db.scalar(select(Organisation))  # the platform's organisation
    for command in (("framework", str(EXAMPLE)), ("instrument", str(instrument_file))):
        result = kompetenslyft(
            command[0], "import", command[1], "--organisation", organisation.slug
        )
        assert result.exit_code == 0, result.output
    custom = {"instrument": "work-systems-example"}
    platform.launch(browser, **{"https://purl.imsglobal.org/spec/lti/claim/custom": custom})

    first = start(browser, tool_url)
    assert question_number(first) == (1, 6)
    results = submit(browser, answer_all(browser, first, lambda options: options[2]))

    assert table_levels(results) == {
        "email-calendar": 2,
        "teams": 2,
        "intranet": 2,
        "case-management": 2,
        "hr-system": 2,
        "e-services": 2,
    }
    chart = results.text[results.text.index("<svg") : results.text.index("</svg>")]
    # The spokes carry the systems' short names (wrapped where long), not their ids.
    assert all(f">{name}<" in chart for name in ("Teams", "Case system", "for residents"))
    assert ">teams<" not in chart


def test_an_instrument_needs_its_framework_first(kompetenslyft, db):
    organisation(db)
    instrument_file = DATA / "instruments" / "work-systems-example.json"

    result = kompetenslyft("instrument", "import", str(instrument_file), "--organisation", "umea")

    assert result.exit_code == 1
    assert "import the framework first" in result.output
