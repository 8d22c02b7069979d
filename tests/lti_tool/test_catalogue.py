"""The learning-activity catalogue: organisation admins and programme leads keep it; CSV
imports are all or nothing with every bad row named by its line; the dialogue offers the
recommended activities first for each gap, only for the person's role."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from storage import Person
from storage.catalogue import LearningActivity
from tests.support import staff
from tests.support.assessing import csrf
from tests.support.browsing import text_of

ADMIN = staff.person_claims("30", "Ada Admin", "ada@example.invalid", admin=True)
LEAD = staff.person_claims("31", "Pia Programledare", "pia@example.invalid")
LEARNER = staff.person_claims("32", "Lars Learner", "lars@example.invalid")
FORM = {
    "title": "Teams för nybörjare",
    "kind": "course",
    "url": "https://moodle.example.invalid/course/view.php?id=12",
    "language": "sv",
    "duration_minutes": "90",
    "framework": "digcomp-2.2",
    "builds": "2.1:1-3; 2.4:1-2",
    "roles": "Undersköterska; Lärare",
    "description": "Möten och chatt i Teams.",
}
GOOD_CSV = (
    "title,kind,url,language,duration_minutes,framework,builds,roles,description\n"
    "Säkra lösenord,self-study,https://example.invalid/pw,sv,20,,4.1:1-2,,\n"
    "Digital nätverksträff,network,,en,,digcomp-2.2,2.4:2-4,Lärare,Monthly\n"
)
BAD_CSV = (
    "title,kind,url,builds\n"
    "Bra rad,course,https://example.invalid/a,1.1:1-2\n"
    "Fel sort,webinar,https://example.invalid/b,1.1:1-2\n"
    ",course,ftp://example.invalid/c,9.9:1-2\n"
)


def launch(platform, browser, claims):
    response = platform.launch(browser, **claims)
    assert response.status_code == 200, response.text
    return response


def post_form(browser, tool_url, path, data):
    page = browser.get(tool_url + path)
    return browser.post(tool_url + path, data={"csrf_token": csrf(page.text), **data})


def test_an_admin_adds_edits_and_retires_an_activity(platform, browser, tool_url, db):
    launch(platform, browser, ADMIN)

    added = post_form(browser, tool_url, "/catalogue/new", FORM)

    assert added.status_code == 200 and 'data-testid="saved"' in added.text
    row = db.scalar(select(LearningActivity))
    assert (row.title, row.kind, row.duration_minutes, row.roles) == (
        "Teams för nybörjare",
        "course",
        90,
        ["Undersköterska", "Lärare"],
    )
    assert row.builds == [
        {"competence": "2.1", "from_level": 1, "to_level": 3},
        {"competence": "2.4", "from_level": 1, "to_level": 2},
    ]
    edited = post_form(
        browser, tool_url, f"/catalogue/{row.id}/edit", {**FORM, "title": "Teams, steg 1"}
    )
    assert "Teams, steg 1" in text_of(edited.text)
    retired = browser.post(
        f"{tool_url}/catalogue/{row.id}/active",
        data={"csrf_token": csrf(edited.text), "active": "0"},
    )
    assert 'data-testid="empty"' in retired.text  # no longer offered
    with_retired = browser.get(tool_url + "/catalogue/?retired=1")
    assert f'data-activity="{row.id}" data-retired="true"' in with_retired.text
    db.expire_all()
    assert db.get(LearningActivity, row.id).active is False


def test_bad_input_is_refused_with_reasons_and_nothing_is_stored(platform, browser, tool_url, db):
    launch(platform, browser, ADMIN)

    refused = post_form(
        browser,
        tool_url,
        "/catalogue/new",
        {**FORM, "url": "javascript:alert(1)", "kind": "webinar", "builds": "1.1:5-2"},
    )

    assert refused.status_code == 400
    text = text_of(refused.text)
    assert "must be a web address starting with http:// or https://" in text
    assert "is not one of course, self-study, lecture or network" in text
    assert "must go from a lower to a higher level" in text
    assert db.scalar(select(LearningActivity)) is None


def test_filters_by_kind_role_language_and_competence(platform, browser, tool_url, db):
    org = staff.organisation(db, "test-org")
    staff.activity(db, org, "Kurs A", [("1.1", 1, 3)], roles=["Lärare"])
    staff.activity(db, org, "Nätverk B", [("2.1", 1, 3)], kind="network", language="en")
    staff.activity(db, None, "Delad C", [("1.1", 2, 4)], kind="self-study")
    launch(platform, browser, ADMIN)

    def titles(query: str) -> list[str]:
        page = browser.get(f"{tool_url}/catalogue/?{query}")
        return re.findall(
            r'<th scope="row">(?:<a [^>]+>)?([^<(]+?)(?:</a>)?(?: \(|</th>)', page.text
        )

    assert titles("") == ["Delad C", "Kurs A", "Nätverk B"]
    assert titles("kind=network") == ["Nätverk B"]
    assert titles("language=en") == ["Nätverk B"]
    assert titles("competence=1.1") == ["Delad C", "Kurs A"]
    assert titles("role=Undersköterska") == ["Delad C", "Nätverk B"]  # Kurs A is for teachers


def test_shared_and_other_organisations_entries_cannot_be_edited(
    platform, platform_b, browser, tool_url, db
):
    shared = staff.activity(db, None, "Delad kurs", [("1.1", 1, 3)])
    theirs = staff.activity(db, staff.organisation(db, "kommun-b"), "Deras kurs", [("1.1", 1, 3)])
    launch(platform, browser, ADMIN)

    listing = browser.get(tool_url + "/catalogue/")
    assert "Delad kurs" in listing.text and "Deras kurs" not in listing.text
    form = browser.get(tool_url + "/catalogue/new")
    for row in (shared, theirs):
        assert browser.get(f"{tool_url}/catalogue/{row.id}/edit").status_code == 404
        posted = browser.post(
            f"{tool_url}/catalogue/{row.id}/active",
            data={"csrf_token": csrf(form.text), "active": "0"},
        )
        assert posted.status_code == 404


@pytest.mark.parametrize(
    "path", ["/catalogue/", "/catalogue/new", "/catalogue/import", "/catalogue/1/edit"]
)
def test_learners_get_403_and_programme_leads_may(
    platform, browser, other_browser, tool_url, db, path
):
    launch(platform, browser, LEARNER)
    assert browser.get(tool_url + path).status_code == 403
    lead = launch(platform, other_browser, LEAD)
    assert lead.status_code == 200
    person_id = db.scalar(select(Person.id).where(Person.subject == "31"))
    staff.grant(db, staff.organisation(db, "test-org"), person_id, "programme_lead")
    assert other_browser.get(tool_url + path).status_code in (200, 404)  # 1 does not exist
    assert "catalogue-link" in other_browser.get(tool_url + "/").text


def upload(browser, tool_url, content: str, dry_run: bool = False):
    page = browser.get(tool_url + "/catalogue/import?lang=en")
    data = {"csrf_token": csrf(page.text)}
    if dry_run:
        data["dry_run"] = "1"
    return browser.post(
        tool_url + "/catalogue/import?lang=en",
        data=data,
        files={"file": ("catalogue.csv", content.encode(), "text/csv")},
    )


def test_a_csv_with_bad_rows_is_refused_whole_with_every_line_named(
    platform, browser, tool_url, db
):
    launch(platform, browser, ADMIN)

    refused = upload(browser, tool_url, BAD_CSV)

    assert refused.status_code == 400
    text = text_of(refused.text)
    assert "Line 3: The kind “webinar” is not one of" in text
    assert "Line 4: Give a title" in text
    assert "Line 4: The link “ftp://example.invalid/c” must be a web address" in text
    assert "Line 4: The framework has no competence “9.9”" in text
    assert "Nothing was imported" in text
    assert db.scalar(select(LearningActivity)) is None


def test_a_csv_trial_run_changes_nothing_and_the_import_adds_every_row(
    platform, browser, tool_url, db
):
    launch(platform, browser, ADMIN)

    trial = upload(browser, tool_url, GOOD_CSV, dry_run=True)
    assert "Trial run: 2 activities would be imported" in text_of(trial.text)
    assert db.scalar(select(LearningActivity)) is None

    done = upload(browser, tool_url, GOOD_CSV)
    assert "2 activities imported." in text_of(done.text)
    rows = db.scalars(select(LearningActivity).order_by(LearningActivity.title)).all()
    assert [(r.title, r.kind, r.language, r.roles) for r in rows] == [
        ("Digital nätverksträff", "network", "en", ["Lärare"]),
        ("Säkra lösenord", "self-study", "sv", []),
    ]


def test_a_catalogue_larger_than_a_launch_can_be_uploaded_on_the_page(
    platform, browser, tool_url, db
):
    launch(platform, browser, ADMIN)
    header, row = GOOD_CSV.splitlines()[:2]
    rows = [
        row.replace("Säkra lösenord", f"Säkra lösenord del {n}").replace("/pw", f"/pw{n}")
        for n in range(1500)
    ]
    content = "\n".join([header, *rows]) + "\n"
    assert len(content.encode()) > 100_000

    trial = upload(browser, tool_url, content, dry_run=True)

    assert trial.status_code == 200
    assert "Trial run: 1500 activities would be imported" in text_of(trial.text)


def test_the_command_line_imports_with_a_dry_run_and_reports_bad_lines(
    platform, kompetenslyft, tmp_path, db
):
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD_CSV, encoding="utf-8")
    bad.write_text(BAD_CSV, encoding="utf-8")

    trial = kompetenslyft(
        "catalogue", "import", "--organisation", "test-org", str(good), "--dry-run"
    )
    assert trial.exit_code == 0 and "2 activities would be imported" in trial.output
    assert db.scalar(select(LearningActivity)) is None
    refused = kompetenslyft("catalogue", "import", "--organisation", "test-org", str(bad))
    assert refused.exit_code == 1
    assert "bad.csv: line 3: kind 'webinar'" in refused.output
    assert "bad.csv: line 4: the framework has no competence '9.9'" in refused.output
    assert "nothing imported: 4 problem(s)" in refused.output
    done = kompetenslyft("catalogue", "import", "--organisation", "test-org", str(good))
    assert done.exit_code == 0 and "imported 2 activities" in done.output
    assert len(db.scalars(select(LearningActivity)).all()) == 2


def test_the_dialogue_offers_recommended_activities_first_for_each_gap_and_only_for_the_role(
    platform, browser, tool_url, db
):
    org = staff.organisation(db, "test-org")
    maja = staff.employee(db, org, "E10", "Maja Chef", email="maja@example.invalid")
    anna = staff.employee(
        db, org, "E11", "Anna", email="anna@example.invalid", manager=maja, role_title="Lärare"
    )
    staff.role_profile(db, org, "larare", "Lärare", {"1.1": 3, "2.1": 2})
    expert = staff.activity(db, org, "A expertkurs", [("1.1", 5, 8)])  # not for level 0
    english = staff.activity(db, org, "B English course", [("1.1", 1, 3)], language="en")
    swedish = staff.activity(db, org, "C svensk kurs", [("1.1", 1, 3)])
    other_role = staff.activity(db, org, "D för chefer", [("1.1", 1, 3)], roles=["Chef"])
    for_teachers = staff.activity(db, None, "E för lärare", [("2.1", 1, 2)], roles=["lärare"])
    retired = staff.activity(db, org, "F utgången", [("2.1", 1, 2)])
    retired.active = False
    db.commit()
    launch(platform, browser, staff.person_claims("10", "Maja Chef", "maja@example.invalid"))

    page = browser.get(f"{tool_url}/plans/{anna.id}?lang=sv")

    def offered(competence):
        block = re.search(
            rf'data-testid="options-{re.escape(competence)}"[^>]*>(.*?)</fieldset>', page.text, re.S
        ).group(1)
        return [
            (int(i), bool(r))
            for i, r in re.findall(r'data-activity="(\d+)"( data-recommended="true")?', block)
        ]

    # Swedish first among the recommended (the page is in Swedish), the unsuitable after.
    assert offered("1.1") == [(swedish.id, True), (english.id, True), (expert.id, False)]
    assert offered("2.1") == [(for_teachers.id, True)]
    assert other_role.id not in [i for i, _ in offered("1.1")]
    # Shown at once for the gaps the role profile's targets open; nothing for a competence
    # without activities (1.2).
    assert re.search(r'data-testid="options-1.1" data-options-for="1.1">', page.text)
    assert 'data-testid="options-1.2"' not in page.text


def test_importing_the_same_catalogue_again_updates_instead_of_doubling(
    platform, kompetenslyft, tmp_path, db
):
    path = tmp_path / "katalog.csv"
    path.write_text(GOOD_CSV, encoding="utf-8")
    first = kompetenslyft("catalogue", "import", "--organisation", "test-org", str(path))
    assert first.exit_code == 0, first.output

    path.write_text(
        GOOD_CSV.replace("Säkra lösenord", "Säkra lösenord och tvåstegsinloggning").replace(
            "Monthly", "Every month"
        ),
        encoding="utf-8",
    )
    again = kompetenslyft("catalogue", "import", "--organisation", "test-org", str(path))

    assert again.exit_code == 0, again.output
    assert "0 added, 2 updated" in again.output
    db.expire_all()
    rows = db.scalars(select(LearningActivity).order_by(LearningActivity.title)).all()
    assert [(row.title, row.description) for row in rows] == [
        ("Digital nätverksträff", "Every month"),  # no link: matched on its title
        ("Säkra lösenord och tvåstegsinloggning", None),  # matched on its link
    ]


def test_an_id_column_is_what_a_reimport_matches_first(platform, kompetenslyft, tmp_path, db):
    path = tmp_path / "katalog.csv"
    header = "id;title;kind;url;builds\n"
    path.write_text(header + "K1;Kurs ett;course;https://example.invalid/a;1.1:1-2\n")
    kompetenslyft("catalogue", "import", "--organisation", "test-org", str(path))
    path.write_text(header + "K1;Kurs ett, ny länk;course;https://example.invalid/b;1.1:1-3\n")

    again = kompetenslyft("catalogue", "import", "--organisation", "test-org", str(path))

    assert again.exit_code == 0, again.output
    db.expire_all()
    [row] = db.scalars(select(LearningActivity)).all()
    assert (row.external_id, row.title, row.url) == (
        "K1",
        "Kurs ett, ny länk",
        "https://example.invalid/b",
    )


def test_a_shifted_catalogue_row_is_refused_on_the_page_with_its_line(
    platform, browser, tool_url, db
):
    launch(platform, browser, ADMIN)
    content = (
        "title;kind;url;language;duration_minutes;framework;builds;roles;description\n"
        "Digitala verktyg;course;;sv;60;;2.1:1-3; 2.2:1-3;;\n"
    )

    refused = upload(browser, tool_url, content)

    assert refused.status_code == 400
    assert "Line 2: 10 columns, the header has 9" in text_of(refused.text)
    assert db.scalar(select(LearningActivity)) is None


def test_an_oversized_catalogue_is_refused_on_the_command_line_before_it_is_read(
    platform, kompetenslyft, tmp_path, db
):
    path = tmp_path / "enorm.csv"
    with path.open("wb") as file:
        file.truncate(9 * 1024 * 1024)

    refused = kompetenslyft("catalogue", "import", "--organisation", "test-org", str(path))

    assert refused.exit_code == 1
    assert "the file is 9 MB; at most 8 MB can be imported" in refused.output
