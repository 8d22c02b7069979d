"""A Moodle 4.5 double for LTI Dynamic Registration, built from the recorded exchange.

It serves, on loopback, what a real Moodle serves during "Add LTI Advantage":

* `startltiadvregistration.php`: a 302 to the tool's registration URL with
  `openid_configuration` and a fresh `registration_token` (a JWT signed by the double:
  `sub` = the future client id, `scope` = `reg`, valid 1 h), as in dynreg-start-redirect.json;
* `openid-configuration.php`: the recorded configuration with the recording's origin
  rewritten to the double's own, and only for a valid registration token (like Moodle);
* `openid-registration.php`: checks the bearer token and the body the way Moodle's
  registration_helper does, and that the body has the shape of the recorded request; answers
  like dynreg-registration-response.json with the token's client id and a fresh deployment id;
* `certs.php`: the double's JWKS, so a registered double can also sign launches;
* a "Manage tools" page that opens the registration in an iframe and listens for the tool's
  `org.imsglobal.lti.close` message, as Moodle's admin page does.
"""

from __future__ import annotations

import copy
import itertools
import json
import secrets
import string
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import jwt
from flask import Flask, abort, jsonify, redirect, request

from tests.support.platforms import SigningKey
from tests.support.servers import LiveServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "moodle-4.5"
RECORDED_ORIGIN = "http://127.0.0.1:8081"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
CONFIGURATION_PATH = "/mod/lti/openid-configuration.php"


def recording(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _rewrite(value, old: str, new: str):
    if isinstance(value, str):
        return value.replace(old, new)
    if isinstance(value, list):
        return [_rewrite(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: _rewrite(item, old, new) for key, item in value.items()}
    return value


class RegistrationRefusedByPlatform(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class RegistrationPlatform:
    """A Moodle site that a tool can register with dynamically."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        """`host="localhost"`: the site is another site than the tool's (on 127.0.0.1) for a
        browser, so the tool's cookies in Moodle's iframe are third-party."""
        self.key = SigningKey("moodle-double-key")
        self.tools: dict[str, dict] = {}  # client id -> the registration Moodle stored
        self.registration_requests: list[dict] = []  # every POST, accepted or not
        self.configuration_requests: list[dict] = []  # headers of every configuration GET
        self.refusals: list[str] = []
        # Knobs for the negative tests.
        self.issuer_override: str | None = None
        self.configuration_body: bytes | None = None  # serve this instead of the configuration
        self.refuse_with: tuple[int, str] | None = None  # refuse every registration so
        self.configuration_changes: dict = {}  # e.g. a moved endpoint, after a site move
        self.update_deployment_id: str | None = None  # answer an update with this deployment
        self._deployments = itertools.count(5)
        self._lock = threading.Lock()
        self.app = self._make_app()
        self._server = LiveServer(self.app)
        self.url = self._server.url.replace("127.0.0.1", host, 1)
        self.configuration_url = self.url + CONFIGURATION_PATH

    def stop(self) -> None:
        self._server.stop()

    # --- what the admin's browser gets from Moodle ----------------------------------------

    def new_registration_token(self, lifetime: int = 3600, *, update_of: str | None = None) -> str:
        """Moodle's registration token: a new client id, or for "Update" on the tool of
        `update_of` (a client id) scope `reg-update` with the tool type's id as `sub`."""
        now = int(time.time())
        if update_of is not None:
            type_id = self.tools[update_of]["deployment_id"]
            return self.key.sign(
                {"sub": type_id, "scope": "reg-update", "iat": now, "exp": now + lifetime}
            )
        client_id = "".join(secrets.choice(string.ascii_letters) for _ in range(15))
        return self.key.sign({"sub": client_id, "scope": "reg", "iat": now, "exp": now + lifetime})

    def start_update(self, tool_registration_url: str, client_id: str) -> str:
        """Manage tools → the tool's "Update" (startltiadvregistration.php?type=<type id>)."""
        token = self.new_registration_token(update_of=client_id)
        return self.start_registration(tool_registration_url, token)

    def start_registration(self, tool_registration_url: str, token: str | None = None) -> str:
        """Where Moodle's startltiadvregistration.php redirects the admin's browser."""
        separator = "&" if "?" in tool_registration_url else "?"
        query = urlencode(
            {
                "openid_configuration": self.configuration_url,
                "registration_token": token or self.new_registration_token(),
            }
        )
        return tool_registration_url + separator + query

    def configuration(self) -> dict:
        document = _rewrite(
            recording("dynreg-openid-configuration.json"), RECORDED_ORIGIN, self.url
        )
        if self.issuer_override:
            document["issuer"] = self.issuer_override
        document.update(self.configuration_changes)
        return document

    # --- the double's checks, after Moodle's ----------------------------------------------

    def _token_claims(self) -> dict:
        header = request.headers.get("Authorization", "")
        if not header.startswith("Bearer "):
            raise RegistrationRefusedByPlatform(401, "Missing Registration Token")
        try:
            claims = jwt.decode(header[7:].strip(), self.key.public_pem, algorithms=["RS256"])
        except jwt.PyJWTError as error:
            raise RegistrationRefusedByPlatform(
                401, f"Invalid Registration Token: {error}"
            ) from None
        if claims.get("scope") not in ("reg", "reg-update") or not claims.get("sub"):
            raise RegistrationRefusedByPlatform(401, "Invalid Registration Token")
        return claims

    def validate_registration(self, body: object) -> None:
        """Moodle's registration_helper::registration_to_config, plus the recorded shape."""
        if not isinstance(body, dict):
            raise RegistrationRefusedByPlatform(400, "invalid_registration_payload")
        for name in (
            "response_types",
            "initiate_login_uri",
            "redirect_uris",
            "client_name",
            "jwks_uri",
            "token_endpoint_auth_method",
            TOOL_CONFIGURATION,
        ):
            if name not in body:
                raise RegistrationRefusedByPlatform(400, f"missing_{name}")
        tool = body[TOOL_CONFIGURATION]
        if not isinstance(tool, dict) or not tool.get("domain"):
            raise RegistrationRefusedByPlatform(400, "missing_domain")
        target = tool.get("target_link_uri") or "https://" + tool["domain"]
        if _domain(tool["domain"]) != _domain(target):
            raise RegistrationRefusedByPlatform(400, "domain_targetlinkuri_mismatch")
        if "id_token" not in body["response_types"]:
            raise RegistrationRefusedByPlatform(400, "invalid_response_types")
        if not isinstance(body["redirect_uris"], list):
            raise RegistrationRefusedByPlatform(400, "invalid_redirect_uris")
        if body["token_endpoint_auth_method"] != "private_key_jwt":
            raise RegistrationRefusedByPlatform(400, "invalid_token_endpoint_auth_method")
        if body.get("application_type", "web") != "web":
            raise RegistrationRefusedByPlatform(400, "invalid_application_type")
        # The same shape as what Moodle accepted in the recording: no field it did not see.
        recorded = recording("dynreg-registration-request.json")
        unknown = set(body) - set(recorded) | set(tool) - set(recorded[TOOL_CONFIGURATION])
        if unknown:
            raise RegistrationRefusedByPlatform(400, f"unexpected fields {sorted(unknown)}")
        for name, value in body.items():
            if not isinstance(value, type(recorded[name])):
                raise RegistrationRefusedByPlatform(400, f"{name} has the wrong type")
        recorded_message = set(recorded[TOOL_CONFIGURATION]["messages"][0])
        for message in tool.get("messages", []):
            if not isinstance(message, dict) or not set(message) <= recorded_message:
                raise RegistrationRefusedByPlatform(400, "unexpected message fields")
        supported = set(self.configuration()["scopes_supported"])
        if not set(body.get("scope", "").split()) <= supported:
            raise RegistrationRefusedByPlatform(400, "unsupported scope")

    def _register(self) -> tuple[dict, int]:
        claims = self._token_claims()
        body = request.get_json(silent=True)
        with self._lock:
            self.registration_requests.append(
                {"headers": dict(request.headers), "body": copy.deepcopy(body)}
            )
            if self.refuse_with:
                raise RegistrationRefusedByPlatform(*self.refuse_with)
            self.validate_registration(body)
            if claims["scope"] == "reg-update":
                # mod/lti/openid-registration.php: lti_update_type keeps client id, type id
                # (the deployment id) and state, and takes the new configuration.
                [client_id] = [
                    known
                    for known, tool in self.tools.items()
                    if tool["deployment_id"] == claims["sub"]
                ] or [None]
                if client_id is None:
                    raise RegistrationRefusedByPlatform(404, "Unknown tool type")
                tool = self.tools[client_id]
                deployment_id = self.update_deployment_id or tool["deployment_id"]
                self.tools[client_id] = {
                    "state": tool["state"],
                    "deployment_id": deployment_id,
                    **body,
                }
                return self._answer(body, client_id, deployment_id), 200
            client_id = claims["sub"]
            if client_id in self.tools:
                raise RegistrationRefusedByPlatform(400, "Client id already registered")
            deployment_id = str(next(self._deployments))
            self.tools[client_id] = {"state": "pending", "deployment_id": deployment_id, **body}
        return self._answer(body, client_id, deployment_id), 200

    def _answer(self, body: dict, client_id: str, deployment_id: str) -> dict:
        answer = copy.deepcopy(recording("dynreg-registration-response.json")["body"])
        tool = body[TOOL_CONFIGURATION]
        for name in (
            "response_types",
            "jwks_uri",
            "initiate_login_uri",
            "redirect_uris",
            "client_name",
            "logo_uri",
        ):
            answer[name] = body.get(name)
        answer["client_id"] = client_id
        granted = [s for s in body.get("scope", "").split() if "lti-bo" not in s]
        answer["scope"] = " ".join(granted)
        answer[TOOL_CONFIGURATION] = {
            "version": "1.3.0",
            "deployment_id": deployment_id,
            "target_link_uri": tool.get("target_link_uri"),
            "domain": tool["domain"],
            "description": tool.get("description", ""),
            "messages": [
                {"type": m["type"], "target_link_uri": m.get("target_link_uri")}
                for m in tool.get("messages", [])
                if m.get("type") == "LtiDeepLinkingRequest"
            ],
            "claims": tool.get("claims", []),
        }
        return answer

    # --- the HTTP side ----------------------------------------------------------------------

    def _make_app(self) -> Flask:
        app = Flask("moodle_double")
        outer = self

        @app.errorhandler(RegistrationRefusedByPlatform)
        def refused(error: RegistrationRefusedByPlatform):
            outer.refusals.append(error.message)
            return error.message, error.status, {"Content-Type": "text/plain"}

        @app.get("/mod/lti/startltiadvregistration.php")
        def start():
            return redirect(outer.start_registration(request.args["url"]), 302)

        @app.get(CONFIGURATION_PATH)
        def configuration():
            outer.configuration_requests.append(dict(request.headers))
            outer._token_claims()
            if outer.configuration_body is not None:
                return outer.configuration_body, 200, {"Content-Type": "text/html"}
            return jsonify(outer.configuration())

        @app.post("/mod/lti/openid-registration.php")
        def registration():
            answer, status = outer._register()
            # Moodle labels its JSON answers text/html; the tool must read them by content.
            return json.dumps(answer), status, {"Content-Type": "text/html; charset=utf-8"}

        @app.get("/mod/lti/certs.php")
        def certs():
            return jsonify(keys=[outer.key.public_jwk])

        @app.get("/mod/lti/auth.php")
        def auth():
            abort(404)  # launches in these tests follow TestPlatform: the test reads the redirect

        @app.get("/admin/tool/lti/manage.php")
        def manage_tools():
            start_url = "/mod/lti/startltiadvregistration.php?" + urlencode(
                {"url": request.args["url"]}
            )
            return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Manage tools</title></head>
<body><h1>Manage tools</h1><p id="closed">open</p>
<iframe id="registration" title="Tool registration" src="{start_url}"
        style="width: 100%; height: 60rem"></iframe>
<script>
window.addEventListener("message", (event) => {{
  if (event.data && event.data.subject === "org.imsglobal.lti.close") {{
    document.getElementById("closed").textContent = "closed";
    document.getElementById("registration").remove();
  }}
}});
</script></body></html>"""

        return app


def _domain(url: str) -> str:
    """Moodle's lti_get_domain_from_url: host and port, without scheme and a leading www."""
    netloc = urlsplit(url if "//" in url else "//" + url).netloc
    return netloc.removeprefix("www.")
