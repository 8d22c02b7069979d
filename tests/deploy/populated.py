"""A database as an organisation has it after months of use, written at an old schema revision.

Rows go in through plain SQL, as they were at revision 0008 (the schema of the staff,
plans and catalogue issue), so the later migrations meet real rows: a submitted attempt
(0010 indexes submitted attempts), a waiting grade delivery (0011 rebuilds the due index).
`check_survived` reads them back through today's models and helpers.
"""

from __future__ import annotations

import json

from sqlalchemy import JSON, bindparam, select, text
from sqlalchemy.engine import Connection

from competence.frameworks import digcomp
from competence.instruments import shipped_documents
from lti.tool_keys import generate_key
from storage import Database, KeyState, PlatformRegistration, ToolKey
from storage.attempts import Attempt, answers_of
from storage.outbox import Delivery
from storage.plans import DevelopmentPlan

OLD_REVISION = "0008"
ISSUER = "https://moodle.umea.example"
REGISTRATION_NAME = "Moodle, Umeå kommun"
ATTEMPT_ID = "6f1c2d9e-8a43-4b7e-9d0a-2f5e6c7b8a91"
LAUNCH_ID = "0b6a1e52-3c9d-4f8e-a7b1-5d2c9e8f4a36"
DELIVERY_ID = "9e2d7c41-6b3a-4f5e-8c1d-7a6b5c4d3e2f"
INSTRUMENT = "digcomp-2.2-short"
ANSWERS = {"1.1-s": "3", "1.2-s": "2", "1.3-s": "4"}
RESULT = {"overall": 3, "areas": {"1": 3}, "competences": {"1.1": 3, "1.2": 2, "1.3": 4}}
PLAN_ITEMS = [
    {"key": "a:1", "activity_id": 1, "competence": "1.2", "due": "2026-09-30"},
    {"key": "g:1", "goal": "Lär mig dela filer i Teams", "due": "2026-06-15"},
]
WHEN = "'2026-03-02 09:15:00'"

ROWS = [
    "INSERT INTO organisations (id, slug, name, created_at, xapi_actor) "
    f"VALUES (1, 'umea', 'Umeå kommun', {WHEN}, 'pseudonym')",
    "INSERT INTO platform_registrations (id, organisation_id, name, issuer, client_id, "
    "auth_login_url, auth_token_url, key_set_url, enabled, created_at, last_launch_at) "
    f"VALUES (1, 1, '{REGISTRATION_NAME}', '{ISSUER}', 'kl-umea', "
    f"'{ISSUER}/mod/lti/auth.php', '{ISSUER}/mod/lti/token.php', '{ISSUER}/mod/lti/certs.php', "
    f"true, {WHEN}, {WHEN})",
    "INSERT INTO deployments (id, registration_id, deployment_id, created_at) "
    f"VALUES (1, 1, '7', {WHEN})",
    "INSERT INTO contexts (id, deployment_id, lti_context_id, label, title, types, created_at, "
    f"updated_at) VALUES (1, 1, 'course-17', 'DIG101', 'Digital kompetens för alla', "
    f"'[\"http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering\"]', {WHEN}, {WHEN})",
    "INSERT INTO resource_links (id, deployment_id, context_id, lti_resource_link_id, title, "
    "custom, settings, created_at, updated_at) VALUES (1, 1, 1, 'rl-42', 'Skatta din digitala "
    f"kompetens', '{{\"instrument\": \"{INSTRUMENT}\"}}', '{{}}', {WHEN}, {WHEN})",
    "INSERT INTO people (id, organisation_id, issuer, subject, name, given_name, family_name, "
    f"email, created_at, updated_at) VALUES (1, 1, '{ISSUER}', 'u-1001', 'Anna Åkesson', 'Anna', "
    f"'Åkesson', 'anna.akesson@umea.example', {WHEN}, {WHEN})",
    "INSERT INTO people (id, organisation_id, issuer, subject, name, given_name, family_name, "
    f"email, created_at, updated_at) VALUES (2, 1, '{ISSUER}', 'u-1002', 'Bo Berg', 'Bo', 'Berg', "
    f"'bo.berg@umea.example', {WHEN}, {WHEN})",
    "INSERT INTO launches (id, person_id, registration_id, deployment_id, context_id, "
    "resource_link_id, message_type, roles, locale, claims, created_at) VALUES "
    f"('{LAUNCH_ID}', 1, 1, 1, 1, 1, 'LtiResourceLinkRequest', "
    "'[\"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner\"]', 'sv', '{}', "
    f"{WHEN})",
    "INSERT INTO memberships (id, context_id, person_id, roles, status, synced_at) VALUES "
    "(1, 1, 1, '[\"http://purl.imsglobal.org/vocab/lis/v2/membership#Learner\"]', 'Active', "
    f"{WHEN})",
    "INSERT INTO attempts (id, person_id, resource_link_id, instrument_id, launch_id, status, "
    "started_at, updated_at, submitted_at, result, overall_level, score) VALUES "
    f"('{ATTEMPT_ID}', 1, 1, 1, '{LAUNCH_ID}', 'submitted', {WHEN}, {WHEN}, {WHEN}, "
    f"'{json.dumps(RESULT)}', 3, 0.375)",
    "INSERT INTO line_items (id, resource_link_id, tag, url, created_at) VALUES "
    f"(1, 1, 'kompetenslyft', '{ISSUER}/mod/lti/services.php/17/lineitems/3/lineitem', {WHEN})",
    "INSERT INTO answers (attempt_id, item_id, option_id, answered_at) VALUES "
    + ", ".join(
        f"('{ATTEMPT_ID}', '{item}', '{option}', {WHEN})" for item, option in ANSWERS.items()
    ),
    "INSERT INTO units (id, organisation_id, code, name, created_at) "
    f"VALUES (1, 1, 'IT', 'IT-avdelningen', {WHEN})",
    "INSERT INTO employees (id, organisation_id, employee_number, email, name, gender, "
    "digital_role_model, active, person_id, created_at, updated_at) VALUES "
    "(1, 1, 'E1001', 'anna.akesson@umea.example', 'Anna Åkesson', 'woman', false, true, 1, "
    f"{WHEN}, {WHEN}), (2, 1, 'E1002', 'bo.berg@umea.example', 'Bo Berg', 'man', true, true, 2, "
    f"{WHEN}, {WHEN})",
    "INSERT INTO employments (id, employee_id, unit_id, manager_id, role_title, valid_from) "
    f"VALUES (1, 1, 1, 2, 'Handläggare', {WHEN}), (2, 2, 1, NULL, 'Enhetschef', {WHEN})",
    "INSERT INTO learning_activities (id, organisation_id, title, kind, url, language, "
    "duration_minutes, framework_key, builds, roles, active) VALUES (1, 1, 'Dela filer säkert', "
    "'course', 'https://moodle.umea.example/course/view.php?id=21', 'sv', 45, 'digcomp-2.2', "
    '\'[{"competence": "1.2", "from": 1, "to": 3}]\', \'[]\', true)',
    "INSERT INTO development_plans (id, organisation_id, employee_id, period, created_at) "
    f"VALUES (1, 1, 1, '2026', {WHEN})",
    "INSERT INTO plan_versions (id, plan_id, number, attempt_id, targets, items, "
    "created_by_person_id, created_at, employee_agreed_at, manager_agreed_at, manager_person_id) "
    f"VALUES (1, 1, 1, '{ATTEMPT_ID}', '{{\"1.2\": 4}}', "
    f"'{json.dumps(PLAN_ITEMS, ensure_ascii=False)}', 2, {WHEN}, {WHEN}, {WHEN}, 2)",
    "INSERT INTO plan_comments (id, plan_id, version_number, author_person_id, text, created_at) "
    f"VALUES (1, 1, 1, 2, 'Bra start, vi följer upp i juni.', {WHEN})",
    "INSERT INTO deliveries (id, target, key, payload, status, attempts, next_attempt_at, "
    "created_at, organisation_id) VALUES "
    f"('{DELIVERY_ID}', 'ags.score', 'score:{ATTEMPT_ID}', '{{\"attempt_id\": \"{ATTEMPT_ID}\"}}', "
    f"'pending', 2, {WHEN}, {WHEN}, 1)",
]


def populate(connection: Connection) -> str:
    """Write the rows at revision OLD_REVISION; returns the tool key id Moodle knows."""
    framework = digcomp()
    instrument = shipped_documents()[INSTRUMENT]
    documents = text(
        "INSERT INTO frameworks (id, organisation_id, key, version, document, created_at) "
        f"VALUES (1, NULL, :key, :version, :document, {WHEN})"
    ).bindparams(bindparam("document", type_=JSON))
    connection.execute(
        documents,
        {"key": framework.id, "version": framework.version, "document": framework.to_document()},
    )
    connection.execute(
        text(
            "INSERT INTO instruments (id, organisation_id, framework_id, key, version, document, "
            f"created_at) VALUES (1, NULL, 1, :key, :version, :document, {WHEN})"
        ).bindparams(bindparam("document", type_=JSON)),
        {"key": instrument["id"], "version": instrument["version"], "document": instrument},
    )
    for statement in ROWS:
        connection.execute(text(statement))
    key = generate_key(KeyState.ACTIVE)
    connection.execute(
        text(
            "INSERT INTO tool_keys (kid, state, private_key_pem, public_jwk, created_at, "
            f"activated_at) VALUES ('{key.kid}', 'active', '{key.private_key_pem}', "
            f"'{json.dumps(key.public_jwk)}', {WHEN}, {WHEN})"
        )
    )
    return key.kid


def check_survived(database: Database, kid: str) -> None:
    """Every row written at the old revision reads back through today's code unchanged."""
    with database.sessions() as session:
        registration = session.scalar(
            select(PlatformRegistration).where(PlatformRegistration.issuer == ISSUER)
        )
        assert registration.name == REGISTRATION_NAME
        assert [d.deployment_id for d in registration.deployments] == ["7"]
        assert registration.organisation.xapi_actor == "pseudonym"

        attempt = session.get(Attempt, ATTEMPT_ID)
        assert attempt.status == "submitted"
        assert attempt.result == RESULT
        assert attempt.overall_level == 3
        assert answers_of(session, ATTEMPT_ID) == ANSWERS

        plan = session.get(DevelopmentPlan, 1)
        assert plan.employee.name == "Anna Åkesson"
        assert plan.versions[0].items == PLAN_ITEMS
        assert plan.versions[0].agreed
        assert [comment.text for comment in plan.comments] == ["Bra start, vi följer upp i juni."]

        delivery = session.get(Delivery, DELIVERY_ID)
        assert (delivery.status, delivery.attempts) == ("pending", 2)
        assert session.get(ToolKey, kid).state is KeyState.ACTIVE
