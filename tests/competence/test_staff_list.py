"""HR's staff list is read as Swedish HR systems export it, and every bad row is named by line."""

import json

import pytest

from competence.staff_list import StaffListRejected, staff_list_from_csv, staff_list_from_json

HEADER = "employee_id;email;name;manager_employee_id;unit_code;unit_name;role;gender"


def problems(content, reader=staff_list_from_csv) -> list[str]:
    with pytest.raises(StaffListRejected) as rejected:
        reader(content)
    return [str(error) for error in rejected.value.errors]


def test_a_semicolon_file_with_a_bom_is_read_with_swedish_values():
    content = (
        "\ufeff" + HEADER + ";digital_role_model\n"
        "1;Chef@Umea.se;Åsa Öberg;;OMS;Omsorg;Enhetschef;kvinna;ja\n"
        "2;per@umea.se;Per Lind;1;OMS;Omsorg;Undersköterska;M;nej\n"
    ).encode()

    rows = staff_list_from_csv(content)

    assert [(r.employee_id, r.email, r.gender, r.digital_role_model) for r in rows] == [
        ("1", "chef@umea.se", "woman", True),
        ("2", "per@umea.se", "man", False),
    ]
    assert rows[1].manager_employee_id == "1" and rows[1].role == "Undersköterska"


def test_a_comma_file_is_read_too():
    rows = staff_list_from_csv("employee_id,name,email\n7,Kim,kim@example.se\n")
    assert rows[0].name == "Kim" and rows[0].line == 2


def test_every_bad_row_is_reported_with_its_line():
    content = (
        HEADER + "\n"
        ";;Utan Id;;;;;\n"
        "1;a@x.se;Anna;;;;;\n"
        "1;b@x.se;Bo;;;;;\n"
        "2;not-an-email;Cia;;;;;\n"
        "3;c@x.se;Dan;99;;;;\n"
        "4;d@x.se;Eva;;;;;maybe\n"
    )

    assert problems(content) == [
        "line 2: employee_id is missing",
        "line 4: duplicate employee_id '1' (also on line 3)",
        "line 5: email 'not-an-email' is not an e-mail address",
        "line 6: unknown manager id '99'",
        "line 7: gender 'maybe' is not one of woman, man, other (or empty)",
    ]


def test_a_manager_cycle_is_refused():
    content = HEADER + "\n1;;A;2;;;;\n2;;B;3;;;;\n3;;C;1;;;;\n4;;D;4;;;;\n"
    found = problems(content)
    assert "line 2: manager cycle: 1 → 2 → 3 → 1" in found
    assert "line 5: manager cycle: 4 → 4" in found


def test_a_header_without_the_required_columns_is_refused():
    assert problems("email;name\na@x.se;A\n") == ["line 1: the header has no column employee_id"]


def test_a_file_that_is_not_utf8_says_so():
    assert problems("employee_id;name\n1;Åsa\n".encode("cp1252")) == [
        "line 2: not UTF-8; save the file as CSV UTF-8"
    ]


def test_the_json_contract_is_read_with_positions_for_errors():
    document = {
        "employees": [
            {"employee_id": "1", "name": "Åsa", "digital_role_model": True, "unit_code": "A"},
            {"employee_id": 2, "name": "Bo", "manager_employee_id": "1", "gender": "other"},
        ]
    }
    rows = staff_list_from_json(json.dumps(document))
    assert rows[0].digital_role_model and rows[1].employee_id == "2"

    assert problems({"employees": [{"name": "x"}]}, staff_list_from_json) == [
        "line 1: employee_id is missing"
    ]
    assert problems(b"[]", staff_list_from_json) == ['expected {"employees": [...]}']


def test_units_going_round_in_a_circle_are_refused():
    content = "employee_id;name;unit_code;parent_unit_code\n1;A;X;Y\n2;B;Y;X\n3;C;Z;X\n"
    assert problems(content) == [
        "line 2: unit 'X' is among its own parent units",
        "line 3: unit 'Y' is among its own parent units",
    ]
