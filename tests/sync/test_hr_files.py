"""Competence records reach HR as CSV files, in a folder or on an SFTP server (asyncssh's, on
loopback): whole files only, with checksums, each record in exactly one file."""

from __future__ import annotations

import csv
import hashlib
import io
from collections import Counter
from pathlib import Path

import asyncssh
import pytest
from sqlalchemy import update

from storage import CompletionEvent, Database, Delivery, DeliveryStatus, SyncTarget, migrate
from sync.hr_delivery import deliver_hr_records
from sync.hr_files import HrFilesSender
from sync.hr_records import HR_FILES
from tests.support.hr_records import (
    SECRET_KEY,
    add_target,
    complete,
    dead_reasons,
    expected_record_ids,
    make_due,
    organisation_with_staff,
    queue,
    statuses,
)
from tests.support.sftp_server import PASSWORD, USERNAME, SftpServer


@pytest.fixture
def database(empty_database_url):
    url = empty_database_url()
    migrate.upgrade(url)
    db = Database(url)
    yield db
    db.dispose()


@pytest.fixture
def deliver(database):
    return lambda: deliver_hr_records(database, {HR_FILES: HrFilesSender(SECRET_KEY)})


@pytest.fixture
def sftp(tmp_path):
    server = SftpServer(tmp_path / "sftp")
    (tmp_path / "sftp" / "inbox").mkdir()
    yield server
    server.stop()


def read_folder(folder: Path, delimiter: str = ";") -> dict[str, list[dict]]:
    """Every CSV HR would take (its checksum file present and matching), by name."""
    files = {}
    for path in sorted(folder.glob("*.csv")):
        content = path.read_bytes()
        checksum = (folder / f"{path.name}.sha256").read_text()
        assert checksum == f"{hashlib.sha256(content).hexdigest()}  {path.name}\n"
        text = content.decode("utf-8-sig")
        files[path.name] = list(csv.DictReader(io.StringIO(text), delimiter=delimiter))
    return files


def records_in(files: dict[str, list[dict]]) -> Counter:
    return Counter(row["record_id"] for rows in files.values() for row in rows)


def sftp_settings(server: SftpServer, **settings) -> dict:
    return {
        "sftp_host": "127.0.0.1",
        "sftp_port": server.port,
        "sftp_username": USERNAME,
        "sftp_host_key": server.known_host,
        "sftp_folder": "/inbox",
        **settings,
    }


def test_completions_become_one_semicolon_csv_with_its_checksum_in_the_folder(
    database, deliver, tmp_path
):
    organisation = organisation_with_staff(database)
    folder = tmp_path / "hr"
    target = add_target(
        database,
        organisation,
        "hr_files",
        {"folder": str(folder), "programme_code": "ESF-2026-0042"},
    )
    events = complete(database, organisation, 40)
    queue(database, target, events)

    assert deliver().delivered == 40

    files = read_folder(folder)
    assert len(files) == 1
    assert records_in(files) == expected_record_ids(events, target)
    first = next(iter(files.values()))[0]
    assert first["employee_id"] == "E00000" and first["competence_id"] == "1.1"
    assert first["competence_name"].startswith("Söka, hitta och filtrera")
    assert first["programme_code"] == "ESF-2026-0042" and first["date"] == "2026-11-02"
    assert sorted(p.name for p in folder.iterdir() if p.name.startswith(".")) == []
    assert statuses(database, target) == {DeliveryStatus.DELIVERED: 40}


def test_delimiter_and_bom_are_as_configured(database, deliver, tmp_path):
    organisation = organisation_with_staff(database)
    folder = tmp_path / "hr"
    target = add_target(
        database, organisation, "hr_files", {"folder": str(folder), "delimiter": ",", "bom": True}
    )
    queue(database, target, complete(database, organisation, 3))

    deliver()

    (path,) = folder.glob("*.csv")
    assert path.read_bytes().startswith("\ufeffrecord_id,employee_id,".encode())
    assert len(read_folder(folder, delimiter=",")[path.name]) == 6


def test_a_batch_sent_again_after_a_crash_overwrites_its_own_file(database, deliver, tmp_path):
    organisation = organisation_with_staff(database)
    folder = tmp_path / "hr"
    target = add_target(database, organisation, "hr_files", {"folder": str(folder)})
    events = complete(database, organisation, 30)
    queue(database, target, events[:20])
    deliver()
    (first,) = folder.glob("*.csv")
    # A crash after writing, before the outbox heard: the 20 are pending again, and 10
    # more completions arrive meanwhile.
    with database.transaction() as session:
        session.execute(
            update(Delivery)
            .where(Delivery.target == HR_FILES)
            .values(status=DeliveryStatus.PENDING, delivered_at=None)
        )
    queue(database, target, events[20:])

    assert deliver().delivered == 30

    files = read_folder(folder)
    assert len(files) == 2 and first.name in files
    assert records_in(files) == expected_record_ids(events, target)


def test_a_completion_without_an_employee_is_dead_lettered_and_the_others_written(
    database, deliver, tmp_path
):
    organisation = organisation_with_staff(database)
    folder = tmp_path / "hr"
    target = add_target(database, organisation, "hr_files", {"folder": str(folder)})
    events = complete(database, organisation, 5)
    with database.transaction() as session:
        session.get(CompletionEvent, events[2]).employee_id = None
    queue(database, target, events)

    counts = deliver()

    assert counts.delivered == 4 and counts.dead == 1
    assert "no employee" in dead_reasons(database, target)[f"{target}:{events[2]}"]
    healthy = [event for event in events if event != events[2]]
    assert records_in(read_folder(folder)) == expected_record_ids(healthy, target)


def test_sftp_upload_lands_whole_with_its_checksum(database, deliver, sftp, tmp_path):
    organisation = organisation_with_staff(database)
    target = add_target(
        database, organisation, "hr_files", sftp_settings(sftp), {"password": PASSWORD}
    )
    events = complete(database, organisation, 25)
    queue(database, target, events)

    assert deliver().delivered == 25

    inbox = tmp_path / "sftp" / "inbox"
    assert records_in(read_folder(inbox)) == expected_record_ids(events, target)
    assert [p.name for p in inbox.iterdir() if p.name.startswith(".")] == []


def test_sftp_down_for_a_while_then_up_gets_every_record_once(database, deliver, sftp, tmp_path):
    organisation = organisation_with_staff(database)
    target = add_target(
        database, organisation, "hr_files", sftp_settings(sftp), {"password": PASSWORD}
    )
    events = complete(database, organisation, 25)
    queue(database, target, events)
    sftp.go_down()

    down = deliver()

    assert down.delivered == 0 and down.postponed == 25
    with database.sessions() as session:
        assert "unavailable" in session.get(SyncTarget, target).last_error
    sftp.come_up()
    make_due(database, target)
    assert deliver().delivered == 25
    inbox = tmp_path / "sftp" / "inbox"
    assert records_in(read_folder(inbox)) == expected_record_ids(events, target)


def test_an_sftp_server_with_another_host_key_gets_nothing(database, deliver, sftp, tmp_path):
    organisation = organisation_with_staff(database)
    impostor_key = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh")
    target = add_target(
        database,
        organisation,
        "hr_files",
        sftp_settings(sftp, sftp_host_key=impostor_key.decode()),
        {"password": PASSWORD},
    )
    queue(database, target, complete(database, organisation, 3))

    assert deliver().postponed == 3

    with database.sessions() as session:
        assert "host key" in session.get(SyncTarget, target).last_error
    assert list((tmp_path / "sftp" / "inbox").iterdir()) == []


def test_wrong_sftp_password_postpones_and_loses_nothing(database, deliver, sftp):
    organisation = organisation_with_staff(database)
    target = add_target(
        database, organisation, "hr_files", sftp_settings(sftp), {"password": "wrong"}
    )
    queue(database, target, complete(database, organisation, 3))

    assert deliver().postponed == 3
    assert statuses(database, target) == {DeliveryStatus.PENDING: 3}
