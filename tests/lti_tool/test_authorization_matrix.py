"""Every route × every role: allowed or refused as designed, and nothing leaks across people
or organisations.

The roles are real launches into organisation A (employee, manager, programme lead,
organisation admin, course admin) plus an administrator of organisation B.  Every route
of the app must appear in MATRIX (or in the public list of test_route_guard), so a new
route forces a decision about who may use it.

GET routes are requested by every role: an allowed role gets the page (200, or a redirect
within the tool), a refused one 401, 403 or 404 (never 200, never 500), and whatever
organisation B's administrator is shown never names anyone of organisation A.  POST routes
are sent, with the session's own CSRF token, by every refused role and must be refused;
what allowed roles do with them is covered by each feature's own tests.
"""

from __future__ import annotations

import re

import pytest
import requests
from sqlalchemy import select

from competence.staff_list import staff_list_from_csv
from lti import claims as c
from storage import (
    Delivery,
    DeliveryStatus,
    DevelopmentPlan,
    Grant,
    LearningActivity,
    LrsEndpoint,
    Organisation,
    PlanVersion,
    PlatformRegistration,
    RoleProfile,
    SharedInstrument,
    SyncTarget,
)
from storage.hr_import import apply_staff_list
from tests.lti_tool.test_route_guard import DEV_ONLY, PUBLIC, concrete
from tests.support.assessing import answer_all, csrf, start, submit

ADMINISTRATOR = [
    "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator",
    "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor",
]
INSTRUCTOR = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"]
LEARNER = ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"]

STAFF = (
    "employee_id;email;name;manager_employee_id;unit_code;unit_name;role\n"
    "1;asa@a.kommun.se;Åsa Direktörsdotter;;KOM;Kommunen;Direktör\n"
    "2;eva@a.kommun.se;Eva Enhetschefsson;1;OMS;Omsorg;Enhetschef\n"
    "3;per@a.kommun.se;Per Personalsson;2;OMS;Omsorg;Undersköterska\n"
    "4;olle@a.kommun.se;Olle Organisationsson;1;KOM;Kommunen;Administratör\n"
    "5;stina@a.kommun.se;Stina Samordnarsdotter;1;KOM;Kommunen;Programledare\n"
    "6;lars@a.kommun.se;Lars Lärarsson;1;KOM;Kommunen;Utbildare\n"
)
# Names of organisation A's people: none may appear on a page organisation B is shown.
ORGANISATION_A_NAMES = ("Direktörsdotter", "Enhetschefsson", "Personalsson", "Organisationsson")
ORGANISATION_A_NAMES += ("Samordnarsdotter", "Lärarsson", "Personec")

ROLES = ("employee", "manager", "programme_lead", "org_admin", "course_admin", "other_org")
EVERYONE = set(ROLES)
ADMINS = {"org_admin", "other_org"}  # each an administrator of their own organisation
COURSE_ADMINS = {"org_admin", "course_admin", "other_org"}  # Instructor in their course
# Programme leads (organisation admins count as such), each for their own organisation.
LEADS = {"programme_lead", "org_admin", "other_org"}
LEADS_A = {"programme_lead", "org_admin"}  # ... for organisation A's own entries
EMPLOYEES_A = EVERYONE - {"other_org"}  # organisation B's admin is no employee there

# rule → (method → roles allowed).  Ids in the rules are organisation A's (see `ids`).
MATRIX: dict[str, dict[str, set[str]]] = {
    "/admin/": {"GET": ADMINS},
    "/admin/deliveries": {"GET": ADMINS},
    "/admin/deliveries/<delivery_id>/retry": {"POST": {"org_admin"}},
    # The jobs run for every organisation at once: only the instance owner sees and starts
    # them; an organisation's administrator has its own sync targets on /admin/deliveries.
    "/admin/jobs": {"GET": set()},
    "/admin/jobs/<job_id>/run": {"POST": set()},
    "/admin/sync-targets/<int:target_id>/resume": {"POST": {"org_admin"}},
    "/admin/sync-targets/<int:target_id>/moodle-framework": {"POST": {"org_admin"}},
    "/admin/record-stores/<int:lrs_id>/resume": {"POST": {"org_admin"}},
    "/admin/registrations/<int:registration_id>/enabled": {"POST": {"org_admin"}},
    "/admin/invitations": {"POST": set()},  # the owner's
    "/admin/logout": {"POST": EVERYONE},
    "/assessment/start": {"POST": EVERYONE},
    "/attempts/<attempt_id>/items/<int:number>": {"GET": {"employee"}, "POST": {"employee"}},
    "/attempts/<attempt_id>/review": {"GET": {"employee"}},
    "/attempts/<attempt_id>/questions": {"GET": {"employee"}},
    "/attempts/<attempt_id>/submit": {"POST": {"employee"}},
    "/attempts/<attempt_id>/leave": {"POST": {"employee"}},
    # Not submitted yet: the owner is sent back to the questions, nobody else gets anything.
    "/attempts/<attempt_id>/results": {"GET": {"employee"}},
    # The personal report (PDF): as the results page, only the person, back to the review
    # while unfinished.
    "/attempts/<attempt_id>/results/pdf": {"GET": {"employee"}},
    "/course/participants": {"GET": COURSE_ADMINS},
    "/activity/settings": {"GET": COURSE_ADMINS, "POST": COURSE_ADMINS},
    "/deep-linking/response": {"POST": set()},  # only within a deep-linking launch
    "/deep-linking/cancel": {"POST": set()},
    "/xapi/statements": {"GET": set()},  # HTTP Basic credentials, never a launch
    "/metrics": {"GET": set()},  # Prometheus with the metrics bearer token, never a launch
    "/organisation/": {"GET": ADMINS},
    "/organisation/staff": {"GET": ADMINS, "POST": ADMINS},
    "/organisation/staff/<int:preview_id>/apply": {"POST": {"org_admin"}},
    "/organisation/imports": {"GET": ADMINS},
    "/organisation/grants": {"GET": ADMINS, "POST": ADMINS},
    "/organisation/grants/<int:grant_id>/revoke": {"POST": {"org_admin"}},
    "/organisation/shared-instruments": {"GET": ADMINS, "POST": ADMINS},
    # Role profiles: each administrator their own organisation's; A's profile ids are a 404 to B.
    "/organisation/role-profiles/": {"GET": ADMINS},
    "/organisation/role-profiles/copy": {"POST": ADMINS},
    "/organisation/role-profiles/<int:profile_id>": {"GET": {"org_admin"}, "POST": {"org_admin"}},
    # Data-protection requests: B's admin finds nobody of A, and A's person ids are a 404.
    "/organisation/people": {"GET": ADMINS},
    "/organisation/people/<int:person_id>": {"GET": {"org_admin"}},
    "/organisation/people/<int:person_id>/export": {"POST": {"org_admin"}},
    "/organisation/people/<int:person_id>/erase": {"GET": {"org_admin"}, "POST": {"org_admin"}},
    "/organisation/audit": {"GET": ADMINS},
    "/organisation/pages": {"GET": ADMINS, "POST": ADMINS},
    "/team": {"GET": {"manager"}},
    "/team/<int:employee_id>": {"GET": {"manager"}},
    "/team/overview": {"GET": {"manager"}},
    "/team/overview/export/<key>.<fmt>": {"GET": {"manager"}},
    "/programme": {"GET": LEADS},
    "/programme/export/<key>.<fmt>": {"GET": LEADS},
    "/programme/maturity": {"GET": LEADS},
    "/programme/maturity/export/<key>.<fmt>": {"GET": LEADS},
    "/catalogue/": {"GET": LEADS},
    "/catalogue/new": {"GET": LEADS, "POST": LEADS},
    "/catalogue/import": {"GET": LEADS, "POST": LEADS},
    "/catalogue/<int:activity_id>/edit": {"GET": LEADS_A, "POST": LEADS_A},
    "/catalogue/<int:activity_id>/active": {"POST": LEADS_A},
    "/my/plan": {"GET": EVERYONE},  # B's admin, no employee anywhere, is told so
    "/my/plan/done": {"POST": EMPLOYEES_A},
    "/plans/<int:employee_id>": {"GET": {"employee", "manager"}, "POST": {"employee", "manager"}},
    "/plans/<int:employee_id>/comments": {"POST": {"employee", "manager"}},
    "/plans/<int:employee_id>/versions/<int:number>/confirm": {"POST": {"employee", "manager"}},
    "/plans/<int:plan_id>/pdf": {"GET": {"employee", "manager"}},
}
REFUSED = {401, 403, 404}
# Downloads of what a role may see: when there is nothing to download (the fixture's team has
# no shared results), an allowed role gets 404 instead of a file; a refused one still 403.
NOTHING_TO_DOWNLOAD = {"/team/overview/export/<key>.<fmt>"}


@pytest.fixture
def people(platform, platform_b, browser, database, tool_url):
    """A logged-in session per role, and organisation A's ids the rules are filled with."""
    with database.transaction() as session:
        organisation = session.scalar(select(Organisation).where(Organisation.slug == "test-org"))
        apply_staff_list(session, organisation.id, staff_list_from_csv(STAFF))
    sessions = {
        "employee": _launch(platform, "3", LEARNER),
        "manager": _launch(platform, "2", LEARNER),
        "programme_lead": _launch(platform, "5", LEARNER),
        "org_admin": _launch(platform, "4", ADMINISTRATOR),
        "course_admin": _launch(platform, "6", INSTRUCTOR),
        "other_org": _launch(platform_b, "b-1", ADMINISTRATOR),
    }
    # The employee starts an assessment: the attempt the attempt routes are tried with.
    overview = sessions["employee"].get(tool_url + "/")
    started = sessions["employee"].post(
        tool_url + "/assessment/start", data={"csrf_token": csrf(overview.text)}
    )
    attempt_id = re.search(r"/attempts/([0-9a-f-]{36})/", started.url).group(1)
    with database.transaction() as session:
        organisation = session.scalar(select(Organisation).where(Organisation.slug == "test-org"))
        programme_lead = _employee_person(session, organisation.id, "5")
        grant = Grant(
            organisation_id=organisation.id, person_id=programme_lead, role="programme_lead"
        )
        lrs = LrsEndpoint(organisation_id=organisation.id, endpoint="https://lrs.a.example/xAPI/")
        dead = Delivery(
            target="ags.score",
            key="matrix",
            payload={},
            status=DeliveryStatus.DEAD,
            organisation_id=organisation.id,
        )
        activity = LearningActivity(
            organisation_id=organisation.id,
            title="Teams för nybörjare",
            kind="course",
            framework_key="digcomp-2.2",
            builds=[{"competence": "2.1", "from_level": 1, "to_level": 3}],
        )
        plan = DevelopmentPlan(
            organisation_id=organisation.id,
            employee_id=_employee_id(session, organisation.id, "3"),
            period="2026",
        )
        plan.versions.append(
            PlanVersion(number=1, targets={"2.1": 4}, items=[{"key": "g:1", "goal": "Teams"}])
        )
        sync_target = SyncTarget(
            organisation_id=organisation.id,
            kind="hr_files",
            name="Personec",
            settings={"folder": "/srv/hr"},
        )
        profile = RoleProfile(
            organisation_id=organisation.id,
            framework_key="digcomp-2.2",
            key="underskoterska",
            name={"sv": "Undersköterska"},
            targets={"2.1": 3},
        )
        session.add_all([grant, lrs, dead, activity, plan, sync_target, profile])
        session.flush()
        ids = {
            "attempt_id": attempt_id,
            "number": "1",
            "employee_id": str(_employee_id(session, organisation.id, "3")),
            "delivery_id": dead.id,
            "lrs_id": str(lrs.id),
            "target_id": str(sync_target.id),
            "job_id": "hr-records",
            "registration_id": str(
                session.scalar(
                    select(PlatformRegistration.id).where(
                        PlatformRegistration.organisation_id == organisation.id
                    )
                )
            ),
            "grant_id": str(grant.id),
            "preview_id": "1",
            "activity_id": str(activity.id),
            "plan_id": str(plan.id),
            "profile_id": str(profile.id),
            "person_id": str(_employee_person(session, organisation.id, "3")),
            "key": "all",
            "fmt": "xlsx",
        }
    return sessions, ids


def _launch(platform, number: str, roles) -> requests.Session:
    browser = requests.Session()
    response = platform.launch(
        browser,
        sub=f"user-{number}",
        email=None,
        name=f"Person {number}",
        **{c.ROLES: roles, c.LIS: {"person_sourcedid": number}},
    )
    assert response.status_code == 200, response.text
    return browser


def _employee_id(session, organisation_id: int, number: str) -> int:
    from storage import Employee

    return session.scalar(
        select(Employee.id).where(
            Employee.organisation_id == organisation_id, Employee.employee_number == number
        )
    )


def _employee_person(session, organisation_id: int, number: str) -> int:
    from storage import Employee

    return session.scalar(
        select(Employee.person_id).where(
            Employee.organisation_id == organisation_id, Employee.employee_number == number
        )
    )


def _fill(rule: str, ids: dict[str, str]) -> str:
    def value(match):
        return ids.get(match.group(1), "0")

    return concrete(re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: value(m), rule))


def test_every_route_is_in_the_matrix(app):
    rules = {
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule not in PUBLIC and not rule.rule.startswith(DEV_ONLY)
    }
    assert rules - set(MATRIX) == set()
    assert set(MATRIX) - rules == set()


def test_every_get_route_answers_each_role_as_designed(people, tool_url):
    sessions, ids = people
    wrong = {}
    for rule, methods in MATRIX.items():
        if "GET" not in methods:
            continue
        url = tool_url + _fill(rule, ids)
        for role in ROLES:
            response = sessions[role].get(url, allow_redirects=False)
            allowed = role in methods["GET"]
            status = response.status_code
            served = status == 200 or (
                status in (302, 303) and "/login" not in response.headers.get("Location", "")
            )
            if allowed and status == 404 and rule in NOTHING_TO_DOWNLOAD:
                served = True
            if (allowed and not served) or (not allowed and status not in REFUSED):
                wrong[(rule, role)] = status
            if role == "other_org" and status == 200:
                leaked = [name for name in ORGANISATION_A_NAMES if name in response.text]
                if leaked:
                    wrong[(rule, role, "leak")] = leaked
    assert wrong == {}


def test_every_post_route_refuses_the_roles_it_should(people, tool_url):
    sessions, ids = people
    tokens = {role: csrf(sessions[role].get(tool_url + "/").text) for role in ROLES}
    wrong = {}
    for rule, methods in MATRIX.items():
        if "POST" not in methods:
            continue
        url = tool_url + _fill(rule, ids)
        for role in sorted(EVERYONE - methods["POST"]):
            response = sessions[role].post(
                url, data={"csrf_token": tokens[role]}, allow_redirects=False
            )
            if response.status_code not in REFUSED:
                wrong[(rule, role)] = response.status_code
    assert wrong == {}


# What shows that a manager's page holds a result: the team page's result, the dialogue's
# current levels and their source, the team overview's table of the instrument.
RESULT_MARKERS = (
    'data-testid="result"',
    'data-testid="level-source-column"',
    "team-radar-1",
    "team-digcomp-2.2-short",
)
LEVEL_SHOWN = re.compile(r"\d – (?:Foundation|Intermediate|Advanced|Highly specialised) \d")


def _submit_at_activity(platform, browser, tool_url, link_id: str, share: str) -> None:
    launched = platform.launch(
        browser,
        sub="user-3",
        email=None,
        name="Person 3",
        **{
            c.ROLES: LEARNER,
            c.LIS: {"person_sourcedid": "3"},
            c.RESOURCE_LINK: {"id": link_id, "title": f"Kartläggning {link_id}"},
            c.CUSTOM: {"instrument": "digcomp-2.2-short", "share_with_manager": share},
        },
    )
    assert launched.status_code == 200, launched.text
    submit(browser, answer_all(browser, start(browser, tool_url), lambda options: options[1]))


def _what_the_manager_gets(session, tool_url, ids) -> dict[str, object]:
    shown = {}
    for rule, methods in MATRIX.items():
        if "manager" not in methods.get("GET", set()):
            continue
        response = session.get(tool_url + _fill(rule, ids), allow_redirects=False)
        if rule in NOTHING_TO_DOWNLOAD:
            shown[rule] = response.status_code
            continue
        text = response.text
        shown[rule] = [m for m in RESULT_MARKERS if m in text] + LEVEL_SHOWN.findall(text)
    return shown


def test_no_manager_page_or_download_shows_a_result_its_activity_keeps_from_managers(
    people, platform, tool_url, database
):
    sessions, ids = people
    with database.transaction() as session:
        organisation = session.scalar(select(Organisation).where(Organisation.slug == "test-org"))
        session.add(
            SharedInstrument(organisation_id=organisation.id, instrument_key="digcomp-2.2-short")
        )
    employee = requests.Session()
    _submit_at_activity(platform, employee, tool_url, "kept", "no")

    kept = _what_the_manager_gets(sessions["manager"], tool_url, ids)

    assert {rule: found for rule, found in kept.items() if found and found != 404} == {}
    # The same check sees a result the employee's activity shares (the organisation allows).
    _submit_at_activity(platform, employee, tool_url, "shared", "yes")
    shared = _what_the_manager_gets(sessions["manager"], tool_url, ids)
    assert 'data-testid="result"' in shared["/team/<int:employee_id>"]
    assert 'data-testid="level-source-column"' in shared["/plans/<int:employee_id>"]
    assert "team-digcomp-2.2-short" in shared["/team/overview"]
    assert shared["/team/overview/export/<key>.<fmt>"] == 200
