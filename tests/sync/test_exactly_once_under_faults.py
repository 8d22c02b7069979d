"""Two real `kompetenslyft scheduler` processes on PostgreSQL, SIGKILLed 50 times mid-batch,
while HR's REST API, HR's SFTP server and Moodle are down, slow, answer 500s, lose answers
and refuse poison records: every expected record arrives exactly once, the poison records
are dead-lettered with their reasons, and nothing else is.

Each round adds new completions, starts two schedulers, waits until one of them is in the
middle of a batch (a request held by HR before or after storing it, or an SFTP upload
held before its rename) and kills both.  Leases of the killed processes run out and the
next processes send the same deliveries again, which the remote systems recognise.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from storage import Database, Delivery, DeliveryStatus, Employee, Organisation, SyncTarget
from storage.completions import record_completion
from storage.lrs import seal
from storage.people import Person
from sync.hr_records import HR_FILES, HR_REST, delivery_key
from sync.moodle_plans import PLAN_NAME, marker
from sync.moodle_plans import TARGET as MOODLE
from sync.target_secrets import seal_secrets
from tests.support.hr_rest_double import API_KEY, HMAC_KEY, HrRestDouble
from tests.support.moodle_ws import TOKEN, MoodleDouble
from tests.support.sftp_server import PASSWORD, USERNAME, SftpServer

SECRET_KEY = "exactly-once-test-secret-key-0123456789abcdef"
ROUNDS = 25  # two schedulers killed each round: 50 SIGKILLs
FIRST_COMPLETIONS = 30
PER_ROUND = 6
LEVELS = ("1.1", "2.1")
FIRST_USER = 10  # Moodle user ids of the learners: 10, 11, ...
PEOPLE = 12
REFUSED_BY_HR = 3  # the fourth person's employee number is unknown to HR


class World:
    def __init__(self, database: Database, moodle: MoodleDouble, hr: HrRestDouble, sftp) -> None:
        self.database = database
        self.events: list[int] = []  # good completions
        self.no_employee: list[int] = []  # poison for every target
        self.not_from_moodle: list[int] = []  # poison for Moodle only
        self.hr_poison: list[int] = []  # HR refuses the employee
        self.made = 0
        with database.transaction() as session:
            organisation = Organisation(slug=f"org-{uuid.uuid4().hex[:8]}", name="Umeå kommun")
            session.add(organisation)
            session.flush()
            self.organisation_id = organisation.id
            self.people = []
            for number in range(PEOPLE):
                person = Person(
                    organisation_id=organisation.id,
                    issuer=moodle.url,
                    subject=str(FIRST_USER + number),
                    name=f"Medarbetare {number}",
                )
                session.add(person)
                session.flush()
                employee = Employee(
                    organisation_id=organisation.id,
                    employee_number=f"E{number:05d}",
                    name=person.name,
                    person_id=person.id,
                )
                session.add(employee)
                session.flush()
                self.people.append((person.id, employee.id))
            stranger = Person(
                organisation_id=organisation.id,
                issuer="https://other.example.se",
                subject="e4b1-not-a-moodle-id",
                name="Inhyrd konsult",
            )
            session.add(stranger)
            session.flush()
            stranger_employee = Employee(
                organisation_id=organisation.id,
                employee_number="K00001",
                name=stranger.name,
                person_id=stranger.id,
            )
            session.add(stranger_employee)
            session.flush()
            self.stranger = (stranger.id, stranger_employee.id)
            self.refused_employee = f"E{REFUSED_BY_HR:05d}"
            hr.set(poison={self.refused_employee})
            self.rest = self._target(
                session,
                "hr_rest",
                {"url": hr.url, "auth": "api_key", "mode": "batch", "batch_size": 8},
                seal_secrets(SECRET_KEY, {"api_key": API_KEY, "hmac_key": HMAC_KEY}),
            )
            self.files = self._target(
                session,
                "hr_files",
                {
                    "sftp_host": "127.0.0.1",
                    "sftp_port": sftp.port,
                    "sftp_username": USERNAME,
                    "sftp_host_key": sftp.known_host,
                    "sftp_folder": "/inbox",
                    "delimiter": ";",
                },
                seal_secrets(SECRET_KEY, {"password": PASSWORD}),
            )
            self.moodle = self._target(
                session,
                "moodle",
                {"url": moodle.url, "framework_idnumber": "DIGCOMP-H", "competency_prefix": "DC-"},
                seal(SECRET_KEY, TOKEN),
            )

    def _target(self, session, kind: str, settings: dict, sealed: str) -> int:
        target = SyncTarget(
            organisation_id=self.organisation_id,
            kind=kind,
            name=kind,
            settings=settings,
            sealed_secret=sealed,
            enabled=True,
        )
        session.add(target)
        session.flush()
        return target.id

    def complete(self, count: int) -> None:
        """New assessments, queued for every target as the tool does on submit; one in
        four rounds brings each kind of poison."""
        with self.database.transaction() as session:
            for _ in range(count):
                number = self.made
                self.made += 1
                person_id, employee_id = self.people[number % PEOPLE]
                event = self._record(session, person_id, employee_id, number)
                refused_by_hr = number % PEOPLE == REFUSED_BY_HR
                (self.hr_poison if refused_by_hr else self.events).append(event)
            if self.made % 4 == 0 or not self.no_employee:
                self.no_employee.append(self._record(session, None, None, 999))
                self.not_from_moodle.append(self._record(session, *self.stranger, 998))

    def _record(self, session, person_id, employee_id, number: int) -> int:
        return record_completion(
            session,
            organisation_id=self.organisation_id,
            source="tool.attempt",
            source_key=f"attempt-{uuid.uuid4().hex}",
            kind="assessment",
            completed_at=datetime(2026, 11, 2, 9, tzinfo=UTC) + timedelta(minutes=number),
            person_id=person_id,
            employee_id=employee_id,
            framework_key="digcomp-2.2",
            levels={LEVELS[0]: 1 + number % 8, LEVELS[1]: 1 + (number + 3) % 8},
            evidence={"title": "Självskattning DigComp 2.2"},
        )

    def expected_hr_records(self, target_id: int, events: list[int]) -> Counter:
        return Counter(
            f"{delivery_key(target_id, event)}/{competence}"
            for event in events
            for competence in LEVELS
        )

    def statuses(self) -> dict[tuple[str, DeliveryStatus], int]:
        with self.database.sessions() as session:
            rows = session.execute(
                select(Delivery.target, Delivery.status, func.count())
                .where(Delivery.organisation_id == self.organisation_id)
                .group_by(Delivery.target, Delivery.status)
            )
            return {(target, status): count for target, status, count in rows}

    def dead(self) -> dict[tuple[str, str], str]:
        with self.database.sessions() as session:
            rows = session.execute(
                select(Delivery.target, Delivery.key, Delivery.last_error).where(
                    Delivery.organisation_id == self.organisation_id,
                    Delivery.status == DeliveryStatus.DEAD,
                )
            )
            return {(target, key): error for target, key, error in rows}

    def all_due_now(self) -> None:
        """What an admin does once every system is back: 'try now' on each target."""
        with self.database.transaction() as session:
            session.execute(
                update(Delivery)
                .where(
                    Delivery.organisation_id == self.organisation_id,
                    Delivery.status == DeliveryStatus.PENDING,
                )
                .values(next_attempt_at=datetime.now(UTC))
            )


def environment(database_url: str, instance: Path) -> dict:
    return {
        **os.environ,
        "KOMPETENSLYFT_MODE": "development",
        "KOMPETENSLYFT_DATABASE_URL": database_url,
        "KOMPETENSLYFT_SECRET_KEY": SECRET_KEY,
        "KOMPETENSLYFT_INSTANCE_PATH": str(instance),
        "KOMPETENSLYFT_DELIVERY_INTERVAL_SECONDS": "1",
        "KOMPETENSLYFT_DELIVERY_LEASE_SECONDS": "3",
        "KOMPETENSLYFT_HTTP_TIMEOUT_SECONDS": "5",
        # Only the jobs under test: the pollers would ask the doubles for other things.
        "KOMPETENSLYFT_JOBS": (
            '{"moodle-completions": {"enabled": false}, "lrs-completions": {"enabled": false},'
            ' "nrps-rosters": {"enabled": false}, "hr-poll": {"enabled": false}}'
        ),
    }


def start_schedulers(database_url: str, instance: Path) -> list[subprocess.Popen]:
    command = [str(Path(sys.executable).parent / "kompetenslyft"), "scheduler"]
    return [
        subprocess.Popen(
            command,
            env=environment(database_url, instance),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]


def kill(processes: list[subprocess.Popen]) -> int:
    for process in processes:
        process.kill()
    for process in processes:
        process.wait(timeout=30)
    return len(processes)


def wait_for(condition, what: str, processes=(), state="", world=None, hr=None) -> None:
    """Until `condition`, for at most two minutes; on timeout, says where things stood."""
    deadline = time.monotonic() + 120
    while not condition():
        if time.monotonic() > deadline:
            detail = (state, hr.summary() if hr else None, world and world.statuses())
            raise AssertionError(f"timed out waiting for {what}: {detail}")
        for process in processes:
            assert process.poll() is None, "a scheduler exited"
        time.sleep(0.05)


def files_records(inbox: Path) -> Counter:
    found: Counter = Counter()
    for path in sorted(inbox.glob("*.csv")):
        rows = csv.DictReader(io.StringIO(path.read_text("utf-8")), delimiter=";")
        found.update(row["record_id"] for row in rows)
    return found


def moodle_ratings(moodle: MoodleDouble, events: list[int]) -> Counter:
    notes = Counter()
    for user in range(FIRST_USER, FIRST_USER + PEOPLE):
        for rating in moodle.ratings(user):
            for event in events:
                if marker(event) in (rating.get("note") or ""):
                    notes[(event, rating["competencyid"])] += 1
    return notes


@pytest.fixture
def remotes(tmp_path):
    moodle, hr = MoodleDouble(), HrRestDouble()
    sftp = SftpServer(tmp_path / "sftp")
    (tmp_path / "sftp" / "inbox").mkdir()
    yield moodle, hr, sftp
    sftp.stop()
    hr.stop()
    moodle.stop()


def test_two_schedulers_killed_50_times_amid_faults_deliver_every_record_once(
    postgresql_url, tmp_path, remotes
):
    moodle, hr, sftp = remotes
    database = Database(postgresql_url)
    world = World(database, moodle, hr, sftp)
    world.complete(FIRST_COMPLETIONS)
    kills = 0
    try:
        for round_ in range(ROUNDS):
            world.complete(PER_ROUND)
            world.all_due_now()  # an admin's "send now" instead of waiting out the pauses
            hr_down = 12 <= round_ < 15  # HR's API unreachable for three rounds
            hr_failing = round_ in (6, 7, 8)  # HR answers 500s
            sftp_down = 15 <= round_ < 18  # then the SFTP server
            if round_ == 12:
                hr.go_down()
            if round_ == 15:
                hr.come_up()
                sftp.go_down()
            if round_ == 18:
                sftp.come_up()
            hr.set(failures=4 if hr_failing else 0)
            if round_ in (9, 10):
                moodle.drop_after("core_competency_grade_competency_in_plan")  # answer lost
            on_sftp = hr_down or hr_failing or (round_ % 3 == 2 and not sftp_down)
            if on_sftp:
                sftp.hold_renames()
            else:
                hr.set(hold="after" if round_ % 2 else "before")
            schedulers = start_schedulers(postgresql_url, tmp_path)
            try:
                state = f"round {round_}"
                if on_sftp:
                    wait_for(sftp.renames_held.is_set, "an SFTP upload", schedulers, state, world)
                else:
                    held = lambda: hr.held >= 1  # noqa: E731
                    wait_for(held, "a request held by HR", schedulers, state, world, hr)
            finally:
                kills += kill(schedulers)  # mid-batch: a remote holds what they sent
            if on_sftp:
                sftp.release()
            else:
                hr.release(drop=round_ % 2 == 0)
                hr.wait_until(lambda double: double.held == 0)
        assert kills == 50

        world.all_due_now()
        expected_delivered = {
            (HR_REST, DeliveryStatus.DELIVERED): len(world.events) + len(world.not_from_moodle),
            (HR_REST, DeliveryStatus.DEAD): len(world.no_employee) + len(world.hr_poison),
            (HR_FILES, DeliveryStatus.DELIVERED): len(world.events)
            + len(world.not_from_moodle)
            + len(world.hr_poison),
            (HR_FILES, DeliveryStatus.DEAD): len(world.no_employee),
            (MOODLE, DeliveryStatus.DELIVERED): len(world.events) + len(world.hr_poison),
            (MOODLE, DeliveryStatus.DEAD): len(world.no_employee) + len(world.not_from_moodle),
        }
        schedulers = start_schedulers(postgresql_url, tmp_path)
        try:
            settled = lambda: world.statuses() == expected_delivered  # noqa: E731
            wait_for(settled, "every delivery", schedulers, "after the kills", world, hr)
        finally:
            kill(schedulers)
    finally:
        database.dispose()

    good_for_hr = world.events + world.not_from_moodle
    assert hr.violations == []
    assert hr.stored == world.expected_hr_records(world.rest, good_for_hr)
    assert files_records(tmp_path / "sftp" / "inbox") == world.expected_hr_records(
        world.files, good_for_hr + world.hr_poison
    )
    for user in range(FIRST_USER, FIRST_USER + PEOPLE):  # one plan each, made once
        assert [plan["name"] for plan in moodle.plans_of(user)].count(PLAN_NAME) == 1
    rated = moodle_ratings(moodle, world.events + world.hr_poison)
    assert len(rated) == len(world.events + world.hr_poison) * len(LEVELS)
    assert set(rated.values()) == {1}

    dead = world.dead()
    everywhere = ((HR_REST, world.rest), (HR_FILES, world.files), (MOODLE, world.moodle))
    assert set(dead) == (
        {(name, delivery_key(target, e)) for name, target in everywhere for e in world.no_employee}
        | {(HR_REST, delivery_key(world.rest, e)) for e in world.hr_poison}
        | {(MOODLE, delivery_key(world.moodle, e)) for e in world.not_from_moodle}
    )
    assert all(reason for reason in dead.values())
    assert any(world.refused_employee in reason for reason in dead.values())
    assert any("Moodle user" in reason for reason in dead.values())
