"""An HR import: the diff first, then all of it in one transaction, with history kept on moves."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from competence.staff_list import RowError, problem, staff_list_from_csv
from storage import Employee, Employment, Organisation, Person, Unit, utcnow
from storage.hr_import import HrImport, apply_staff_list, record_import
from storage.staff import current_employment, link_person, team_ids

HEADER = "employee_id;email;name;manager_employee_id;unit_code;unit_name;parent_unit_code;role\n"
FIRST = (
    HEADER + "1;chef@umea.se;Åsa Chef;;KOM;Kommunen;;Direktör\n"
    "2;eva@umea.se;Eva Enhetschef;1;OMS;Omsorg;KOM;Enhetschef\n"
    "3;per@umea.se;Per Personal;2;OMS;Omsorg;KOM;Undersköterska\n"
    "4;lisa@umea.se;Lisa Ledig;2;OMS;Omsorg;KOM;Undersköterska\n"
)


@pytest.fixture
def organisation(app, database):
    with database.transaction() as session:
        organisation = Organisation(slug="umea", name="Umeå kommun")
        session.add(organisation)
        session.flush()
        return organisation.id


def run(database, organisation_id, content, dry_run=False, now=None):
    with database.transaction() as session:
        return apply_staff_list(
            session, organisation_id, staff_list_from_csv(content), dry_run=dry_run, now=now
        )


def counts(session, organisation_id):
    """Employees, units and employments of one organisation (other tests share the database)."""
    employee = Employee.organisation_id == organisation_id
    return (
        session.scalar(select(func.count()).select_from(Employee).where(employee)),
        session.scalar(
            select(func.count()).select_from(Unit).where(Unit.organisation_id == organisation_id)
        ),
        session.scalar(
            select(func.count())
            .select_from(Employment)
            .join(Employee, Employee.id == Employment.employee_id)
            .where(employee)
        ),
    )


def test_a_dry_run_shows_the_diff_and_writes_nothing(database, db, organisation):
    diff = run(database, organisation, FIRST, dry_run=True)

    assert diff.summary()["created"] == 4 and diff.units_created == ["KOM", "OMS"]
    assert counts(db, organisation) == (0, 0, 0)


def test_an_import_creates_units_employees_and_the_transitive_team(database, db, organisation):
    run(database, organisation, FIRST)

    ids = dict(db.execute(select(Employee.employee_number, Employee.id)).all())
    assert counts(db, organisation) == (4, 2, 4)
    oms = db.scalar(select(Unit).where(Unit.code == "OMS"))
    assert oms.name == "Omsorg" and oms.parent.code == "KOM"
    assert team_ids(db, ids["1"]) == {ids["2"], ids["3"], ids["4"]}
    assert team_ids(db, ids["2"]) == {ids["3"], ids["4"]}
    assert team_ids(db, ids["3"]) == set()


def test_a_move_keeps_history_and_leavers_are_deactivated(database, db, organisation):
    start = utcnow() - timedelta(days=30)
    run(database, organisation, FIRST, now=start)
    moved = FIRST.replace(
        "3;per@umea.se;Per Personal;2;OMS;Omsorg;KOM;Undersköterska",
        "3;per@umea.se;Per Personal;1;IT;IT-enheten;KOM;Systemförvaltare",
    )
    without_lisa = (
        "\n".join(line for line in moved.splitlines() if not line.startswith("4;")) + "\n"
    )

    again = run(database, organisation, without_lisa, dry_run=True)
    diff = run(database, organisation, without_lisa)

    assert again.summary() == diff.summary()
    assert [m[0] for m in diff.moved] == ["3"] and diff.moved[0][2] == "unit, manager, role"
    assert [d[0] for d in diff.deactivated] == ["4"]
    per = db.scalar(select(Employee).where(Employee.employee_number == "3"))
    history = [(e.unit.code, e.role_title, e.valid_to is None) for e in per.employments]
    assert history == [("OMS", "Undersköterska", False), ("IT", "Systemförvaltare", True)]
    lisa = db.scalar(select(Employee).where(Employee.employee_number == "4"))
    assert not lisa.active and current_employment(db, lisa.id) is None

    back = run(database, organisation, FIRST)
    assert [r[0] for r in back.reactivated] == ["4"]
    assert run(database, organisation, FIRST).changes_anything is False


def test_people_are_linked_by_idnumber_then_by_email(database, db, organisation):
    with database.transaction() as session:
        session.add_all(
            [
                Person(
                    organisation_id=organisation,
                    issuer="i",
                    subject="a",
                    person_sourcedid="2",
                    email="x@y.se",
                ),
                Person(organisation_id=organisation, issuer="i", subject="b", email="PER@umea.se"),
            ]
        )

    diff = run(database, organisation, FIRST)

    assert sorted(link[0] for link in diff.linked) == ["2", "3"]
    linked = dict(
        db.execute(
            select(Employee.employee_number, Person.subject).join(Person, Employee.person)
        ).all()
    )
    assert linked == {"2": "a", "3": "b"}
    late = Person(organisation_id=organisation, issuer="i", subject="c", email="lisa@umea.se")
    db.add(late)
    db.flush()
    assert link_person(db, late).employee_number == "4"
    db.rollback()


def test_a_failing_import_changes_nothing(database, db, organisation):
    run(database, organisation, FIRST)
    before = counts(db, organisation)

    with pytest.raises(RuntimeError), database.transaction() as session:
        apply_staff_list(session, organisation, staff_list_from_csv(FIRST + "5;;Ny;1;NY;Ny;;\n"))
        raise RuntimeError("the connection dropped")

    db.expire_all()
    assert counts(db, organisation) == before


def test_ten_thousand_rows_are_imported(database, db, organisation):
    lines = [HEADER, "0;boss@x.se;Boss;;U0;Unit 0;;Chef\n"]
    lines += [
        f"{n};p{n}@x.se;Person {n};{(n - 1) // 10};U{n % 50};Unit {n % 50};"
        f"{'U0' if n % 50 else ''};Roll {n % 7}\n"
        for n in range(1, 10_000)
    ]
    diff = run(database, organisation, "".join(lines))

    assert diff.summary()["created"] == 10_000
    assert counts(db, organisation) == (10_000, 50, 10_000)
    assert run(database, organisation, "".join(lines)).changes_anything is False


def test_an_applied_list_is_recorded_with_what_it_changed(database, db, organisation):
    diff = run(database, organisation, FIRST)
    with database.transaction() as session:
        row_id = record_import(
            session, organisation, source="csv", name="personal.csv", rows=4, diff=diff
        ).id

    recorded = db.get(HrImport, row_id)
    assert (recorded.status, recorded.rows, recorded.errors) == ("done", 4, [])
    assert recorded.summary["created"] == 4 and recorded.summary["units_created"] == 2
    assert recorded.finished_at >= recorded.started_at


def test_a_refused_list_is_recorded_with_every_problem_and_no_changes(database, db, organisation):
    errors = [problem(3, "unknown_parent", value="XYZ")]
    with database.transaction() as session:
        row_id = record_import(
            session,
            organisation,
            source="json",
            name="https://hr.example/staff",
            rows=0,
            errors=errors,
        ).id

    recorded = db.get(HrImport, row_id)
    assert (recorded.status, recorded.summary) == ("rejected", {})
    assert recorded.errors == [
        {
            "line": 3,
            "error": "unknown parent unit 'XYZ'",
            "code": "unknown_parent",
            "params": {"value": "XYZ"},
        }
    ]
    assert counts(db, organisation) == (0, 0, 0)


def test_a_changed_name_email_gender_or_role_model_is_an_update_named_by_field(
    database, db, organisation
):
    header = "employee_id;email;name;gender;digital_role_model\n"
    run(database, organisation, header + "1;a@umea.se;Åsa;kvinna;nej\n2;b@umea.se;Bo;man;nej\n")

    diff = run(database, organisation, header + "1;ny@umea.se;Åsa Ny;;ja\n2;b@umea.se;Bo;man;nej\n")

    assert diff.updated == [("1", "Åsa Ny", "name, email, gender, digital_role_model")]
    assert diff.summary()["updated"] == 1 and diff.moved == [] and diff.created == []
    db.expire_all()
    asa = db.scalar(select(Employee).where(Employee.employee_number == "1"))
    assert (asa.name, asa.email, asa.gender, asa.digital_role_model) == (
        "Åsa Ny",
        "ny@umea.se",
        None,
        True,
    )


def test_a_renamed_unit_keeps_its_employees_and_a_new_parent_is_taken(database, db, organisation):
    run(database, organisation, FIRST)

    renamed = FIRST.replace(";OMS;Omsorg;KOM;", ";OMS;Vård och omsorg;;")
    diff = run(database, organisation, renamed)

    assert (diff.units_renamed, diff.units_created, diff.moved) == (["OMS"], [], [])
    db.expire_all()
    oms = db.scalar(select(Unit).where(Unit.organisation_id == organisation, Unit.code == "OMS"))
    assert (oms.name, oms.parent) == ("Vård och omsorg", None)
    assert counts(db, organisation) == (4, 2, 4)


def test_a_person_linked_by_employee_id_is_not_linked_again_by_email_to_someone_else(
    database, db, organisation
):
    with database.transaction() as session:
        session.add(
            Person(
                organisation_id=organisation,
                issuer="i",
                subject="a",
                person_sourcedid="2",
                email="chef@umea.se",  # employee 1's address
            )
        )

    diff = run(database, organisation, FIRST)

    assert [link[0] for link in diff.linked] == ["2"]
    linked = db.scalars(select(Employee.employee_number).where(Employee.person_id.is_not(None)))
    assert list(linked) == ["2"]


def test_a_run_is_recorded_with_what_it_changed_or_why_it_changed_nothing(
    database, db, organisation
):
    with database.transaction() as session:
        diff = apply_staff_list(session, organisation, staff_list_from_csv(FIRST))
        done = record_import(session, organisation, source="csv", name="a.csv", rows=4, diff=diff)
        refused = record_import(
            session,
            organisation,
            source="json",
            name="https://hr.example/" + "x" * 300,
            rows=2,
            errors=[RowError.of(3, "bad_gender", value="kanske")],
        )

    assert (done.status, done.rows, done.summary["created"], done.errors) == ("done", 4, 4, [])
    assert (refused.status, refused.summary, len(refused.name)) == ("rejected", {}, 255)
    assert refused.errors == [
        {
            "line": 3,
            "error": "gender 'kanske' is not one of woman, man, other (or empty)",
            "code": "bad_gender",
            "params": {"value": "kanske"},
        }
    ]
    assert db.scalar(select(func.count()).select_from(HrImport)) == 2
