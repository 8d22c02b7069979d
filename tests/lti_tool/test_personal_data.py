"""Export and erasure of one person (GDPR articles 15 and 17), end to end.

Two employees of one organisation use the tool through its real flows (launches
from the test platform with a gradebook, a submitted assessment, a development
plan with a comment and a ticked-off goal, statements forwarded to an LRS and
completions queued for HR and Moodle); rows the flows cannot reach from here (a
roster sync's membership, Moodle's ids, an HR import's error, a job's error) are
added as those systems would leave them.  Then one person is exported and erased
from the command line, and every column of every table is scanned for what
identified them.
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from sqlalchemy import select, update

from storage import Base
from storage.attempts import Answer, Attempt
from storage.audit import AuditEvent
from storage.completions import CompletionEvent, RemoteId, SyncTarget
from storage.database import utcnow
from storage.hr_import import HrImport
from storage.jobs import JobRun
from storage.launches import Launch
from storage.lrs import LrsEndpoint
from storage.memberships import Membership
from storage.organisations import Organisation
from storage.outbox import Delivery, DeliveryStatus
from storage.people import Person
from storage.personal_data import TABLES, Erasure
from storage.staff import Employee
from tests.support import staff
from tests.support.assessing import answer_all, csrf, start, submit
from xapi.actors import Learner, every_actor

AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
GRADES = {
    AGS: {
        "scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/score"],
        "lineitem": "https://platform.example.invalid/lineitems/1",
    }
}
MANAGER = staff.person_claims("maja-subject-5501", "Majken Managersson", "majken@example.invalid")
ERASED = staff.person_claims(
    "annika-subject-4711", "Annika Eraseson", "annika.eraseson@example.invalid", **GRADES
)
KEPT = staff.person_claims("bertil-subject-9922", "Bertil Keepsson", "bertil.keep@example.invalid")
ERASED_NUMBER, KEPT_NUMBER = "ANNIKA-EMP-4711", "BERTIL-EMP-9922"


def launch(platform, browser, claims):
    response = platform.launch(browser, **claims)
    assert response.status_code == 200, response.text
    return response


def assess(browser, tool_url):
    submitted = submit(browser, answer_all(browser, start(browser, tool_url), lambda o: o[1]))
    assert submitted.status_code == 200


def post(browser, tool_url, path, page_path, data):
    page = browser.get(f"{tool_url}{page_path}")
    response = browser.post(f"{tool_url}{path}", data={"csrf_token": csrf(page.text), **data})
    assert response.status_code == 200, response.text
    return response


@pytest.fixture
def populated(db, platform, browser, other_browser, tool_url):
    """Annika (erased), Bertil (kept) and their manager Majken, with rich data."""
    org = staff.organisation(db, "test-org")
    db.add(LrsEndpoint(organisation_id=org.id, endpoint="https://lrs.example.invalid/xapi/"))
    hr = SyncTarget(organisation_id=org.id, kind="hr_rest", name="Personec", settings={})
    moodle = SyncTarget(organisation_id=org.id, kind="moodle", name="Moodle plans", settings={})
    db.add_all([hr, moodle])
    # Statements name people with name and e-mail: the hardest case for erasure.
    org.xapi_actor = "identified"
    db.commit()
    majken = staff.employee(
        db, org, "MAJKEN-EMP-5501", "Majken Managersson", email=MANAGER["email"]
    )
    annika = staff.employee(
        db, org, ERASED_NUMBER, "Annika Eraseson", email=ERASED["email"], manager=majken
    )
    bertil = staff.employee(
        db, org, KEPT_NUMBER, "Bertil Keepsson", email=KEPT["email"], manager=majken
    )

    launch(platform, other_browser, ERASED)
    assess(other_browser, tool_url)
    launch(platform, browser, MANAGER)
    post(
        browser,
        tool_url,
        f"/plans/{annika.id}",
        f"/plans/{annika.id}",
        {"new-goal-0": "Annika Eraseson lär sig OneDrive", "new-goal-due-0": "2027-01-15"},
    )
    post(browser, tool_url, f"/plans/{annika.id}/versions/1/confirm", f"/plans/{annika.id}", {})
    post(
        other_browser, tool_url, f"/plans/{annika.id}/versions/1/confirm", f"/plans/{annika.id}", {}
    )
    post(
        other_browser,
        tool_url,
        f"/plans/{annika.id}/comments",
        f"/plans/{annika.id}",
        {"comment": "Ring mig på annika.eraseson@example.invalid"},
    )
    # Later statements under pseudonymous actors: both kinds of actor must go.
    db.execute(update(Organisation).where(Organisation.id == org.id).values(xapi_actor="pseudonym"))
    db.commit()
    post(other_browser, tool_url, "/my/plan/done", "/my/plan", {"item_key": "g:1"})
    browser.get(f"{tool_url}/plans/{annika.id}")  # the manager looks at her plan

    launch(platform, browser, KEPT)
    assess(browser, tool_url)

    db.expire_all()
    person = db.scalar(select(Person).where(Person.subject == ERASED["sub"]))
    events = db.scalars(select(CompletionEvent.id).where(CompletionEvent.person_id == person.id))
    event = next(iter(events))
    context_id = db.scalar(select(Launch.context_id).where(Launch.person_id == person.id).limit(1))
    db.add_all(
        [
            RemoteId(
                sync_target_id=moodle.id, kind="plan", local_key=str(person.id), remote_id="77"
            ),
            RemoteId(
                sync_target_id=moodle.id, kind="rating", local_key=f"{event}:1.1", remote_id="3"
            ),
            Membership(context_id=context_id, person_id=person.id, roles=[staff.LEARNER]),
            HrImport(
                organisation_id=org.id,
                source="csv",
                name="staff.csv",
                status="done",
                errors=[{"line": 4, "error": f"unknown manager of {ERASED_NUMBER}"}],
            ),
            JobRun(
                job_id="hr.rest",
                instance="test",
                outcome="failed",
                error=f"HR refused the record of {ERASED['email']}",
            ),
        ]
    )
    # Some of what was queued has gone out already: the admin must be told where.
    db.execute(
        update(Delivery)
        .where(Delivery.target.in_(["xapi.statement", "ags.score", "hr.rest"]))
        .values(status=DeliveryStatus.DELIVERED, delivered_at=utcnow())
    )
    db.commit()
    return {"org": org, "annika": annika, "bertil": bertil, "person": person}


def pseudonym_of(db, organisation_id, person) -> str:
    organisation = db.get(Organisation, organisation_id)
    learner = Learner(issuer=person.issuer, subject=person.subject)
    actors = every_actor(
        learner, public_url="http://127.0.0.1:5000", pseudonym_key=organisation.xapi_pseudonym_key
    )
    return actors[-1].account.name


def every_row(db) -> dict[str, list[dict]]:
    return {
        table.name: [dict(row) for row in db.execute(select(table)).mappings()]
        for table in Base.metadata.sorted_tables
    }


def text(row: dict) -> str:
    return json.dumps(row, default=str, ensure_ascii=False)


def test_every_table_has_a_personal_data_decision():
    assert set(TABLES) == set(Base.metadata.tables), (
        "decide in storage/personal_data.py TABLES what export and erasure do with: "
        f"{sorted(set(Base.metadata.tables) ^ set(TABLES))}"
    )


def test_erasure_leaves_no_identifier_anywhere_and_the_other_person_intact(
    populated, db, kompetenslyft
):
    person, org = populated["person"], populated["org"]
    pseudonym = pseudonym_of(db, org.id, person)
    gone = [
        ERASED["sub"],
        ERASED["name"],
        ERASED["given_name"],
        ERASED["family_name"],
        ERASED["email"],
        ERASED_NUMBER,
        pseudonym,
    ]
    kept = [KEPT["sub"], KEPT["name"], KEPT["email"], KEPT_NUMBER]
    before = every_row(db)
    # The fixture really spread her identifiers around: a scan that finds nothing proves
    # something only if these were there.
    holding = {
        name
        for name, rows in before.items()
        if any(value in text(row) for row in rows for value in gone)
    }
    assert {
        "people",
        "employees",
        "launches",
        "xapi_statements",
        "xapi_statement_refs",
        "deliveries",
        "plan_versions",
        "plan_comments",
        "hr_imports",
        "job_runs",
    } <= holding
    assert any(pseudonym in text(row) for row in before["xapi_statements"])
    kept_before = {
        name: [row for row in rows if any(v in text(row) for v in kept)]
        for name, rows in before.items()
    }
    bertil = db.scalar(select(Person).where(Person.subject == KEPT["sub"]))
    bertil_attempts = db.scalars(select(Attempt.id).where(Attempt.person_id == bertil.id)).all()
    bertil_answers = db.scalars(
        select(Answer.item_id).where(Answer.attempt_id.in_(bertil_attempts))
    ).all()

    result = kompetenslyft(
        "person", "erase", "--organisation", "test-org", "--employee-number", ERASED_NUMBER, "--yes"
    )
    assert result.exit_code == 0, result.output
    assert "the organisation's LRS" in result.output and "lrs.example.invalid" in result.output
    assert "the Moodle gradebook" in result.output
    assert "the HR system (competence records already sent): Personec" in result.output

    db.expire_all()
    after = every_row(db)
    for name, rows in after.items():
        for row in rows:
            found = [value for value in gone if value in text(row)]
            assert not found, f"{name} still holds {found}: {row}"
    for name, rows in kept_before.items():
        assert [row for row in after[name] if any(v in text(row) for v in kept)] == rows, name
    assert (
        db.scalars(select(Answer.item_id).where(Answer.attempt_id.in_(bertil_attempts))).all()
        == bertil_answers
    )
    # Her submitted attempt still counts, anonymously; the audit log keeps the manager's
    # view and records the erasure by its own reference only.
    assert db.scalar(select(Attempt).where(Attempt.person_id == person.id)).overall_level
    erasure = db.scalar(select(AuditEvent).where(AuditEvent.action == "erase"))
    assert erasure.subject_person_id is None and erasure.detail["erasure"] in result.output


def test_the_export_holds_every_row_about_the_person(populated, db, kompetenslyft, tmp_path):
    person, annika, org = populated["person"], populated["annika"], populated["org"]
    rows = every_row(db)  # before the export, which adds its own audit row
    output = tmp_path / "annika.zip"
    result = kompetenslyft(
        "person",
        "export",
        "--organisation",
        "test-org",
        "--email",
        ERASED["email"].upper(),
        "-o",
        str(output),
    )
    assert result.exit_code == 0, result.output
    archive = zipfile.ZipFile(io.BytesIO(output.read_bytes()))
    readme = archive.read("README.txt").decode()
    assert "registerutdrag" in readme and "data export" in readme
    # As from the admin page: the summary for her comes first.
    assert archive.namelist()[0] in ("1 Summary.pdf", "1 Sammanfattning.pdf")
    exported = {
        name.removesuffix(".json"): json.loads(archive.read(name))
        for name in archive.namelist()
        if name.endswith(".json")
    }

    # Independently of storage.personal_data: her rows are those naming her, those pointing
    # (by foreign key) to a row of hers, and the outbox and Moodle-id rows keyed by hers.
    searched = [
        ERASED["sub"],
        ERASED["name"],
        ERASED["email"],
        ERASED_NUMBER,
        pseudonym_of(db, org.id, person),
    ]
    owned: dict[str, set] = {"people": {(person.id,)}, "employees": {(annika.id,)}}

    def key(table, row):
        return tuple(row[column.name] for column in table.primary_key.columns)

    changed = True
    while changed:
        changed = False
        strings = searched + [
            str(pk) for name in ("attempts", "xapi_statements") for (pk,) in owned.get(name, set())
        ]
        for table in Base.metadata.sorted_tables:
            if TABLES[table.name].erasure is Erasure.NONE:
                continue
            for row in rows[table.name]:
                if key(table, row) in owned.get(table.name, set()):
                    continue
                mine = any(value in text(row) for value in strings) or any(
                    (row[fk.parent.name],) in owned.get(fk.column.table.name, set())
                    for fk in table.foreign_keys
                )
                if table.name == "deliveries":
                    payload = row["payload"] or {}
                    mine = mine or payload.get("completion_event_id") in {
                        pk for (pk,) in owned.get("completion_events", set())
                    }
                if table.name == "remote_ids" and row["local_key"] == str(person.id):
                    mine = True
                if table.name == "remote_ids" and row["kind"] == "rating":
                    mine = mine or row["local_key"].split(":")[0] in {
                        str(pk) for (pk,) in owned.get("completion_events", set())
                    }
                if mine:
                    owned.setdefault(table.name, set()).add(key(table, row))
                    changed = True

    assert {
        "people",
        "employees",
        "employments",
        "launches",
        "memberships",
        "attempts",
        "answers",
        "development_plans",
        "plan_versions",
        "plan_comments",
        "plan_item_completions",
        "completion_events",
        "deliveries",
        "remote_ids",
        "xapi_statements",
        "xapi_statement_refs",
        "audit_events",
        "hr_imports",
        "job_runs",
    } <= set(owned)
    for name, keys in owned.items():
        table = Base.metadata.tables[name]
        assert name in exported, f"the export leaves out {name}"
        exported_keys = {
            tuple(str(row[column.name]) for column in table.primary_key.columns)
            for row in exported[name]
        }
        missing = {k for k in keys if tuple(str(part) for part in k) not in exported_keys}
        assert not missing, f"{name}: {missing} not exported"
    # Nobody else's rows: Bertil appears nowhere in her export.
    assert KEPT["name"] not in json.dumps(exported) and KEPT["sub"] not in json.dumps(exported)
    assert (
        db.scalar(select(AuditEvent).where(AuditEvent.action == "export")).subject_person_id
        == person.id
    )


def test_a_person_of_another_organisation_is_not_found(populated, db, kompetenslyft, tmp_path):
    other = Organisation(slug="other-org", name="Other")
    db.add(other)
    db.commit()
    result = kompetenslyft(
        "person",
        "export",
        "--organisation",
        "other-org",
        "--employee-number",
        ERASED_NUMBER,
        "-o",
        str(tmp_path / "x.zip"),
    )
    assert result.exit_code != 0 and "no such person" in result.output
    assert not (tmp_path / "x.zip").exists()
    assert db.scalar(select(Employee).where(Employee.employee_number == ERASED_NUMBER))


def test_the_managers_view_of_her_plan_is_audited_and_her_own_views_are_not(
    populated, db, kompetenslyft
):
    person = populated["person"]
    majken = db.scalar(select(Person).where(Person.subject == MANAGER["sub"]))
    events = db.scalars(select(AuditEvent)).all()
    views = [(e.action, e.actor_person_id, e.subject_person_id) for e in events]
    assert ("view_plan", majken.id, person.id) in views
    assert all(actor != subject for _, actor, subject in views)
    assert all(ERASED["name"] not in text(e.detail) for e in events)

    listed = kompetenslyft("audit", "list", "--organisation", "test-org")
    assert listed.exit_code == 0
    assert f"view_plan     by {majken.id}  about {person.id}" in listed.output


def test_someone_only_in_hrs_list_is_exported_and_erased_by_employee_number(
    db, platform, kompetenslyft, tmp_path
):
    org = staff.organisation(db, "test-org")
    staff.employee(db, org, "HR-ONLY-3131", "Hilda Hronly", email="hilda@example.invalid")
    output = tmp_path / "hilda.zip"

    exported = kompetenslyft(
        "person",
        "export",
        "--organisation",
        "test-org",
        "--employee-number",
        "HR-ONLY-3131",
        "-o",
        str(output),
    )
    erased = kompetenslyft(
        "person",
        "erase",
        "--organisation",
        "test-org",
        "--employee-number",
        "HR-ONLY-3131",
        input="y\n",
    )

    assert exported.exit_code == 0 and erased.exit_code == 0, erased.output
    archive = zipfile.ZipFile(io.BytesIO(output.read_bytes()))
    assert json.loads(archive.read("employees.json"))[0]["name"] == "Hilda Hronly"
    assert "employments.json" in archive.namelist() and "people.json" not in archive.namelist()
    assert "employees: 1 (pseudonymise)" in erased.output and "Erase?" in erased.output
    db.expire_all()
    for name, rows in every_row(db).items():
        for row in rows:
            found = [v for v in ("HR-ONLY-3131", "Hilda", "hilda@") if v in text(row)]
            assert not found, (name, row)
