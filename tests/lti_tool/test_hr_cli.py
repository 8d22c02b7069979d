"""An operator imports HR's staff list with `kompetenslyft hr`, or lets the tool poll HR nightly."""

import uuid

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select

from config import load_settings
from lti.http_client import make_http_session
from storage import Employee, Employment, HrImport, HrSource, Organisation
from sync.hr_polling import poll_hr_sources
from sync.scheduler import add_jobs
from tests.support.hr_endpoint import HrEndpoint

STAFF = (
    "\ufeffemployee_id;email;name;manager_employee_id;unit_code;unit_name;role\n"
    "1;chef@kommun.se;Åsa Chef;;OMS;Omsorg;Enhetschef\n"
    "2;per@kommun.se;Per Personal;1;OMS;Omsorg;Undersköterska\n"
)


def organisation(db) -> Organisation:
    row = Organisation(slug=f"kommun-{uuid.uuid4().hex[:6]}", name="Kommun")
    db.add(row)
    db.commit()
    return row


def employees(db, org) -> int:
    db.expire_all()
    return db.scalar(select(func.count(Employee.id)).where(Employee.organisation_id == org.id))


def test_a_dry_run_shows_the_diff_and_the_import_applies_it(kompetenslyft, db, tmp_path):
    org = organisation(db)
    path = tmp_path / "personal.csv"
    path.write_text(STAFF, encoding="utf-8")

    dry = kompetenslyft("hr", "import", "--organisation", org.slug, str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "created: 2" in dry.output and "dry run" in dry.output
    assert employees(db, org) == 0

    done = kompetenslyft("hr", "import", "--organisation", org.slug, str(path))
    assert done.exit_code == 0, done.output
    assert employees(db, org) == 2
    history = db.scalars(select(HrImport).where(HrImport.organisation_id == org.id)).all()
    assert [(h.status, h.summary["created"]) for h in history] == [("done", 2)]


def test_a_bad_file_is_refused_with_every_line_and_changes_nothing(kompetenslyft, db, tmp_path):
    org = organisation(db)
    path = tmp_path / "personal.csv"
    path.write_text(STAFF + "3;fel;Bo;9;OMS;Omsorg;X\n2;b@k.se;Dubbel;;;;\n", encoding="utf-8")

    result = kompetenslyft("hr", "import", "--organisation", org.slug, str(path))

    assert result.exit_code == 1
    assert "personal.csv: line 4: email 'fel' is not an e-mail address" in result.output
    assert "personal.csv: line 4: unknown manager id '9'" in result.output
    assert "personal.csv: line 5: duplicate employee_id '2' (also on line 3)" in result.output
    assert employees(db, org) == 0
    rejected = db.scalar(select(HrImport).where(HrImport.organisation_id == org.id))
    assert rejected.status == "rejected" and rejected.errors[0]["line"] == 4


def test_a_large_file_shows_progress(kompetenslyft, db, tmp_path):
    org = organisation(db)
    path = tmp_path / "stor.csv"
    path.write_text(
        "employee_id,name\n" + "".join(f"{n},Person {n}\n" for n in range(1500)), encoding="utf-8"
    )

    result = kompetenslyft("hr", "import", "--organisation", org.slug, str(path))

    assert result.exit_code == 0 and "importing" in result.output
    assert employees(db, org) == 1500


@pytest.fixture
def hr_endpoint():
    server = HrEndpoint(token="hr-token")
    yield server
    server.stop()


def test_the_poll_imports_what_the_hr_endpoint_serves(
    kompetenslyft, db, hr_endpoint, database, settings
):
    org = organisation(db)
    hr_endpoint.employees = [
        {"employee_id": "1", "name": "Åsa Chef", "unit_code": "OMS", "role": "Enhetschef"},
        {"employee_id": "2", "name": "Per", "manager_employee_id": "1", "unit_code": "OMS"},
    ]
    set_source = kompetenslyft(
        "hr", "source", "set", "--organisation", org.slug, "--url", hr_endpoint.url,
        "--token-stdin", input="hr-token\n",
    )  # fmt: skip
    assert set_source.exit_code == 0, set_source.output
    assert "hr-token" not in set_source.output
    db.expire_all()
    assert "hr-token" not in db.scalar(select(HrSource.sealed_token))

    polled = kompetenslyft("hr", "poll", "--organisation", org.slug)

    assert polled.exit_code == 0, polled.output
    assert "created 2" in polled.output and employees(db, org) == 2

    hr_endpoint.employees[1]["unit_code"] = "IT"
    http = make_http_session(timeout=5, retries=0)
    secret_key = load_settings(environ=kompetenslyft.env).secret_key
    [result] = poll_hr_sources(database, http, secret_key)
    assert result.error is None and [m[0] for m in result.diff.moved] == ["2"]
    db.expire_all()
    assert db.scalar(select(func.count(Employment.id))) == 3


def test_a_failing_endpoint_changes_nothing_and_is_kept_as_the_error(
    kompetenslyft, db, hr_endpoint, database, settings
):
    org = organisation(db)
    db.add(HrSource(organisation_id=org.id, url=hr_endpoint.url))  # no token: refused with 401
    db.commit()
    hr_endpoint.employees = [{"employee_id": "1", "name": "A"}]

    [result] = poll_hr_sources(
        database, make_http_session(timeout=5, retries=0), settings.secret_key
    )

    assert result.error == "the HR endpoint answered HTTP 401"
    db.expire_all()
    assert employees(db, org) == 0
    assert db.scalar(select(HrSource.last_error)) == "the HR endpoint answered HTTP 401"
    assert db.scalar(select(HrImport.status)) == "failed"
    assert kompetenslyft("hr", "poll").exit_code == 1


def test_the_scheduler_polls_hr_every_night(database, settings):
    scheduler = BackgroundScheduler()
    add_jobs(scheduler, settings, database)

    job = scheduler.get_job("hr-poll")
    assert str(job.trigger.fields[5]) == "3" and job.max_instances == 1
