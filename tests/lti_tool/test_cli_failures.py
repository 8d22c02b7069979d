"""An operator's odd input ends the command in one line, never a Python traceback: a file
nested too deeply, a NUL character, text that is not UTF-8.  Exit code 2, as for a bad option;
a bug ends in one line too, and shows its traceback only when asked for."""

from __future__ import annotations

import importlib

import pytest
from click.testing import CliRunner

from lti_tool.cli import cli
from storage import Organisation

HEADER = b"employee_id;email;name;manager_employee_id;unit_code;unit_name;role\n"


@pytest.fixture
def umea(db):
    db.add(Organisation(slug="umea", name="Umeå kommun"))
    db.commit()


def one_line_refusal(result, exit_code: int = 2) -> str:
    assert result.exit_code == exit_code, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    return lines[0]


@pytest.mark.parametrize("command", ["instrument", "framework", "role-profile"])
def test_a_deeply_nested_json_file_is_refused_in_one_line(kompetenslyft, umea, tmp_path, command):
    nested = tmp_path / "nested.json"
    nested.write_text("[" * 100_000)

    result = kompetenslyft(command, "import", str(nested), "--organisation", "umea")

    assert "nested too deeply" in one_line_refusal(result)


def test_a_nul_character_in_a_file_name_is_refused_in_one_line(kompetenslyft, umea, tmp_path):
    staff_list = tmp_path / "staff.csv"
    staff_list.write_bytes(HEADER)

    result = kompetenslyft("hr", "import", f"{staff_list}\x00.csv", "--organisation", "umea")

    assert "NUL character" in one_line_refusal(result)


def test_a_staff_list_with_a_nul_character_never_ends_in_a_traceback(kompetenslyft, umea, tmp_path):
    staff_list = tmp_path / "staff.csv"
    staff_list.write_bytes(HEADER + b"9;anna@kommun.se;Anna\x00Berg;;KOM;Kommunen;Vard\n")

    result = kompetenslyft("hr", "import", str(staff_list), "--organisation", "umea")

    # The strict CSV reader refuses it on both databases, naming the line, like any other
    # problem in the file (exit 1: the file's content, not the command, is wrong).
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "line 2: a NUL character" in result.output
    assert "nothing imported" in result.output


def test_an_unexpected_failure_is_one_line_and_its_traceback_is_there_when_asked_for(
    kompetenslyft, monkeypatch
):
    def broken(_session):
        raise KeyError("signing_key")

    monkeypatch.setattr(importlib.import_module("lti_tool.cli.keys"), "rotate_keys", broken)
    runner = CliRunner()

    plain = runner.invoke(cli, ["keys", "rotate"], env=kompetenslyft.env)
    debugging = runner.invoke(cli, ["--debug", "keys", "rotate"], env=kompetenslyft.env)
    by_setting = runner.invoke(
        cli, ["keys", "rotate"], env={**kompetenslyft.env, "KOMPETENSLYFT_DEBUG": "1"}
    )

    line = one_line_refusal(plain, exit_code=1)
    assert "unexpected KeyError: 'signing_key'" in line and "--debug" in line
    assert isinstance(debugging.exception, KeyError)
    assert isinstance(by_setting.exception, KeyError)
