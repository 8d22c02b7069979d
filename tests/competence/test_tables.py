"""Report tables as files: what someone opening them in Excel gets, and what an attacker
who names a unit or a role cannot get."""

from __future__ import annotations

import csv
from io import BytesIO, StringIO

import pytest
from openpyxl import load_workbook

from competence.tables import (
    HIDDEN,
    HIDDEN_FIGURE,
    Counted,
    Level,
    Measures,
    Table,
    content_disposition,
    csv_style,
    file_stem,
    neutralised,
    sheet_title,
    table_csv,
    tables_xlsx,
)

SWEDISH = Measures("antal", "av totalt", "andel (%)")


def figures_table(*groups: str) -> Table:
    cells = [
        ["Anställda", Counted(196, None, "size")] + [Counted(99, None, "size")] * len(groups),
        ["Började", Counted(147, 196)] + [HIDDEN_FIGURE] * len(groups),
        ["Ökade", Counted(25, 49, "share")] + [Counted(0, 0, "share")] * len(groups),
    ]
    return Table.of(
        "indicators",
        "Mått 2026",
        ["Mått", "Alla", *groups],
        cells,
        lambda c: str(c),
        notes=("– = dolt",),
        sheet="Mått",
        file="kompetenslyft-indikatorer-2026",
    )


def parsed(text: str, delimiter: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(StringIO(text[1:], newline=""), delimiter=delimiter))


@pytest.mark.parametrize(
    "hostile",
    [
        '=HYPERLINK("http://x","klicka")',
        "+cmd|' /C calc'!A0",
        "-2+3",
        "@SUM(1+1)",
        "\tTabb",
        "\rVagnretur",
        "＝FULLWIDTH()",
    ],
)
def test_a_name_that_looks_like_a_formula_stays_text_in_csv_and_xlsx(hostile):
    table = figures_table(hostile)
    for style, delimiter in ((csv_style("sv"), ";"), (csv_style("en"), ",")):
        rows = parsed(table_csv(table, style, SWEDISH), delimiter)
        assert rows[1][4] == f"'{hostile}: antal"
        assert not any(
            cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for cell in r
        )
    sheet = load_workbook(BytesIO(tables_xlsx([table], SWEDISH)))["Mått"]
    cell = sheet.cell(2, 5)
    assert cell.value == f"{hostile}: antal".replace("\r", "\n")  # XML keeps no lone CR
    assert cell.data_type == "s" and cell.quotePrefix
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_ordinary_text_and_the_hidden_marker_are_left_as_they_are():
    assert neutralised("Socialtjänsten") == "Socialtjänsten"
    assert neutralised(HIDDEN) == HIDDEN  # an en dash, not a minus
    assert neutralised("") == ""
    assert neutralised("-1") == "'-1"


def test_a_swedish_csv_has_semicolons_and_decimal_commas():
    table = figures_table("Kvinnor")
    rows = parsed(table_csv(table, csv_style("sv"), SWEDISH), ";")
    assert rows[0] == ["Mått 2026"]
    assert rows[1] == [
        "Mått",
        "Alla: antal",
        "Alla: av totalt",
        "Alla: andel (%)",
        "Kvinnor: antal",
        "Kvinnor: av totalt",
        "Kvinnor: andel (%)",
    ]
    assert rows[2] == ["Anställda", "196", "", "", "99", "", ""]
    assert rows[3] == ["Började", "147", "196", "75,0", HIDDEN, HIDDEN, HIDDEN]
    assert rows[4] == ["Ökade", "25", "49", "51,0", "0", "0", ""]
    assert rows[5] == ["– = dolt"]
    english = parsed(table_csv(table, csv_style("en"), Measures()), ",")
    assert english[3] == ["Började", "147", "196", "75.0", HIDDEN, HIDDEN, HIDDEN]


def test_a_table_of_units_spreads_a_figure_over_rows_and_keeps_levels_as_numbers():
    cells = [
        ["Personer", 157, HIDDEN],
        ["Strategi", Level(2.0667), HIDDEN],
        ["Arbetssätt", None, HIDDEN],
        ["Digitalt", Counted(78, 157, "share"), HIDDEN_FIGURE],
    ]
    table = Table.of(
        "maturity-2026", "Mognad", ["Område", "Hela", "Enhet"], cells, str,
        counted_across="rows", sheet="Mognad 2026",
    )  # fmt: skip
    rows = parsed(table_csv(table, csv_style("sv"), SWEDISH), ";")
    assert rows[1] == ["Område", "Hela", "Enhet"]
    assert rows[2:8] == [
        ["Personer", "157", HIDDEN],
        ["Strategi", "2,1", HIDDEN],
        ["Arbetssätt", "", HIDDEN],
        ["Digitalt: antal", "78", HIDDEN],
        ["Digitalt: av totalt", "157", HIDDEN],
        ["Digitalt: andel (%)", "49,7", HIDDEN],
    ]
    sheet = load_workbook(BytesIO(tables_xlsx([table], SWEDISH)))["Mognad 2026"]
    assert (sheet["B3"].value, sheet["B3"].number_format) == (157, "0")
    assert sheet["B4"].value == pytest.approx(2.0667) and sheet["B4"].number_format == "0.0"
    assert sheet["B5"].value is None
    assert sheet["B8"].value == pytest.approx(78 / 157) and sheet["B8"].number_format == "0 %"
    assert sheet["C8"].value == HIDDEN and sheet["C8"].data_type == "s"


def test_the_page_shows_a_hidden_figure_as_the_marker():
    table = figures_table("Män")
    assert table.rows[1] == ["Började", str(Counted(147, 196)), HIDDEN]
    assert table.hidden_cells == 1


def test_sheet_names_obey_excels_rules():
    used: set[str] = set()
    assert sheet_title("Mognad 2026", used) == "Mognad 2026"
    assert sheet_title("mognad 2026", used) == "mognad 2026 (2)"  # unique, ignoring case
    assert sheet_title("a[b]:c*d?e/f\\g", used) == "abcdefg"
    assert sheet_title("DigComp 2.2 – EU:s ramverk", used) == "DigComp 2.2 – EUs ramverk"
    long = sheet_title("DigComp 2.2 – kortversionen för självskattning", used)
    assert long == "DigComp 2.2 – kortversionen för"
    assert len(sheet_title("DigComp 2.2 – kortversionen för självskattning", used)) <= 31
    assert sheet_title("'citerad'", used) == "citerad"
    assert sheet_title("History", used) == "History 1"
    assert sheet_title("[]", used) == "Sheet"


def test_file_names_are_ascii_words_in_the_persons_language():
    assert file_stem("kompetenslyft", "programmet", "2026", "kön") == (
        "kompetenslyft-programmet-2026-kon"
    )
    assert file_stem("kompetenslyft", "utveckling över tid", "2026-Q2", "") == (
        "kompetenslyft-utveckling-over-tid-2026-q2"
    )
    assert file_stem("kompetenslyft", 'team"; x=../../etc', "digcomp-2.2") == (
        "kompetenslyft-team-x-etc-digcomp-2.2"
    )
    assert content_disposition("kompetenslyft-teamet.xlsx") == (
        'attachment; filename="kompetenslyft-teamet.xlsx"'
    )
    with pytest.raises(ValueError):
        content_disposition('a".csv')
