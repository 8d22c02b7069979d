"""Programme follow-up as its users meet it: the programme lead's indicators and maturity
pages, a manager's team overview, the downloads, and who may not see them."""

from __future__ import annotations

import csv
import gc
import html
import io
import re

import pytest
from openpyxl import load_workbook

from lti_tool.dev_platform.programme_seed import seed_programme
from lti_tool.programme import collector_paused
from storage import Employee, Employment, SharedInstrument
from storage.programme_data import organisation_facts
from tests.support.assessing import answer_all, start, submit
from tests.support.browsing import text_of
from tests.support.programme import (
    ANNA,
    KARIN,
    MARIA,
    launch_as,
    make_programme_lead,
    organisation_of,
    seed,
)

HIDDEN = "–"


def table_rows(page: str, key: str) -> list[list[str]]:
    table = re.search(rf'<table data-testid="table-{key}">(.*?)</table>', page, re.S)
    assert table, f"no table {key}"
    rows = re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    cells = [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S) for row in rows]
    return [[HIDDEN if "aria-hidden" in c else text_of(c) for c in row] for row in cells]


def every_shown_group_has_five(rows: list[list[str]]) -> None:
    """In an indicator table, every visible figure concerns five people or more."""
    for row in rows[1:]:
        for cell in row[1:]:
            if cell == HIDDEN:
                continue
            people = re.search(r"(?:of|av) (\d+)\)", cell)
            count = int(people.group(1)) if people else int(re.match(r"(\d+)", cell).group(1))
            if people or row[0] in ("Employees", "Anställda"):
                assert count >= 5, (row, cell)


@pytest.fixture
def seeded(db, platform):
    organisation_id = seed(db, platform)
    make_programme_lead(db, organisation_id, platform)
    return organisation_id


def test_the_programme_lead_sees_the_indicators_with_small_groups_hidden(
    seeded, platform, browser, tool_url
):
    launch_as(platform, browser, MARIA)
    page = browser.get(tool_url + "/programme", params={"period": "2026", "split": "gender"})
    assert page.status_code == 200
    rows = table_rows(page.text, "indicators")
    assert rows[0] == ["Indicator", "All", "Women", "Men", "Other gender or not stated"]
    by_name = {row[0]: row[1:] for row in rows[1:]}
    # The three of another gender are left out of every figure (tests/storage/
    # test_programme_indicators.py works the numbers out).
    assert by_name["Employees"] == ["193", "99", "94", HIDDEN]
    assert by_name["Started an assessment"] == ["145 (75 %)", "75 (76 %)", "70 (74 %)", HIDDEN]
    assert by_name["Competence rose"] == [
        "52 % (25 of 48)",
        "100 % (25 of 25)",
        "0 % (0 of 23)",
        HIDDEN,
    ]
    assert by_name["Managers who agreed a development plan"][0] == "36 % (5 of 14)"
    assert by_name["Use digital ways of working"][0] == "51 % (78 of 154)"
    every_shown_group_has_five(rows)
    text = text_of(page.text)
    assert "Of the employees with at least two finished assessments" in text
    assert "the question about digital ways of working" in text
    over_time = table_rows(page.text, "over-time")
    assert over_time[0] == ["Indicator", "2024", "2025", "2026"]
    radar = table_rows(page.text, "radar")
    assert radar[1][0] == "People"
    assert page.text.count('role="img"') == 4  # the organisation and its three units


@pytest.mark.parametrize(
    ("lang", "men", "rule"),
    [
        (
            "en",
            "Men",
            "When a gender group has fewer than 5 people in a figure, they are left out of "
            "that figure everywhere, in the totals too",
        ),
        (
            "sv",
            "Män",
            "När en könsgrupp har färre än 5 personer i en siffra räknas de inte med i den "
            "siffran någonstans, inte heller i totalerna",
        ),
    ],
)
def test_by_gender_the_94_men_are_shown_beside_the_women_and_the_rule_is_said(
    seeded, platform, browser, tool_url, lang, men, rule
):
    """Three people of another gender used to hide the 94 men on every row, on the page
    and in every download; now they are left out, and the page and the files say so."""
    launch_as(platform, browser, MARIA)
    params = {"period": "2026", "split": "gender", "lang": lang}
    page = browser.get(tool_url + "/programme", params=params)
    rows = table_rows(page.text, "indicators")
    column = rows[0].index(men)
    assert [row[column] for row in rows[1:]][:3] == ["94", "70 (74 %)", "46 (49 %)"]
    assert all(row[column] != HIDDEN for row in rows[1:])
    every_shown_group_has_five(rows)
    text = text_of(page.text)
    assert rule in text
    assert text.count(rule) >= 3  # in the definitions and under both indicator tables
    csv_text = browser.get(
        tool_url + "/programme/export/indicators.csv", params=params
    ).content.decode("utf-8-sig")
    assert rule in csv_text
    lines = list(csv.reader(io.StringIO(csv_text), delimiter=";" if lang == "sv" else ","))
    number = lines[1].index(f"{men}: {'antal' if lang == 'sv' else 'number'}")
    assert lines[2][number] == "94"
    workbook = load_workbook(
        io.BytesIO(browser.get(tool_url + "/programme/export/all.xlsx", params=params).content)
    )
    cells = [c for row in workbook.worksheets[0].iter_rows(values_only=True) for c in row]
    assert 94 in cells and any(rule in str(c) for c in cells)


def test_the_split_by_role_hides_the_two_lawyers_and_the_next_smallest_role(
    seeded, platform, browser, tool_url
):
    launch_as(platform, browser, MARIA)
    page = browser.get(tool_url + "/programme", params={"period": "2026", "split": "role"})
    rows = table_rows(page.text, "indicators")
    header, employees = rows[0], rows[1]
    shown = dict(zip(header[1:], employees[1:], strict=True))
    assert shown["Jurist"] == HIDDEN
    assert shown["Chef"] == HIDDEN  # 15 managers: the smallest other role, hidden with them
    every_shown_group_has_five(rows)

    # Switching language keeps the period and the split chosen.
    english = re.search(r'<a href="([^"]+)" lang="en"', page.text).group(1)
    switched = browser.get(tool_url + html.unescape(english))
    assert table_rows(switched.text, "indicators")[0] == header
    assert "period=2026" in english and "split=role" in english


def as_on_the_page(lines: list[list[str]]) -> list[list[str]]:
    """A download's header and rows put back the way the page words them: the number, what
    it is out of and the share, in three columns ("All: number" ...), as "147 (75 %)"."""
    header, rows = lines[0], lines[1:]
    groups: list[list[int]] = []
    for index, label in enumerate(header):
        parent = label.rsplit(": ", 1)[0]
        if index and groups and header[groups[-1][0]].rsplit(": ", 1)[0] == parent != label:
            groups[-1].append(index)
        else:
            groups.append([index])
    shown = [[header[g[0]].rsplit(": ", 1)[0] if len(g) == 3 else header[g[0]] for g in groups]]
    for row in rows:
        cells = []
        for group in groups:
            parts = [row[i] for i in group]
            if HIDDEN in parts:
                assert parts == [HIDDEN] * len(parts), parts  # hidden in each of its columns
            if len(parts) == 1 or parts[0] == HIDDEN or parts[1] == "":
                cells.append(parts[0])
            else:
                count, out_of = int(parts[0]), int(parts[1])
                cells.append((count, out_of, round(100 * count / out_of) if out_of else 0))
        shown.append(cells)
    return shown


def same_as_page(page_rows: list[list[str]], lines: list[list[str]]) -> None:
    shown = as_on_the_page(lines[: len(page_rows)])
    assert shown[0] == page_rows[0]
    for page_row, row in zip(page_rows[1:], shown[1:], strict=True):
        assert row[0] == page_row[0]
        for on_page, cell in zip(page_row[1:], row[1:], strict=True):
            if isinstance(cell, tuple):
                count, out_of, percent = cell
                assert on_page in (
                    f"{count} ({percent} %)",
                    f"{percent} % ({count} of {out_of})",
                ), (row[0], on_page, cell)
            else:
                assert on_page == cell, (row[0], on_page, cell)


def test_every_table_downloads_as_csv_and_xlsx_with_the_same_hidden_cells(
    seeded, platform, browser, tool_url
):
    launch_as(platform, browser, MARIA)
    params = {"period": "2026", "split": "gender"}
    page = browser.get(tool_url + "/programme", params=params)
    for key in ("indicators", "over-time", "radar"):
        shown = table_rows(page.text, key)
        download = browser.get(tool_url + f"/programme/export/{key}.csv", params=params)
        assert download.status_code == 200
        assert download.headers["Content-Type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
        same_as_page(shown, lines[1:])
        workbook = load_workbook(
            io.BytesIO(
                browser.get(tool_url + f"/programme/export/{key}.xlsx", params=params).content
            )
        )
        values = [
            [_as_text(v) for v in row] for row in workbook.worksheets[0].iter_rows(values_only=True)
        ]
        same_as_page(shown, values[1:])
    everything = load_workbook(
        io.BytesIO(browser.get(tool_url + "/programme/export/all.xlsx", params=params).content)
    )
    assert everything.sheetnames == ["Indicators", "Over time", "Competence by unit"]
    header, employees = [
        list(row) for row in everything["Indicators"].iter_rows(min_row=2, values_only=True)
    ][:2]
    by_label = dict(zip(header, employees, strict=True))
    assert [v for label, v in by_label.items() if label.startswith("Men")][0] == 94
    others = [v for label, v in by_label.items() if "Other" in label]
    assert others and others == [HIDDEN] * len(others)


def _as_text(value) -> str:
    """An XLSX value as a CSV in English holds it (numbers: the count; shares: per cent)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def test_the_maturity_page_compares_units_across_years(seeded, platform, browser, tool_url):
    launch_as(platform, browser, MARIA)
    page = browser.get(tool_url + "/programme/maturity", params={"period": "2026", "lang": "sv"})
    assert page.status_code == 200
    rows = table_rows(page.text, "maturity-2026")
    assert rows[0][:2] == ["Område", "Hela organisationen"]
    # Respondents in 2026: i % 5 != 1 of 0..195 = 157, less the three of another gender
    # (left out, as in the indicators).
    assert rows[1][:2] == ["Personer", "154"]
    assert "en könsgrupp med färre än 5 svarande under ett år inte med" in text_of(page.text)
    assert table_rows(page.text, "maturity-2024")[1][1] == HIDDEN  # nobody answered in 2024
    assert page.text.count('role="img"') == 4
    download = browser.get(
        tool_url + "/programme/maturity/export/maturity-2026.xlsx", params={"period": "2026"}
    )
    sheet = load_workbook(io.BytesIO(download.content))["Mognad 2026"]
    assert [c.value for c in sheet[3]][:2] == ["Personer", 154]


def test_a_manager_sees_the_mean_of_their_team_for_shared_instruments(
    seeded, platform, browser, tool_url
):
    launch_as(platform, browser, KARIN)
    page = browser.get(tool_url + "/team/overview", params={"lang": "en"})
    assert page.status_code == 200
    rows = table_rows(page.text, "team-digcomp-2.2-short")
    # Karin's team: i = 24, 36, ..., 192 (15 people), all with i % 4 == 0: their latest
    # attempt (2026) is on option 1 + i % 3 (+1 when i % 8 == 0). i % 3 == 0 for all, so
    # option 1 (level 1) or 2 (level 3) when i % 8 == 0 (24, 48, ..., 192: 8 people):
    # mean (8 * 3 + 7 * 1) / 15 = 2.07 in every area.
    assert rows[1] == ["People", "15"]
    assert all(row[1] == "2.1" for row in rows[2:])
    assert 'role="img"' in page.text
    download = browser.get(tool_url + "/team/overview/export/team-digcomp-2.2-short.csv")
    assert "2.1" in download.content.decode("utf-8-sig")


def test_a_team_of_four_shows_no_mean(seeded, db, platform, browser, tool_url):
    # Anna (24) gets four reports of her own: a group too small to show.
    anna = db.query(Employee).filter_by(employee_number="ANNA1001").one()
    for number in ("E0036", "E0048", "E0060", "E0072"):
        employee = db.query(Employee).filter_by(employee_number=number).one()
        employment = db.query(Employment).filter_by(employee_id=employee.id).one()
        employment.manager_id = anna.id
    db.commit()
    launch_as(platform, browser, ANNA)
    page = browser.get(tool_url + "/team/overview", params={"lang": "en"})
    assert page.status_code == 200
    rows = table_rows(page.text, "team-digcomp-2.2-short")
    assert rows[1] == ["People", HIDDEN]
    assert all(row[1] == HIDDEN for row in rows[1:])
    assert 'role="img"' not in page.text
    csv_text = browser.get(tool_url + "/team/overview/export/team-digcomp-2.2-short.csv").text
    assert "1.0" not in csv_text and "3.0" not in csv_text and HIDDEN in csv_text


def test_unshared_instruments_stay_out_of_the_team_overview(
    seeded, db, platform, browser, tool_url
):
    db.query(SharedInstrument).delete()
    db.commit()
    launch_as(platform, browser, KARIN)
    page = browser.get(tool_url + "/team/overview", params={"lang": "en"})
    assert "There are no shared results from your team yet." in text_of(page.text)


ROUTES = [
    "/programme",
    "/programme?period=2025-Q3&split=unit",
    "/programme/export/indicators.csv",
    "/programme/export/all.xlsx",
    "/programme/maturity",
    "/programme/maturity/export/maturity-2026.csv?period=2026",
    "/team/overview",
    "/team/overview/export/team-digcomp-2.2-short.xlsx",
]
PROGRAMME_ROUTES = [r for r in ROUTES if r.startswith("/programme")]


def test_without_a_launch_every_route_says_to_open_the_tool_from_moodle(seeded, browser, tool_url):
    for route in ROUTES:
        assert browser.get(tool_url + route).status_code == 401, route


def test_an_employee_may_open_none_of_the_routes(seeded, platform, browser, tool_url):
    launch_as(platform, browser, ANNA)
    for route in ROUTES:
        assert browser.get(tool_url + route).status_code == 403, route


def test_a_manager_may_open_only_the_team_overview(seeded, platform, browser, tool_url):
    launch_as(platform, browser, KARIN)
    for route in PROGRAMME_ROUTES:
        assert browser.get(tool_url + route).status_code == 403, route
    assert browser.get(tool_url + "/team/overview").status_code == 200


def test_the_programme_lead_of_another_organisation_never_sees_this_one(
    seeded, db, platform, platform_b, browser, tool_url
):
    kommun_b = organisation_of(db, "kommun-b")
    # Kommun B has a staff of its own, and its programme lead has the same Moodle subject and
    # employee number as Testkommunen's.
    seed_programme(db, kommun_b.id, platform_b.issuer)
    db.commit()
    make_programme_lead(db, kommun_b.id, platform_b)
    launch_as(platform_b, browser, MARIA)
    page = browser.get(tool_url + "/programme", params={"period": "2026", "lang": "en"})
    assert page.status_code == 200
    # Kommun B counts only its own 193 employees (three of another gender left out), never
    # Testkommunen's.
    assert table_rows(page.text, "indicators")[1][:2] == ["Employees", "193"]
    db.query(Employee).filter(Employee.organisation_id == kommun_b.id).delete()
    db.commit()
    page = browser.get(tool_url + "/programme", params={"period": "2026", "lang": "en"})
    assert table_rows(page.text, "indicators")[1][:2] == ["Employees", HIDDEN]
    # With no staff of its own, B sees nothing (hidden), never Testkommunen's 193.
    assert "193" not in page.text
    radar = table_rows(page.text, "radar")
    assert all(cell == HIDDEN for row in radar[1:] for cell in row[1:])


def test_a_bad_period_or_split_gets_a_clear_error_in_the_persons_language(
    seeded, platform, browser, tool_url
):
    launch_as(platform, browser, MARIA)
    page = browser.get(tool_url + "/programme", params={"period": "2026-Q5", "lang": "sv"})
    assert page.status_code == 400
    assert "Perioden ska vara ett år (2026) eller ett kvartal (2026-Q2)." in text_of(page.text)
    page = browser.get(tool_url + "/programme", params={"split": "age", "lang": "en"})
    assert page.status_code == 400
    assert "Unknown split" in text_of(page.text)
    assert browser.get(tool_url + "/programme/export/indicators.pdf").status_code == 404
    assert browser.get(tool_url + "/programme/export/nothing.csv").status_code == 404


def test_employees_answer_the_maturity_survey_like_an_assessment_and_it_counts(
    seeded, db, platform, browser, tool_url
):
    custom = {"instrument": "digital-maturity"}
    response = platform.launch(
        browser,
        sub=ANNA[0],
        email="anna1001@seed.invalid",
        **{
            "https://purl.imsglobal.org/spec/lti/claim/custom": custom,
            "https://purl.imsglobal.org/spec/lti/claim/lis": {"person_sourcedid": ANNA[1]},
        },
    )
    assert response.status_code == 200
    assert "Digital maturity – yearly measurement" in text_of(response.text)
    question = start(browser, tool_url)
    assert "Question 1 of 5" in text_of(question.text)
    results = submit(browser, answer_all(browser, question, lambda options: options[-1]))
    assert results.status_code == 200
    facts = organisation_facts(db, seeded)
    anna = db.query(Employee).filter_by(employee_number=ANNA[1]).one()
    answered = [
        a
        for a in facts.attempts
        if a.employee_id == anna.id and a.instrument_key == "digital-maturity"
    ]
    latest = max(answered, key=lambda a: a.started_at)
    assert latest.result["competences"]["working-methods"]["value"] == 4  # "fully"


def test_the_seed_command_fills_an_organisation_once(kompetenslyft, db, platform):
    result = kompetenslyft("dev", "seed-programme", "--organisation", "test-org")
    assert result.exit_code == 0, result.output
    assert "seeded 200 employees in 3 units" in result.output
    assert db.query(Employee).count() == 200
    again = kompetenslyft("dev", "seed-programme", "--organisation", "test-org")
    assert again.exit_code != 0
    assert "already has the seeded units" in again.output
    assert db.query(Employee).count() == 200


def test_the_garbage_collector_is_held_off_while_counting_and_back_after():
    """Overlapping reports (threads) hold it off until the last one is done."""
    assert gc.isenabled()
    first, second = collector_paused(), collector_paused()
    first.__enter__()
    second.__enter__()
    assert not gc.isenabled()
    first.__exit__(None, None, None)
    assert not gc.isenabled()
    second.__exit__(None, None, None)
    assert gc.isenabled()
