"""The one staff-list import action: a list that would end too much of the organisation is
applied only when someone confirms that very number."""

import pytest
from sqlalchemy import func, select

from storage import Employee, HrImport, Organisation
from storage.staff_import import (
    MassEndingRefused,
    apply_staff_list_preview,
    import_staff_list,
    preview_staff_list,
)

HEADER = "employee_id;name\n"
TWENTY = HEADER + "".join(f"{n};Person {n}\n" for n in range(20))


@pytest.fixture
def organisation(app, database):
    with database.transaction() as session:
        row = Organisation(slug=f"org-{id(session)}", name="Kommunen")
        session.add(row)
        session.flush()
        organisation_id = row.id
    import_staff_list(database, organisation_id, "alla.csv", TWENTY.encode())
    return organisation_id


def active(database, organisation_id) -> int:
    with database.sessions() as session:
        return session.scalar(
            select(func.count(Employee.id)).where(
                Employee.organisation_id == organisation_id, Employee.active.is_(True)
            )
        )


def test_three_of_twenty_ended_is_more_than_ten_percent_and_refused(database, organisation):
    seventeen = HEADER + "".join(f"{n};Person {n}\n" for n in range(17))

    with pytest.raises(MassEndingRefused) as refused:
        import_staff_list(database, organisation, "sjutton.csv", seventeen.encode())

    assert str(refused.value) == (
        "the staff list would end 3 of 20 current employments (15 %); more than 10 % are "
        "ended only when someone confirms it"
    )
    assert active(database, organisation) == 20


def test_two_of_twenty_is_ten_percent_and_not_more(database, organisation):
    eighteen = HEADER + "".join(f"{n};Person {n}\n" for n in range(18))

    done = import_staff_list(database, organisation, "arton.csv", eighteen.encode())

    assert len(done.diff.deactivated) == 2 and active(database, organisation) == 18


def test_the_share_is_a_setting(database, organisation):
    seventeen = HEADER + "".join(f"{n};Person {n}\n" for n in range(17))

    done = import_staff_list(
        database, organisation, "sjutton.csv", seventeen.encode(), max_ending_percent=15
    )

    assert len(done.diff.deactivated) == 3 and active(database, organisation) == 17


def test_an_empty_list_always_needs_the_confirmation_even_at_100_percent(database, organisation):
    with pytest.raises(MassEndingRefused) as refused:
        import_staff_list(
            database, organisation, "tom.csv", HEADER.encode(), max_ending_percent=100
        )

    assert refused.value.ending.empty_list and refused.value.ending.ending == 20
    assert active(database, organisation) == 20


def test_a_confirmation_counts_only_for_the_number_it_names(database, organisation):
    preview = preview_staff_list(
        database, organisation, "tom.csv", HEADER.encode(), by_person_id=None
    )
    assert preview.needs_confirmation and preview.ending.percent == 100

    with pytest.raises(MassEndingRefused):
        apply_staff_list_preview(database, organisation, preview.record_id, confirmed_ending=19)
    assert active(database, organisation) == 20

    done = apply_staff_list_preview(database, organisation, preview.record_id, confirmed_ending=20)

    assert len(done.diff.deactivated) == 20 and active(database, organisation) == 0
    with database.sessions() as session:
        assert session.get(HrImport, preview.record_id).status == "done"
