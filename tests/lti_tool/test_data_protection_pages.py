"""The organisation admin answers a data-protection request on the admin pages: finds the
person, downloads the export, is shown what erasure removes and which outside systems
still hold data, erases, and reads both in the audit log."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select

from storage import Launch, Person
from storage.lrs import LrsEndpoint
from storage.outbox import Delivery, DeliveryStatus
from tests.support import staff
from tests.support.assessing import answer_all, csrf, start, submit
from tests.support.browsing import text_of
from tests.support.pdf_checks import read_tagged_pdf

ADMIN = staff.person_claims("admin-77", "Olle Admin", "olle@example.invalid", admin=True)
EMPLOYEE = staff.person_claims("erik-88", "Erik Ersson", "erik@example.invalid")


@pytest.fixture
def erik(db, platform, browser, other_browser, tool_url):
    """Erik submitted an assessment whose statements went to the organisation's LRS."""
    org = staff.organisation(db, "test-org")
    db.add(LrsEndpoint(organisation_id=org.id, endpoint="https://lrs.example.invalid/xapi/"))
    db.commit()
    staff.employee(db, org, "ERIK-88", "Erik Ersson", email=EMPLOYEE["email"])
    assert platform.launch(other_browser, **EMPLOYEE).status_code == 200
    submit(
        other_browser, answer_all(other_browser, start(other_browser, tool_url), lambda o: o[-1])
    )
    db.query(Delivery).update({"status": DeliveryStatus.DELIVERED})
    db.commit()
    assert platform.launch(browser, **ADMIN).status_code == 200
    return db.scalar(select(Person).where(Person.subject == EMPLOYEE["sub"]))


def test_an_admin_exports_then_erases_a_person_and_the_audit_log_shows_both(
    erik, browser, tool_url, db
):
    found = browser.get(f"{tool_url}/organisation/people?q=ERIK-88&lang=en")
    assert f'data-person="{erik.id}"' in found.text
    page = browser.get(f"{tool_url}/organisation/people/{erik.id}?lang=en")
    assert 'data-table="attempts"' in page.text and 'data-table="xapi_statements"' in page.text

    download = browser.post(
        f"{tool_url}/organisation/people/{erik.id}/export", data={"csrf_token": csrf(page.text)}
    )
    assert download.headers["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(download.content))
    assert json.loads(archive.read("people.json"))[0]["email"] == EMPLOYEE["email"]
    assert {"README.txt", "attempts.json", "answers.json", "launches.json"} <= set(
        archive.namelist()
    )

    confirm = browser.get(f"{tool_url}/organisation/people/{erik.id}/erase?lang=en")
    text = text_of(confirm.text)
    assert "Erase the data of Erik Ersson?" in text
    assert "learning record store (xAPI statements sent): https://lrs.example.invalid" in text
    refused = browser.post(f"{tool_url}/organisation/people/{erik.id}/erase", data={})
    assert refused.status_code == 400
    db.expire_all()
    assert db.get(Person, erik.id).email == EMPLOYEE["email"]

    erased = browser.post(
        f"{tool_url}/organisation/people/{erik.id}/erase?lang=en",
        data={"csrf_token": csrf(confirm.text)},
    )
    assert erased.status_code == 200
    assert "https://lrs.example.invalid" in text_of(erased.text)
    db.expire_all()
    person = db.get(Person, erik.id)
    assert person.email is None and person.name is None and EMPLOYEE["sub"] != person.subject

    log = text_of(browser.get(f"{tool_url}/organisation/audit?lang=en").text)
    assert "exported the person's data" in log and "erased a person's data" in log
    assert "Erik" not in log and "Olle Admin" in log


def test_the_export_begins_with_a_summary_the_person_can_read(erik, browser, tool_url, db):
    """The first file is a document for Erik in his language (that of his launches), with
    his assessment in words and dates and no database table names; the raw
    machine-readable files are beside it."""

    def export():
        page = browser.get(f"{tool_url}/organisation/people/{erik.id}?lang=sv")
        made = browser.post(
            f"{tool_url}/organisation/people/{erik.id}/export",
            data={"csrf_token": csrf(page.text)},
        )
        return zipfile.ZipFile(io.BytesIO(made.content))

    english = export()  # the test platform launches him in English
    names = english.namelist()
    assert names[:2] == ["1 Summary.pdf", "1 Summary.html"]
    assert "attempts.json" in names and "README.txt" in names
    _reader, text = read_tagged_pdf(english.read("1 Summary.pdf"))
    words = " ".join(text.split())
    assert "What Kompetenslyft holds about you" in words
    assert "Digital competence – full self-assessment" in words
    assert "Your overall level: 8 of 8 (Highly specialised 8)" in words

    db.query(Launch).filter(Launch.person_id == erik.id).update({"locale": "sv-SE"})
    db.commit()
    swedish = export()
    assert swedish.namelist()[:2] == ["1 Sammanfattning.pdf", "1 Sammanfattning.html"]
    _reader, text = read_tagged_pdf(swedish.read("1 Sammanfattning.pdf"))
    html = swedish.read("1 Sammanfattning.html").decode("utf-8")
    assert '<html lang="sv">' in html
    for summary in (" ".join(text.split()), text_of(html)):
        assert "Vad Kompetenslyft har om dig" in summary
        assert "Erik Ersson" in summary and "ERIK-88" in summary
        assert "Digital kompetens – hela självskattningen" in summary
        assert "Skickades in" in summary
        assert "Din samlade nivå: 8 av 8 (Högt specialiserad 8)" in summary
        # each competence by name, with its level in words
        assert "Nätetikett Högt specialiserad 8" in summary
        assert "Din chef kan inte se det här resultatet." in summary
        assert "lärandearkiv, LRS" in summary  # his statements went to the LRS
        assert "365 dagar" in summary  # how long answers are kept
        for table in ("attempts", "answers", "launches", "xapi_statements", "people", "grants"):
            assert table not in summary
