"""Organisations with stored statements and Statement API credentials, for the API and export tests.

Statements come from the tool's own builders (xapi/statements.py), stored the way a
launch stores them; `stored` is then set where a test needs to know it exactly.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests

from competence.frameworks import digcomp
from competence.instruments import shipped_instruments
from competence.scoring import score
from storage import Organisation
from storage.statements import create_credential, store_statement
from xapi import statements
from xapi.vocabulary import Vocabulary

PUBLIC_URL = "https://kompetenslyft.example.se"
SHORT = shipped_instruments()["digcomp-2.2-short"]
T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)
IRIS = Vocabulary(PUBLIC_URL)
INSTRUMENT = IRIS.instrument(SHORT.id)
COURSE = IRIS.course(7)
INITIALIZED = "http://adlnet.gov/expapi/verbs/initialized"
ANSWERED = "http://adlnet.gov/expapi/verbs/answered"
COMPLETED = "http://adlnet.gov/expapi/verbs/completed"
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
XAPI_1 = {"X-Experience-API-Version": "1.0.3"}


@dataclass
class StatementReader:
    """An xAPI client holding one organisation's credential."""

    base_url: str
    key: str
    secret: str
    organisation_id: int

    def get(self, path="/xapi/statements", params=None, headers=None, auth=True):
        return requests.get(
            self.base_url + path,
            params=params,
            headers={**XAPI_1, **(headers or {})},
            auth=(self.key, self.secret) if auth else None,
            timeout=10,
        )


def organisation(db, slug: str) -> Organisation:
    org = Organisation(slug=slug, name=slug.title())
    db.add(org)
    db.commit()
    return org


def reader(db, tool_url: str, org: Organisation) -> StatementReader:
    made = create_credential(db, org.id, label="BI")
    db.commit()
    return StatementReader(tool_url, made.key, made.secret, org.id)


def where(subject: str = "learner-1", issuer: str = "https://moodle.a.test") -> statements.Where:
    return statements.Where(
        public_url=PUBLIC_URL,
        issuer=issuer,
        subject=subject,
        deployment_id="1",
        language="sv",
        context_row_id=7,
        lti_context_id="course-101",
        context_title="Digital kompetens",
        resource_link_row_id=9,
        lti_resource_link_id="link-55",
        resource_link_title="Skattning",
    )


def attempt(at: datetime = T0, answers: int = 2, who: statements.Where | None = None) -> list:
    """An attempt's statements as the tool makes them: initialized, answered..., completed."""
    who = who or where()
    attempt_id = str(uuid.uuid4())
    common = {"attempt_id": attempt_id, "instrument": SHORT, "framework": digcomp()}
    made = [statements.attempt_started(who, started_at=at, **common)]
    for number, item in enumerate(SHORT.items[:answers], start=1):
        made.append(
            statements.item_answered(
                who,
                answered_at=at + timedelta(seconds=number),
                item=item,
                option_id=item.options[-1].id,
                **common,
            )
        )
    made.append(
        statements.attempt_submitted(
            who,
            started_at=at,
            submitted_at=at + timedelta(minutes=5),
            result=score(SHORT, digcomp(), {item.id: item.options[-1].id for item in SHORT.items}),
            **common,
        )
    )
    return [statement.to_json() for statement in made]


def store(db, org: Organisation, made: list[dict], first_stored: datetime = T0, step=None):
    """Stores the statements in order, each `step` (default 1 s) after the one before."""
    step = timedelta(seconds=1) if step is None else step
    rows = []
    for number, statement in enumerate(made):
        row = store_statement(db, statement, org.id)
        row.stored = first_stored + number * step
        rows.append(row)
    db.commit()
    return rows


def void(db, org: Organisation, target, at: datetime) -> dict:
    """A voiding statement for a stored one; storing it voids the target."""
    voiding = {
        "id": str(uuid.uuid4()),
        "actor": {"objectType": "Agent", "account": {"homePage": PUBLIC_URL, "name": "admin"}},
        "verb": {"id": VOIDED, "display": {"en-US": "voided"}},
        "object": {"objectType": "StatementRef", "id": target.id},
        "timestamp": at.isoformat(),
        "version": "1.0.3",
    }
    store(db, org, [voiding], first_stored=at)
    db.refresh(target)
    assert target.voided
    return voiding


def ids(response) -> list[str]:
    """The ids of the statements a list response served, in order (it must be a 200)."""
    assert response.status_code == 200, response.text
    return [statement["id"] for statement in response.json()["statements"]]
