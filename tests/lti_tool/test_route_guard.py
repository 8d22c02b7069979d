"""No route gives a stranger anything: every route outside a short public list refuses a
request that carries no launch, no admin sign-in and no credentials.

A new route fails this test until it checks who is asking (or is added to PUBLIC with a
reason), so a forgotten authorization check cannot ship.
"""

import re
import uuid

import pytest
import requests

# Open by design, each with its reason.
PUBLIC = {
    "/": "the landing page tells a stranger to open the tool from Moodle",
    "/.well-known/jwks.json": "platforms fetch the tool's public keys",
    "/lti/jwks": "platforms fetch the tool's public keys",
    "/lti/login": "OIDC login initiation comes from the platform",
    "/lti/login/cookieless": "the login's cookie-check step, bound to the login state",
    "/lti/launch": "the launch is authenticated by the platform's signed id_token",
    "/lti/register": "dynamic registration checks its own token or invitation",
    "/admin/login": "where the instance owner signs in",
    "/healthz": "liveness probe",
    "/readyz": "readiness probe",
    "/xapi/about": "xAPI requires /about to be readable without credentials",
    "/privacy": "the privacy notice for employees is no secret; readable without a launch",
    "/static/<path:filename>": "stylesheets and scripts",
    "/accessibility": "the accessibility statement: whoever cannot use the service must be able "
    "to read how to report it (lag 2018:1937)",
    "/theme/<slug>.css": "an organisation's colour, a stylesheet like the static ones",
    "/favicon.ico": "the icon browsers ask for",
}
DEV_ONLY = "/dev-platform"  # the built-in platform of development mode, off in production
REFUSALS = {400, 401, 403, 404, 405}


def concrete(rule: str) -> str:
    """The rule with made-up values for its variables (nobody owns them)."""
    path = re.sub(r"<int:[^>]+>", "1", rule)
    return re.sub(r"<[^>]+>", str(uuid.uuid4()), path)


def guarded_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.rule in PUBLIC or rule.rule.startswith(DEV_ONLY):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule.rule, method


def test_every_route_refuses_a_stranger(app, tool_url):
    stranger = requests.Session()
    answered = {}
    for rule, method in guarded_rules(app):
        response = stranger.request(method, tool_url + concrete(rule), allow_redirects=False)
        login_redirect = response.status_code in (
            302,
            303,
        ) and "/admin/login" in response.headers.get("Location", "")
        if not (response.status_code in REFUSALS or login_redirect):
            answered[f"{method} {rule}"] = response.status_code
    assert answered == {}


@pytest.mark.parametrize("rule", sorted(PUBLIC))
def test_public_routes_exist(app, rule):
    """The public list names real routes only (a renamed route must leave it)."""
    assert rule in {r.rule for r in app.url_map.iter_rules()}
