"""The downloads of /programme, /programme/maturity and /team/overview as the people who
open them in Excel meet them: usable as data in their own language, and harmless whatever a
unit or a role is called."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from storage import Employment, Unit
from tests.support.programme import KARIN, MARIA, launch_as, make_programme_lead, seed

HIDDEN = "–"
# Names an HR system could send; OWASP's CSV injection examples.
HOSTILE_UNITS = {
    "Socialtjänsten": '=HYPERLINK("http://x","klicka")',
    "Barn och utbildning": "+cmd|' /C calc'!A0",
    "Samhällsbyggnad": "\tTabb före namnet",
}
HOSTILE_ROLES = {
    "Undersköterska": "-2+3+cmd|' /C calc'!A0",
    "Lärare": "@SUM(1+1)*cmd|' /C calc'!A0",
    "Handläggare": "=1+1\r\nrad två",  # leading blanks are trimmed from roles
    "Ingenjör": '＝HYPERLINK("http://x")',
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

PROGRAMME_KEYS = ("indicators", "over-time", "radar")


def every_download(split: str) -> list[tuple[str, dict]]:
    """Every CSV and XLSX a programme lead can download, for one split."""
    period = {"period": "2026", "split": split}
    downloads = [
        (f"/programme/export/{key}.{fmt}", period)
        for key in PROGRAMME_KEYS
        for fmt in ("csv", "xlsx")
    ]
    downloads.append(("/programme/export/all.xlsx", period))
    for year in ("2024", "2025", "2026"):
        for fmt in ("csv", "xlsx"):
            downloads.append(
                (f"/programme/maturity/export/maturity-{year}.{fmt}", {"period": "2026"})
            )
    downloads.append(("/programme/maturity/export/all.xlsx", {"period": "2026"}))
    return downloads


TEAM_DOWNLOADS = [
    ("/team/overview/export/team-digcomp-2.2-short.csv", {}),
    ("/team/overview/export/team-digcomp-2.2-short.xlsx", {}),
    ("/team/overview/export/all.xlsx", {}),
]


@pytest.fixture
def seeded(db, platform):
    organisation_id = seed(db, platform)
    make_programme_lead(db, organisation_id, platform)
    return organisation_id


def rename_units_and_roles(db, organisation_id: int) -> None:
    for unit in db.query(Unit).filter_by(organisation_id=organisation_id):
        unit.name = HOSTILE_UNITS[unit.name]
    for employment in db.query(Employment):
        employment.role_title = HOSTILE_ROLES.get(employment.role_title, employment.role_title)
    db.commit()


def csv_rows(response, delimiter: str) -> list[list[str]]:
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:], newline=""), delimiter=delimiter))


def workbook(response):
    assert response.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    return load_workbook(io.BytesIO(response.content))


def file_name(response) -> str:
    disposition = response.headers["Content-Disposition"]
    found = re.fullmatch(r'attachment; filename="([a-z0-9.-]+)"', disposition)
    assert found, disposition
    return found.group(1)


def test_a_hostile_unit_or_role_name_never_becomes_a_formula_in_any_download(
    seeded, db, platform, browser, tool_url
):
    rename_units_and_roles(db, seeded)
    launch_as(platform, browser, MARIA)
    hostile = set(HOSTILE_UNITS.values()) | set(HOSTILE_ROLES.values())
    met = set()
    downloads = every_download("unit") + every_download("role")
    for route, params in downloads:
        response = browser.get(tool_url + route, params={**params, "lang": "sv"})
        assert response.status_code == 200, route
        if route.endswith(".csv"):
            for row in csv_rows(response, ";"):
                for cell in row:
                    # A cell of the file never starts a formula: OWASP's leading quote.
                    assert not cell.startswith(FORMULA_STARTS), (route, cell)
                    for name in hostile:
                        if cell.startswith("'" + name):
                            met.add(name)
        else:
            for sheet in workbook(response).worksheets:
                for row in sheet.iter_rows():
                    for cell in row:
                        assert cell.data_type != "f", (route, sheet.title, cell.coordinate)
                        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_STARTS):
                            # A string cell that Excel keeps as text even when edited.
                            assert cell.data_type == "s" and cell.quotePrefix, (route, cell.value)
                            met.update(n for n in hostile if cell.value.startswith(n))
    # Every hostile name was in some download (as a column of its unit or role).
    assert met == hostile

    launch_as(platform, browser, KARIN)
    for route, params in TEAM_DOWNLOADS:
        response = browser.get(tool_url + route, params={**params, "lang": "sv"})
        assert response.status_code == 200, route
        if route.endswith(".xlsx"):
            cells = [c for s in workbook(response).worksheets for r in s.iter_rows() for c in r]
            assert all(c.data_type != "f" for c in cells), route


def test_a_swedish_csv_opens_in_columns_with_decimal_commas_and_an_english_one_with_points(
    seeded, platform, browser, tool_url
):
    launch_as(platform, browser, MARIA)
    params = {"period": "2026", "split": "gender"}
    swedish = csv_rows(
        browser.get(tool_url + "/programme/export/indicators.csv", params={**params, "lang": "sv"}),
        ";",
    )
    assert swedish[0] == ["Mått 2026 per kön"]
    header = swedish[1]
    assert header[:7] == [
        "Mått",
        "Alla: antal",
        "Alla: av totalt",
        "Alla: andel (%)",
        "Kvinnor: antal",
        "Kvinnor: av totalt",
        "Kvinnor: andel (%)",
    ]
    by_name = {row[0]: dict(zip(header[1:], row[1:], strict=True)) for row in swedish[2:9]}
    started = by_name["Började en självskattning"]
    # The page says "145 (75 %)": here a whole number, what it is out of, and the share.
    assert int(started["Alla: antal"]) == 145
    assert int(started["Alla: av totalt"]) == 193
    assert started["Alla: andel (%)"] == "75,1"
    assert float(started["Alla: andel (%)"].replace(",", ".")) == pytest.approx(75.1)
    rose = by_name["Kompetensen ökade"]
    assert (rose["Alla: antal"], rose["Alla: av totalt"], rose["Alla: andel (%)"]) == (
        "25",
        "48",
        "52,1",
    )
    # A hidden figure is the marker in each of its columns, and the note says why.
    other = "Annat kön eller inte angivet"
    assert {started[f"{other}: antal"], started[f"{other}: av totalt"]} == {HIDDEN}
    assert started[f"{other}: andel (%)"] == HIDDEN
    assert started["Män: antal"] == "70"
    assert any(row and row[0].startswith("– = dolt") for row in swedish[-2:])

    english = csv_rows(
        browser.get(tool_url + "/programme/export/indicators.csv", params={**params, "lang": "en"}),
        ",",
    )
    assert english[1][:4] == ["Indicator", "All: number", "All: out of", "All: share (%)"]
    assert english[3][:4] == ["Started an assessment", "145", "193", "75.1"]

    # Levels: a decimal comma in Swedish, a point in English.
    radar_sv = csv_rows(
        browser.get(tool_url + "/programme/export/radar.csv", params={**params, "lang": "sv"}), ";"
    )
    assert radar_sv[2][:2] == ["Personer", str(int(radar_sv[2][1]))]
    level = radar_sv[3][1]
    assert re.fullmatch(r"\d,\d", level), level
    radar_en = csv_rows(
        browser.get(tool_url + "/programme/export/radar.csv", params={**params, "lang": "en"}), ","
    )
    assert radar_en[3][1] == level.replace(",", ".")


def test_the_excel_file_holds_numbers_that_can_be_summed_and_charted(
    seeded, platform, browser, tool_url
):
    launch_as(platform, browser, MARIA)
    params = {"period": "2026", "split": "gender", "lang": "sv"}
    book = workbook(browser.get(tool_url + "/programme/export/all.xlsx", params=params))
    assert book.sheetnames == ["Mått", "Över tid", "Kompetens per enhet"]
    sheet = book["Mått"]
    header = [c.value for c in sheet[2]]
    rows = {
        row[0].value: dict(zip(header[1:], row[1:], strict=False)) for row in sheet.iter_rows(3, 9)
    }
    employees = rows["Anställda"]
    assert employees["Alla: antal"].value == 193
    assert employees["Alla: antal"].number_format == "0"
    assert employees["Kvinnor: antal"].value == 99
    started = rows["Började en självskattning"]
    assert started["Alla: antal"].value == 145 and started["Alla: av totalt"].value == 193
    share = started["Alla: andel (%)"]
    assert share.data_type == "n" and share.value == pytest.approx(145 / 193)
    assert share.number_format == "0 %"
    assert started["Män: antal"].value == 70
    hidden = started["Annat kön eller inte angivet: antal"]
    assert hidden.value == HIDDEN and hidden.data_type == "s"
    assert any(str(c.value).startswith("– = dolt") for c in sheet["A"])

    radar = book["Kompetens per enhet"]
    level = radar.cell(4, 2)
    assert isinstance(level.value, float) and level.number_format == "0.0"
    assert radar.cell(3, 1).value == "Personer" and isinstance(radar.cell(3, 2).value, int)

    maturity = workbook(
        browser.get(
            tool_url + "/programme/maturity/export/all.xlsx",
            params={"period": "2026", "lang": "sv"},
        )
    )
    assert maturity.sheetnames == ["Mognad 2026", "Mognad 2025", "Mognad 2024"]
    labels = [c.value for c in maturity["Mognad 2026"]["A"]]
    ways = "Använder digitala arbetssätt"
    assert [label for label in labels if str(label).startswith(ways)] == [
        f"{ways}: antal",
        f"{ways}: av totalt",
        f"{ways}: andel (%)",
    ]
    row = labels.index(f"{ways}: andel (%)") + 1
    assert maturity["Mognad 2026"].cell(row, 2).number_format == "0 %"
    assert maturity["Mognad 2026"].cell(row, 2).value == pytest.approx(78 / 154)

    for opened in (book, maturity):
        for sheet in opened.worksheets:
            assert len(sheet.title) <= 31 and not set(sheet.title) & set("[]:*?/\\")
            for line in sheet.iter_rows():
                for cell in line:
                    assert cell.data_type != "f"
                    if isinstance(cell.value, str):
                        # No number hides as text ("147 (75 %)", "3.5").
                        assert not re.fullmatch(r"[\d.,]+( \(\d+ %\))?", cell.value), cell.value


def test_each_split_and_period_downloads_under_its_own_file_name_in_the_persons_language(
    seeded, platform, browser, tool_url
):
    launch_as(platform, browser, MARIA)

    def name(route, **params):
        response = browser.get(tool_url + route, params=params)
        assert response.status_code == 200
        return file_name(response)

    everything = "/programme/export/all.xlsx"
    assert name(everything, period="2026", split="gender", lang="sv") == (
        "kompetenslyft-programmet-2026-kon.xlsx"
    )
    assert name(everything, period="2026", split="unit", lang="sv") == (
        "kompetenslyft-programmet-2026-enhet.xlsx"
    )
    assert name(everything, period="2026", split="role", lang="sv") == (
        "kompetenslyft-programmet-2026-yrkesroll.xlsx"
    )
    assert name(everything, period="2026-Q2", lang="sv") == "kompetenslyft-programmet-2026-q2.xlsx"
    assert name(everything, period="2026", split="gender", lang="en") == (
        "kompetenslyft-programme-2026-gender.xlsx"
    )
    indicators = "/programme/export/indicators.csv"
    assert name(indicators, period="2025", split="gender", lang="sv") == (
        "kompetenslyft-indikatorer-2025-kon.csv"
    )
    assert name(indicators, period="2025", split="unit", lang="en") == (
        "kompetenslyft-indicators-2025-unit.csv"
    )
    assert name("/programme/export/over-time.csv", period="2026", lang="sv") == (
        "kompetenslyft-utveckling-over-tid-2026.csv"
    )
    assert name("/programme/export/radar.xlsx", period="2026", lang="sv") == (
        "kompetenslyft-kompetens-per-enhet-2026.xlsx"
    )
    maturity = "/programme/maturity/export/"
    assert name(maturity + "maturity-2025.csv", period="2026", lang="sv") == (
        "kompetenslyft-digital-mognad-2025.csv"
    )
    assert name(maturity + "all.xlsx", period="2026", lang="en") == (
        "kompetenslyft-digital-maturity-2024-2026.xlsx"
    )

    launch_as(platform, browser, KARIN)
    assert name("/team/overview/export/all.xlsx", lang="sv") == "kompetenslyft-teamet.xlsx"
    team = name("/team/overview/export/team-digcomp-2.2-short.csv", lang="sv")
    assert team == "kompetenslyft-teamet-digcomp-2.2-short.csv"
