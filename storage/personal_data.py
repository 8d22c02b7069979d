"""Where a person's data lives, table by table: what an export hands out and what erasure does.

`TABLES` is the one place that decides, for every table, how its rows relate to a
person and what erasure does to them; tests/lti_tool/test_personal_data.py fails
when a table is added without a decision.  The decisions:

- DELETE: the row is the person's (a launch, an answer, a plan) and goes.
- PSEUDONYMISE: the row stays for the programme's reports, its identifiers are
  replaced by a random reference (people, employees, completion events) or unlinked.
- KEEP: the row stays unchanged because it carries no identifier once the rows it
  points to are pseudonymised (a submitted attempt's computed levels, an employment).
- SCRUB: free text an operator reads (import errors, a remote system's last error)
  may quote an identifier; those quotes are replaced by "[erased]".
- NONE: the table holds nothing about a person (frameworks, keys, settings).

Export (storage.personal_export) and erasure (storage.personal_erasure) act on what
this module finds.

The caller finds the person's statements' actors (which depend on the organisation's
xAPI actor mode, decided above storage) and passes them as agent keys
(storage.statements.agent_key) and identifiers.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Table, false, or_, select
from sqlalchemy.orm import Session

from storage.attempts import Answer, Attempt
from storage.audit import AuditEvent
from storage.completions import TARGET_OF_KIND, CompletionEvent, RemoteId, SyncTarget
from storage.database import Base, one_of
from storage.hr_import import HrImport, HrSource
from storage.launches import Launch
from storage.lrs import LrsEndpoint
from storage.memberships import Membership
from storage.organisations import PlatformRegistration
from storage.outbox import Delivery
from storage.people import Person
from storage.plans import DevelopmentPlan, PlanComment, PlanItemCompletion, PlanVersion
from storage.staff import Employee, Employment, Grant
from storage.statements import AGENT, XapiStatement, XapiStatementRef


class Erasure(enum.StrEnum):
    DELETE = "delete"
    PSEUDONYMISE = "pseudonymise"
    KEEP = "keep"
    SCRUB = "scrub"
    NONE = "none"


@dataclass(frozen=True)
class Handling:
    erasure: Erasure
    why: str


TABLES: dict[str, Handling] = {
    # The person and what the platforms said about them.
    "people": Handling(
        Erasure.PSEUDONYMISE,
        "The LTI identity. Subject becomes a random reference, name, e-mail and sourcedid go; "
        "the row stays so that submitted attempts keep counting in the programme's totals.",
    ),
    "memberships": Handling(Erasure.DELETE, "Course memberships from the platform's roster."),
    "launches": Handling(
        Erasure.DELETE, "Every launch, with the platform's claims (name, e-mail, roles)."
    ),
    "grants": Handling(
        Erasure.DELETE,
        "Roles granted to the person (or to their employee record before their first launch); "
        "grants they gave others keep pointing to the pseudonymised person row.",
    ),
    # HR's view of them.
    "employees": Handling(
        Erasure.PSEUDONYMISE,
        "HR's employee record. Employee number becomes a random reference, name and e-mail "
        "go; gender, role-model flag and unit history stay for the programme's follow-up "
        "by group, which never shows fewer than the reports' minimum group size.",
    ),
    "employments": Handling(
        Erasure.KEEP,
        "Unit, manager and role title over time: no identifier once the employee row is "
        "pseudonymised; the unit figures of the programme's reports need it.",
    ),
    # Assessments.
    "attempts": Handling(
        Erasure.KEEP,
        "Computed levels and scores of submitted attempts stay for the programme's reports, "
        "linked only to the pseudonymised person row; the launch link is cut.",
    ),
    "answers": Handling(Erasure.DELETE, "The person's raw answers."),
    # Development plans.
    "development_plans": Handling(Erasure.DELETE, "The person's development plans."),
    "plan_versions": Handling(
        Erasure.DELETE,
        "Versions of the person's plans (targets, own goals as free text). Versions of "
        "others' plans they confirmed as manager stay, pointing to the pseudonymised row.",
    ),
    "plan_comments": Handling(
        Erasure.DELETE,
        "Comments on the person's plans; comments they wrote on others' plans stay with "
        "their identifiers replaced.",
    ),
    "plan_item_completions": Handling(Erasure.DELETE, "Ticked-off items of the person's plans."),
    # Completions and what went out.
    "completion_events": Handling(
        Erasure.PSEUDONYMISE,
        "Completions stay for the programme's counts (kind, levels, date); the source key "
        "(which may hold a Moodle user id) becomes a random reference, the evidence goes.",
    ),
    "deliveries": Handling(
        Erasure.DELETE,
        "Outbox rows of the person's scores, statements and completions, queued or sent; "
        "what was sent is listed for the admin first (see external_holders).",
    ),
    "remote_ids": Handling(
        Erasure.DELETE, "What Moodle calls the person's learning plan and ratings."
    ),
    "xapi_statements": Handling(
        Erasure.DELETE,
        "Statements whose actor or any agent is the person, or of their attempts "
        "(the statement JSON can hold name, e-mail and LTI account).",
    ),
    "xapi_statement_refs": Handling(Erasure.DELETE, "The index of those statements' agents."),
    "audit_events": Handling(
        Erasure.PSEUDONYMISE,
        "Who saw the person's results: the events stay, the link to the person goes.",
    ),
    # Operators' free text that may quote someone.
    "hr_imports": Handling(Erasure.SCRUB, "Import errors can quote an employee number."),
    "job_runs": Handling(Erasure.SCRUB, "A job's error text can quote an identifier."),
    "sync_targets": Handling(Erasure.SCRUB, "The remote system's last error."),
    "lrs_endpoints": Handling(Erasure.SCRUB, "The LRS's last error."),
    "hr_sources": Handling(Erasure.SCRUB, "The HR endpoint's last error."),
    "platform_registrations": Handling(Erasure.SCRUB, "The platform's last launch error."),
    # Nothing about a person.
    "organisations": Handling(Erasure.NONE, "Organisations and their settings."),
    "organisation_profiles": Handling(
        Erasure.NONE, "An organisation's colour, logo, service contact and page texts."
    ),
    "deployments": Handling(Erasure.NONE, "LTI deployment ids of a platform."),
    "registration_invitations": Handling(Erasure.NONE, "Hashed one-time registration links."),
    "used_registration_tokens": Handling(Erasure.NONE, "Hashes of spent registration tokens."),
    "login_nonces": Handling(
        Erasure.NONE,
        "Half-finished logins: random values and hashes, linked to no person; removed "
        "after their retention period.",
    ),
    "tool_keys": Handling(Erasure.NONE, "The tool's signing keys."),
    "statement_api_credentials": Handling(Erasure.NONE, "Keys of Statement API clients."),
    "job_leases": Handling(Erasure.NONE, "Which scheduler instance runs which job."),
    "delivery_files": Handling(
        Erasure.NONE,
        "Which HR file an outbox row was written into (a hash of the batch); goes with the "
        "outbox row.",
    ),
    "rate_limit_windows": Handling(
        Erasure.NONE,
        "Request counts per minute under a hash of the client's address or credential, "
        "removed within minutes; not linked to a person.",
    ),
    "frameworks": Handling(Erasure.NONE, "Competence frameworks."),
    "instruments": Handling(Erasure.NONE, "Self-assessment instruments."),
    "role_profiles": Handling(Erasure.NONE, "Target levels per role."),
    "learning_activities": Handling(Erasure.NONE, "The course catalogue."),
    "contexts": Handling(Erasure.NONE, "Courses as platforms name them."),
    "resource_links": Handling(Erasure.NONE, "Links to the tool placed in courses."),
    "line_items": Handling(Erasure.NONE, "Gradebook columns of those links."),
    "units": Handling(Erasure.NONE, "HR's organisational units."),
    "shared_instruments": Handling(Erasure.NONE, "Which instruments managers may see."),
}

ERASED = "[erased]"
# Identifiers shorter than this are not looked for in operators' free text: "12" would
# match every error message with a number in it.
SHORTEST_SEARCHED = 3


@dataclass
class Subject:
    """One person as the tool holds them: their rows' ids, collected once."""

    organisation_id: int
    person: Person | None
    employees: list[Employee]
    # Agent keys (storage.statements.agent_key) the person's statements may name them by.
    agents: frozenset[str]
    # Every string that identifies them: LTI subject, names, e-mail, employee number, pseudonym.
    identifiers: tuple[str, ...]
    attempt_ids: list[str] = field(default_factory=list)
    plan_ids: list[int] = field(default_factory=list)
    event_ids: list[int] = field(default_factory=list)
    statement_ids: list[str] = field(default_factory=list)
    delivery_ids: list[str] = field(default_factory=list)

    @property
    def person_id(self) -> int | None:
        return self.person.id if self.person is not None else None

    @property
    def employee_ids(self) -> list[int]:
        return [employee.id for employee in self.employees]


def person_identifiers(person: Person | None, employees: Iterable[Employee]) -> list[str]:
    """The person's own identifying strings, as stored."""
    found: list[str] = []
    if person is not None:
        found += [
            person.subject,
            person.name,
            person.given_name,
            person.family_name,
            person.email,
            person.person_sourcedid,
        ]
    for employee in employees:
        found += [employee.employee_number, employee.name, employee.email]
    return [value for value in dict.fromkeys(found) if value]


def find_subject(
    session: Session,
    organisation_id: int,
    *,
    person: Person | None,
    employee: Employee | None = None,
    agents: Iterable[str] = (),
    pseudonyms: Iterable[str] = (),
    identifiers: Iterable[str] = (),
) -> Subject:
    """Collect a person's rows' ids: an LTI identity, an HR employee, or both linked.

    `pseudonyms` are account names unique to the person (an HMAC of issuer and subject),
    matched whatever the account's homePage: that is the tool's public URL when the
    statement was made, which may have changed since."""
    if person is None and employee is not None and employee.person_id is not None:
        person = session.get(Person, employee.person_id)
    employees = []
    if person is not None:
        employees = list(session.scalars(select(Employee).where(Employee.person_id == person.id)))
    if employee is not None and employee not in employees:
        employees.append(employee)
    subject = Subject(
        organisation_id=organisation_id,
        person=person,
        employees=employees,
        agents=frozenset(agents),
        identifiers=tuple(
            dict.fromkeys([*person_identifiers(person, employees), *(i for i in identifiers if i)])
        ),
    )
    if person is not None:
        subject.attempt_ids = list(
            session.scalars(select(Attempt.id).where(Attempt.person_id == person.id))
        )
    if subject.employees:
        subject.plan_ids = list(
            session.scalars(
                select(DevelopmentPlan.id).where(
                    DevelopmentPlan.employee_id.in_(subject.employee_ids)
                )
            )
        )
    event_owner = [CompletionEvent.employee_id.in_(subject.employee_ids)]
    if person is not None:
        event_owner.append(CompletionEvent.person_id == person.id)
    subject.event_ids = list(session.scalars(select(CompletionEvent.id).where(or_(*event_owner))))
    statement_owner = [XapiStatement.registration.in_(subject.attempt_ids)] if person else []
    if subject.agents:
        statement_owner.append(
            XapiStatement.id.in_(
                select(XapiStatementRef.statement_id).where(
                    XapiStatementRef.kind == AGENT, XapiStatementRef.ref.in_(subject.agents)
                )
            )
        )
    pseudonyms = [name for name in pseudonyms if name]
    if pseudonyms:
        statement_owner.append(XapiStatement.actor_name.in_(pseudonyms))
    if statement_owner:
        subject.statement_ids = list(
            session.scalars(
                select(XapiStatement.id).where(
                    XapiStatement.organisation_id == organisation_id, or_(*statement_owner)
                )
            )
        )
    subject.delivery_ids = list(
        session.scalars(select(Delivery.id).where(_deliveries(session, subject)))
    )
    return subject


def _deliveries(session: Session, subject: Subject) -> ColumnElement[bool]:
    """The outbox rows about the person, found by their keys (see lti.grades,
    storage.statements, xapi.record and storage.completions for how each is keyed)."""
    keys: list[tuple[str, list[str]]] = []
    keys.append(("ags.score", [f"attempt:{attempt}" for attempt in subject.attempt_ids]))
    lrs_ids = list(
        session.scalars(
            select(LrsEndpoint.id).where(LrsEndpoint.organisation_id == subject.organisation_id)
        )
    )
    keys.append(
        (
            "xapi.statement",
            [f"{lrs}:{statement}" for lrs in lrs_ids for statement in subject.statement_ids],
        )
    )
    targets = session.execute(
        select(SyncTarget.id, SyncTarget.kind).where(
            SyncTarget.organisation_id == subject.organisation_id
        )
    ).all()
    for target_id, kind in targets:
        string = TARGET_OF_KIND.get(kind)
        if string is not None:
            keys.append((string, [f"{target_id}:{event}" for event in subject.event_ids]))
    keys.append(("plan.item", [str(event) for event in subject.event_ids]))
    clauses = [
        (Delivery.target == target) & one_of(session, Delivery.key, values)
        for target, values in keys
        if values
    ]
    if not clauses:
        return false()
    return (Delivery.organisation_id == subject.organisation_id) & or_(*clauses)


def rows_of(session: Session, subject: Subject) -> dict[str, ColumnElement[bool]]:
    """For each table holding rows about the person (not SCRUB or NONE): which rows."""
    person_id = subject.person_id

    def of_person(*columns) -> ColumnElement[bool]:
        if person_id is None:
            return false()
        return or_(*(column == person_id for column in columns))

    return {
        "people": of_person(Person.id),
        "memberships": of_person(Membership.person_id),
        "launches": of_person(Launch.person_id),
        "grants": or_(
            of_person(Grant.person_id, Grant.granted_by_person_id),
            Grant.employee_id.in_(subject.employee_ids),
        ),
        "employees": Employee.id.in_(subject.employee_ids),
        "employments": Employment.employee_id.in_(subject.employee_ids),
        "attempts": Attempt.id.in_(subject.attempt_ids),
        "answers": Answer.attempt_id.in_(subject.attempt_ids),
        "development_plans": DevelopmentPlan.id.in_(subject.plan_ids),
        "plan_versions": or_(
            PlanVersion.plan_id.in_(subject.plan_ids),
            of_person(PlanVersion.created_by_person_id, PlanVersion.manager_person_id),
        ),
        "plan_comments": or_(
            PlanComment.plan_id.in_(subject.plan_ids), of_person(PlanComment.author_person_id)
        ),
        "plan_item_completions": PlanItemCompletion.plan_id.in_(subject.plan_ids),
        "completion_events": CompletionEvent.id.in_(subject.event_ids),
        "deliveries": one_of(session, Delivery.id, subject.delivery_ids)
        if subject.delivery_ids
        else false(),
        "remote_ids": _remote_ids(session, subject),
        "xapi_statements": XapiStatement.id.in_(subject.statement_ids),
        "xapi_statement_refs": XapiStatementRef.statement_id.in_(subject.statement_ids),
        "audit_events": of_person(AuditEvent.subject_person_id, AuditEvent.actor_person_id),
    }


def _remote_ids(session: Session, subject: Subject) -> ColumnElement[bool]:
    """Moodle's id of the person's learning plan (keyed by person id) and of each rating
    (keyed `<completion event id>:<competence>`), under the organisation's targets."""
    targets = select(SyncTarget.id).where(SyncTarget.organisation_id == subject.organisation_id)
    mine = []
    if subject.person_id is not None:
        mine.append((RemoteId.kind == "plan") & (RemoteId.local_key == str(subject.person_id)))
    mine += [
        (RemoteId.kind == "rating") & RemoteId.local_key.startswith(f"{event}:", autoescape=True)
        for event in subject.event_ids
    ]
    if not mine:
        return false()
    return RemoteId.sync_target_id.in_(targets) & or_(*mine)


# The organisation column of each SCRUB table, so only the organisation's rows are read.
_SCRUBBED_ORGANISATION = {
    "hr_imports": HrImport.organisation_id,
    "sync_targets": SyncTarget.organisation_id,
    "lrs_endpoints": LrsEndpoint.organisation_id,
    "hr_sources": HrSource.organisation_id,
    "platform_registrations": PlatformRegistration.organisation_id,
}


def table_named(name: str) -> Table:
    return Base.metadata.tables[name]


def searched_identifiers(subject: Subject) -> list[str]:
    return [value for value in subject.identifiers if len(value) >= SHORTEST_SEARCHED]


def _mentions(row: dict, identifiers: list[str]) -> bool:
    text = json.dumps(row, default=str, ensure_ascii=False)
    return any(value in text for value in identifiers)


def scrubbed_rows(session: Session, name: str, subject: Subject) -> list[dict]:
    """The rows of a SCRUB table that quote one of the person's identifiers."""
    identifiers = searched_identifiers(subject)
    if not identifiers:
        return []
    table = table_named(name)
    query = select(table)
    organisation = _SCRUBBED_ORGANISATION.get(name)
    if organisation is not None:
        query = query.where(organisation == subject.organisation_id)
    return [
        dict(row) for row in session.execute(query).mappings() if _mentions(dict(row), identifiers)
    ]


def collect(session: Session, subject: Subject) -> dict[str, list[dict]]:
    """Every row the tool holds about the person, per table (tables without any left out)."""
    found: dict[str, list[dict]] = {}
    finders = rows_of(session, subject)
    for name, handling in TABLES.items():
        if handling.erasure is Erasure.NONE:
            continue
        if handling.erasure is Erasure.SCRUB:
            rows = scrubbed_rows(session, name, subject)
        else:
            table = table_named(name)
            rows = [
                dict(row) for row in session.execute(select(table).where(finders[name])).mappings()
            ]
        if rows:
            found[name] = rows
    return found
