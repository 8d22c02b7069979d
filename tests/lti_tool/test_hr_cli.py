"""An operator imports HR's staff list with `kompetenslyft hr`, or lets the tool poll HR nightly."""

import uuid

import pytest
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy import func, select, update

from config import load_settings
from outbound.http_client import make_http_session
from storage import Employee, Employment, HrImport, HrSource, Organisation
from storage.jobs import JobRun
from sync.hr_polling import poll_hr_sources
from sync.scheduler import JobRunner, add_jobs, configured_jobs
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


# --- The guard: a list that would end the organisation is never applied unasked ---------

HEADER_ONLY = "employee_id;email;name;manager_employee_id;unit_code;unit_name;role\n"


def active(db, org) -> int:
    db.expire_all()
    return db.scalar(
        select(func.count(Employee.id)).where(
            Employee.organisation_id == org.id, Employee.active.is_(True)
        )
    )


def test_a_header_only_list_is_refused_with_exit_code_2_and_nobody_is_deactivated(
    kompetenslyft, db, tmp_path
):
    org = organisation(db)
    staff, empty = tmp_path / "personal.csv", tmp_path / "tom.csv"
    staff.write_text(STAFF, encoding="utf-8")
    empty.write_text(HEADER_ONLY, encoding="utf-8")
    assert kompetenslyft("hr", "import", "--organisation", org.slug, str(staff)).exit_code == 0

    refused = kompetenslyft("hr", "import", "--organisation", org.slug, str(empty))

    assert refused.exit_code == 2
    message = refused.output.strip()
    assert "\n" not in message and "Traceback" not in message
    assert "tom.csv would end 2 of 2 current employments (100 %)" in message
    assert "run again with --allow-mass-ending" in message
    assert active(db, org) == 2
    history = db.scalars(
        select(HrImport).where(HrImport.organisation_id == org.id).order_by(HrImport.id)
    ).all()
    assert [h.status for h in history] == ["done", "rejected"]
    assert history[1].errors[0]["code"] == "mass_ending"


def test_with_allow_mass_ending_the_header_only_list_ends_everyone(kompetenslyft, db, tmp_path):
    org = organisation(db)
    staff, empty = tmp_path / "personal.csv", tmp_path / "tom.csv"
    staff.write_text(STAFF, encoding="utf-8")
    empty.write_text(HEADER_ONLY, encoding="utf-8")
    kompetenslyft("hr", "import", "--organisation", org.slug, str(staff))

    done = kompetenslyft(
        "hr", "import", "--organisation", org.slug, str(empty), "--allow-mass-ending"
    )

    assert done.exit_code == 0, done.output
    assert "deactivated: 2" in done.output
    assert active(db, org) == 0


def test_a_list_ending_fewer_than_the_set_share_needs_no_flag(kompetenslyft, db, tmp_path):
    org = organisation(db)
    everyone, one_left = tmp_path / "alla.csv", tmp_path / "en-slutat.csv"
    header = "employee_id;name\n"
    everyone.write_text(header + "".join(f"{n};Person {n}\n" for n in range(20)))
    one_left.write_text(header + "".join(f"{n};Person {n}\n" for n in range(19)))
    kompetenslyft("hr", "import", "--organisation", org.slug, str(everyone))

    done = kompetenslyft("hr", "import", "--organisation", org.slug, str(one_left))

    assert done.exit_code == 0, done.output  # 1 of 20 is 5 %, under the default 10 %
    assert active(db, org) == 19


def test_a_dry_run_of_an_empty_list_says_it_would_need_the_flag(kompetenslyft, db, tmp_path):
    org = organisation(db)
    staff, empty = tmp_path / "personal.csv", tmp_path / "tom.csv"
    staff.write_text(STAFF, encoding="utf-8")
    empty.write_text(HEADER_ONLY, encoding="utf-8")
    kompetenslyft("hr", "import", "--organisation", org.slug, str(staff))

    dry = kompetenslyft("hr", "import", "--organisation", org.slug, str(empty), "--dry-run")

    assert dry.exit_code == 0
    assert "ends 2 of 2 current employments (100 %)" in dry.output
    assert "needs --allow-mass-ending" in dry.output
    assert active(db, org) == 2


def test_an_oversized_staff_list_is_refused_before_it_is_read(kompetenslyft, db, tmp_path):
    org = organisation(db)
    path = tmp_path / "enorm.csv"
    with path.open("wb") as file:
        file.truncate(200 * 1024 * 1024)  # a sparse file: 200 MB that take no disk

    refused = kompetenslyft("hr", "import", "--organisation", org.slug, str(path))

    assert refused.exit_code == 1
    assert "enorm.csv: the file is 200 MB; at most 8 MB can be imported" in refused.output
    assert employees(db, org) == 0


def test_the_nightly_poll_refuses_an_empty_list_as_a_failed_job_run_and_changes_nothing(
    db, hr_endpoint, database, settings
):
    org = organisation(db)
    hr_endpoint.token = None
    db.execute(update(HrSource).values(enabled=False))  # other tests' sources are not polled
    db.add(HrSource(organisation_id=org.id, url=hr_endpoint.url))
    db.commit()
    hr_endpoint.employees = [
        {"employee_id": "1", "name": "Åsa Chef"},
        {"employee_id": "2", "name": "Per", "manager_employee_id": "1"},
    ]
    runner = JobRunner(
        settings, database, [s for s in configured_jobs(settings) if s.id == "hr-poll"]
    )
    assert runner.run("hr-poll") == "ok"
    assert active(db, org) == 2

    hr_endpoint.employees = []  # HR's system had a bad night
    outcome = runner.run("hr-poll")

    assert outcome == "failed"
    run = db.scalars(
        select(JobRun).where(JobRun.job_id == "hr-poll").order_by(JobRun.id.desc())
    ).first()
    assert "would end 2 of 2 current employments (100 %)" in run.error
    assert "nothing was changed" in run.error
    assert active(db, org) == 2
    db.expire_all()
    source = db.scalar(select(HrSource).where(HrSource.organisation_id == org.id))
    assert "would end 2 of 2" in source.last_error
    latest = db.scalars(
        select(HrImport).where(HrImport.organisation_id == org.id).order_by(HrImport.id.desc())
    ).first()
    assert latest.status == "rejected" and latest.errors[0]["code"] == "mass_ending"


def test_an_unclosed_quote_is_refused_with_its_line_and_nobody_is_created(
    kompetenslyft, db, tmp_path
):
    org = organisation(db)
    path = tmp_path / "personal.csv"
    path.write_text(
        STAFF.replace(";Per Personal;", ';"Per Personal;') + "3;eva@kommun.se;Eva;1;OMS;Omsorg;\n",
        encoding="utf-8",
    )

    refused = kompetenslyft("hr", "import", "--organisation", org.slug, str(path))

    assert refused.exit_code == 1
    assert (
        "personal.csv: line 3: a quoted value that starts on this line is never closed"
        in refused.output
    )
    assert "Traceback" not in refused.output
    assert employees(db, org) == 0
