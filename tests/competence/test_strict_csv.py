"""Every CSV the tool reads is read one strict way: a file that is not a clean table is refused
with the line, never read as something else (competence.strict_csv)."""

from __future__ import annotations

import pytest

from competence.catalogue import Rejected, describe, entries_from_csv
from competence.framework_io import (
    ImportRejected,
    framework_from_moodle_csv,
    framework_to_moodle_csv,
)
from competence.frameworks import digcomp
from competence.staff_list import StaffListRejected, staff_list_from_csv, staff_list_from_json
from competence.strict_csv import CsvRefused, read_table, too_large

STAFF = "employee_id;email;name;role\n"
CATALOGUE = "title;kind;url;language;duration_minutes;framework;builds;roles;description\n"


def find(key):
    return digcomp() if key == "digcomp-2.2" else None


def staff_problems(content) -> list[str]:
    with pytest.raises(StaffListRejected) as rejected:
        staff_list_from_csv(content)
    return [str(error) for error in rejected.value.errors]


def test_an_unclosed_quote_in_a_staff_list_is_refused_with_its_line_not_read_as_a_name():
    content = STAFF + '1;anna@k.se;"Anna;Undersköterska\n2;bo@k.se;Bo;Undersköterska\n'

    assert staff_problems(content) == [
        "line 2: a quoted value that starts on this line is never closed"
    ]


def test_a_quote_closed_on_a_later_line_of_a_staff_list_is_refused_with_both_lines():
    content = (
        STAFF + '1;anna@k.se;"Anna;Undersköterska\n2;bo@k.se;Bo";Undersköterska\n'
        "3;cecilia@k.se;Cecilia;Sjuksköterska\n"
    )

    assert staff_problems(content) == [
        "line 2: a quoted value runs on to line 3; is a closing quote missing on this line?"
    ]


def test_a_staff_row_with_more_or_fewer_columns_than_the_header_is_refused():
    content = STAFF + "1;anna@k.se;Anna;Usk;extra\n2;bo@k.se;Bo\n3;c@k.se;Cecilia;Usk;\n"

    assert staff_problems(content) == [
        "line 2: 5 columns, the header has 4",
        "line 3: 3 columns, the header has 4",
        "line 4: 5 columns, the header has 4",
    ]


def test_an_unclosed_quote_in_a_catalogue_is_refused_with_its_line():
    content = CATALOGUE + (
        'Säkra lösenord;self-study;;sv;20;;"4.1:1-2;;\nNätverksträff;network;;sv;;;2.4:2-4;;\n'
    )

    with pytest.raises(Rejected) as rejected:
        entries_from_csv(content.encode(), find)

    assert [describe(p) for p in rejected.value.problems] == [
        "line 2: a quoted value that starts on this line is never closed"
    ]


def test_an_unquoted_separator_in_builds_shifts_no_column_but_is_refused_with_its_line():
    content = CATALOGUE + (
        "Säkra lösenord;self-study;;sv;20;;4.1:1-2;;\n"
        "Digitala verktyg;course;;sv;60;;2.1:1-3; 2.2:1-3;;\n"
    )

    with pytest.raises(Rejected) as rejected:
        entries_from_csv(content.encode(), find)

    assert [describe(p) for p in rejected.value.problems] == [
        "line 3: 10 columns, the header has 9"
    ]


def test_the_same_separator_in_quotes_is_read_as_one_value():
    content = CATALOGUE + 'Digitala verktyg;course;;sv;60;;"2.1:1-3; 2.2:1-3";;\n'

    [entry] = entries_from_csv(content.encode(), find)

    assert [build.competence for build in entry.builds] == ["2.1", "2.2"] and entry.roles == ()


def test_a_catalogue_description_may_run_over_lines():
    content = CATALOGUE + 'Kurs;course;;sv;;;1.1:1-2;;"Första raden\nandra raden"\n'

    [entry] = entries_from_csv(content.encode(), find)

    assert entry.description == "Första raden\nandra raden"


def test_an_unclosed_quote_in_a_moodle_framework_is_refused_with_its_line():
    lines = framework_to_moodle_csv(digcomp(), language="sv").splitlines()
    lines.append('area:9,"9.1,Ett område som aldrig stängs,,,,,,,,,,')

    with pytest.raises(ImportRejected) as rejected:
        framework_from_moodle_csv("\n".join(lines) + "\n")

    assert [str(error) for error in rejected.value.errors][-1] == (
        f"line {len(lines)}: a quoted field that starts on this row is never closed"
    )


def test_a_nul_character_is_refused_with_its_line():
    with pytest.raises(CsvRefused) as refused:
        read_table("a;b\n1;2\n3;\x00\n")

    assert str(refused.value) == (
        "line 3: a NUL character, which cannot be stored (is this a text file?)"
    )


def test_a_byte_that_is_not_utf8_is_found_on_its_own_line():
    with pytest.raises(CsvRefused) as refused:
        read_table(b"a;b\n1;2\n3;\xe5\n")

    assert str(refused.value) == "line 3: not UTF-8; save the file as CSV UTF-8"


def test_a_file_over_the_limit_is_refused_by_its_size_alone():
    assert too_large(8 * 1024 * 1024) is None
    assert str(too_large(8 * 1024 * 1024 + 1)) == ("the file is 9 MB; at most 8 MB can be imported")


def test_a_nul_in_a_json_staff_list_is_refused_with_its_position():
    with pytest.raises(StaffListRejected) as rejected:
        staff_list_from_json('{"employees": [{"employee_id": "1", "name": "A\\u0000"}]}')

    assert [str(error) for error in rejected.value.errors] == [
        "line 1: a NUL character, which cannot be stored (is this a text file?)"
    ]
